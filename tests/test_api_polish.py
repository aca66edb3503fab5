"""API polish: a 500 tells the client the connection closes; web pages redirect id prefixes to the canonical URL;
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

from storyline.api import create_app  # noqa: E402
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
