import storyline


def test_all_is_sorted_and_every_name_exists():
    assert storyline.__all__ == sorted(storyline.__all__)
    for name in storyline.__all__:
        assert hasattr(storyline, name), name


def test_python_api_round_trip(tmp_path):
    from storyline import Origin, RawItem, Store, ingest

    with Store(tmp_path / "s.db") as store:
        stats = ingest(store, [RawItem(origin=Origin("mem", 1), title="Dam opens", text="The dam opened.", source="A")])
        assert stats.accepted == 1 and [s.headline for s in store.list_stories()] == ["Dam opens"]
