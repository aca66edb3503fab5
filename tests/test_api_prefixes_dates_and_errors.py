"""API answers: a 500 tells the client the connection closes; web pages redirect id prefixes to the canonical URL;
since/until take ISO 8601 only; 404 hints speak HTTP, not CLI."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

fastapi = pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
from fastapi.testclient import TestClient  # noqa: E402

from storyline.web import create_app  # noqa: E402
from storyline.ingest import read_paths  # noqa: E402
from storyline.pipeline import open_pipeline  # noqa: E402
from storyline.settings import Settings  # noqa: E402
from storyline.store import Store  # noqa: E402

from .conftest import DEMO_CORPUS, free_port  # noqa: E402

LEXICAL = Settings().with_overrides({"cluster.profile": "lexical", "web.prewarm_stories": 0})


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    if not (DEMO_CORPUS / "articles.jsonl").exists():
        pytest.skip("the demo corpus (storyline/demo/corpus) is not present")
    path = tmp_path_factory.mktemp("polish") / "demo.db"
    with Store(path) as store:
        open_pipeline(store, LEXICAL).run(read_paths([DEMO_CORPUS], LEXICAL.ingest))
    return path


@pytest.fixture(scope="module")
def client(demo_db):
    with TestClient(create_app(demo_db, LEXICAL), follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="module")
def ids(demo_db) -> dict[str, str]:
    with Store(demo_db) as store:
        sid = store.query("SELECT story_id FROM memberships GROUP BY story_id ORDER BY COUNT(*) DESC LIMIT 1")[0][0]
        aid = store.query("SELECT article_id FROM memberships WHERE story_id=? LIMIT 1", (sid,))[0][0]
    return {"story": sid, "article": aid}


# --- a: an unhandled error (500) says Connection: close, and the connection does close after a complete answer ---

def _read_response(sock: socket.socket, timeout: float = 10.0) -> tuple[bytes, dict[str, str], bytes, bool]:
    """One HTTP/1.1 response off ``sock``: status line, headers (lower-cased names), body (by Content-Length), and
    whether the server closed the connection after it."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before the headers were complete: {buf!r}")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed {length - len(rest)} bytes before the end of the body")
        rest += chunk
    body, extra = rest[:length], rest[length:]
    assert extra == b"", f"bytes after the body: {extra!r}"
    sock.settimeout(5.0)
    try:
        closed = sock.recv(1) == b""
    except (socket.timeout, TimeoutError):
        closed = False
    except ConnectionResetError:
        closed = True
    return lines[0], headers, body, closed


@pytest.fixture
def failing_server(demo_db):
    """The real app under uvicorn on 127.0.0.1, plus one route that fails — mounted on this test's app instance
    only (no production route fails on purpose)."""
    app = create_app(demo_db, LEXICAL)

    @app.get("/api/test-only-failure")
    @app.get("/test-only-failure")
    def fail() -> None:
        raise RuntimeError("deliberate failure for the test")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical",
                                           timeout_keep_alive=30))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("uvicorn did not start")
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=15)


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_a_500_answer_says_connection_close_and_is_complete(failing_server, accept) -> None:
    path = "/api/test-only-failure" if accept == "application/json" else "/test-only-failure"
    with socket.create_connection(("127.0.0.1", failing_server), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
                     f"Accept: {accept}\r\n\r\n".encode())
        status, headers, body, closed = _read_response(sock)
    assert status.startswith(b"HTTP/1.1 500"), status
    assert headers.get("connection", "").lower() == "close", headers
    assert b"internal-error" in body and b"RuntimeError" in body
    assert closed  # the server closes, as it said it would
    assert headers.get("x-content-type-options") == "nosniff"  # the security headers are on error answers too


def test_a_normal_answer_keeps_the_connection_alive(failing_server) -> None:
    with socket.create_connection(("127.0.0.1", failing_server), timeout=10) as sock:
        for _ in range(2):
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status, headers, body, closed = _read_response(sock, timeout=10)
            assert status.startswith(b"HTTP/1.1 200") and not closed
            assert headers.get("connection", "keep-alive").lower() != "close"


def test_httpx_is_told_and_can_go_on(failing_server) -> None:
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{failing_server}") as c:
        r = c.get("/api/test-only-failure")
        assert r.status_code == 500 and r.headers["connection"] == "close"
        assert r.json()["error"]["code"] == "internal-error"
        assert c.get("/api/health").status_code == 200  # a new connection, no error


# --- b: web pages answer an id prefix (or alias) with a redirect to the canonical address, query kept ---

def test_article_page_prefix_redirects_to_the_full_id_keeping_the_query(client, ids) -> None:
    aid = ids["article"]
    r = client.get(f"/articles/{aid[:8]}?start=0&end=5")
    assert r.status_code in (301, 308)
    assert r.headers["location"] == f"/articles/{aid}?start=0&end=5"
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and aid in page.text


def test_story_page_prefix_redirects_to_the_full_id_keeping_the_query(client, ids) -> None:
    sid = ids["story"]
    r = client.get(f"/stories/{sid[:6]}?format=json")
    assert r.status_code in (301, 308)
    assert r.headers["location"] == f"/stories/{sid}?format=json"
    assert client.get(r.headers["location"]).json()["id"] == sid


def test_canonical_pages_do_not_redirect(client, ids) -> None:
    assert client.get(f"/articles/{ids['article']}").status_code == 200
    assert client.get(f"/stories/{ids['story']}").status_code == 200


def test_unknown_prefixes_are_404_not_redirects(client) -> None:
    for path in ("/articles/a-zzzzzz", "/stories/s-zzzzzz"):
        r = client.get(path, headers={"accept": "application/json"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "not-found"


def test_the_api_resolves_prefixes_and_answers_the_canonical_id(client, ids) -> None:
    assert client.get(f"/api/stories/{ids['story'][:6]}").json()["id"] == ids["story"]
    assert client.get(f"/api/articles/{ids['article'][:8]}").json()["id"] == ids["article"]


# --- c: since/until are ISO 8601 only; a bare number (Unix timestamp) is a 422 naming the formats ---

@pytest.mark.parametrize("value", ["1633737600", "1633737600.5", "-5", "1e9", "garbage"])
def test_since_until_refuse_what_is_not_iso_8601(client, value) -> None:
    for name in ("since", "until"):
        r = client.get("/api/stories", params={name: value})
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "invalid-parameter"
        assert name in err["message"] and "ISO 8601" in err["message"] and "2021-10-09T14:30:00Z" in err["message"]
        assert "Value error" not in err["message"]


def test_since_until_take_iso_dates_and_date_times(client) -> None:
    everything = client.get("/api/stories", params={"limit": 100}).json()["stories"]
    dated = [s for s in everything if s["last_seen"]]
    assert dated
    newest = max(s["last_seen"] for s in dated)
    for value in (newest[:10], newest[:10].replace("-", ""), newest, newest[:19] + "Z", "2000-01-01 00:00"):
        r = client.get("/api/stories", params={"since": value, "limit": 100})
        assert r.status_code == 200, (value, r.text)
        assert r.json()["stories"], value
    assert client.get("/api/stories", params={"since": "2999-01-01"}).json()["stories"] == []


# --- d: 404 hints speak HTTP to HTTP clients; the CLI keeps its own ---

@pytest.mark.parametrize(("path", "hint"), [("/api/stories/s-zzzzzz", "GET /api/stories"),
                                            ("/api/articles/a-zzzzzz", "GET /api/articles"),
                                            ("/stories/s-zzzzzz?format=json", "GET /api/stories"),
                                            ("/articles/a-zzzzzz?format=json", "GET /api/articles")])
def test_404_messages_give_http_hints_not_cli_commands(client, path, hint) -> None:
    r = client.get(path)
    assert r.status_code == 404
    message = r.json()["error"]["message"]
    assert hint in message and "storyline " not in message, message


def test_the_cli_keeps_its_hint(demo_db) -> None:
    import subprocess

    from .conftest import storyline_cli

    out = subprocess.run(storyline_cli() + ["--db", str(demo_db), "show", "s-zzzzzz"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 1 and "storyline stories" in out.stderr, out.stderr
