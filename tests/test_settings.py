import pytest

from storyline.errors import ConfigError
from storyline.settings import Settings, load_settings, parse_assignments


def test_precedence_defaults_toml_env_overrides(tmp_path):
    cfg = tmp_path / "storyline.toml"
    cfg.write_text("[ingest]\nbatch_size = 10\nmax_text_chars = 500\n")
    s = load_settings(cfg, env={"STORYLINE_INGEST_BATCH_SIZE": "20"}, overrides={"ingest.max_text_chars": "700"})
    assert s.ingest.batch_size == 20 and s.ingest.max_text_chars == 700
    assert load_settings(cfg, env={}).ingest.batch_size == 10
    assert load_settings(None, env={}).ingest.batch_size == Settings().ingest.batch_size


def test_bad_settings_say_what_is_valid(tmp_path):
    with pytest.raises(ConfigError, match=r"valid keys in \[ingest\]"):
        Settings().with_overrides({"ingest.nope": 1})
    with pytest.raises(ConfigError, match="must be an integer, got .many."):
        Settings().with_overrides({"ingest.batch_size": "many"})
    with pytest.raises(ConfigError, match="key=value"):
        parse_assignments(["novalue"])
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", env={})


@pytest.mark.parametrize("key, value, message", [
    ("ingest.max_file_bytes", "-5", "must not be negative"),
    ("ingest.batch_size", "1.5", "must be an integer"),
    ("cluster.threshold", "high", "must be a number"),
    ("copies.enabled", "maybe", "must be true or false"),
    ("ingest.batch_size", [1], "must be an integer"),
])
def test_values_are_checked_against_the_setting_type(key, value, message):
    with pytest.raises(ConfigError, match=message):
        Settings().with_overrides({key: value})


def test_toml_numbers_and_booleans_are_accepted_and_env_errors_name_the_variable():
    s = Settings().with_overrides({"cluster.threshold": 1, "copies.enabled": False, "ingest.batch_size": 8})
    assert s.cluster.threshold == 1.0 and isinstance(s.cluster.threshold, float) and s.copies.enabled is False
    with pytest.raises(ConfigError, match="STORYLINE_INGEST_BATCH_SIZE"):
        load_settings(None, env={"STORYLINE_INGEST_BATCH_SIZE": "lots"})


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_non_finite_numbers_are_refused(value):
    with pytest.raises(ConfigError, match="finite"):
        Settings().with_overrides({"cluster.threshold": value})


def test_a_misspelt_environment_variable_of_a_known_section_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match=r"STORYLINE_STORIES_NOPE names no setting of \[stories\]; known: "):
        load_settings(None, env={"STORYLINE_STORIES_NOPE": "1"})
    # variables outside the settings sections (the database path, the API token) are not settings
    s = load_settings(None, env={"STORYLINE_DB": "x.db", "STORYLINE_TOKEN": "t", "STORYLINE_STORIES_SUMMARY_MAX": "4"})
    assert s.stories.summary_max == 4
