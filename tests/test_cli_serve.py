"""`storyline serve` fails with one line when it cannot listen: a busy port, a port out of range."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).with_name("storyline")


def run(*args):
    return subprocess.run([str(BIN), *args], capture_output=True, env=dict(os.environ), timeout=60)


def test_a_busy_port_is_a_one_line_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        p = run("--db", str(tmp_path / "t.db"), "serve", "--port", str(port))
    err = p.stderr.decode()
    assert p.returncode == 1, err
    assert f"error: cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


def test_a_port_out_of_range_is_a_usage_error(tmp_path):
    p = run("--db", str(tmp_path / "t.db"), "serve", "--port", "99999")
    assert p.returncode == 2 and b"--port" in p.stderr and b"Traceback" not in p.stderr


def test_a_db_that_is_not_a_database_is_a_one_line_error(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><p>not a database</p>\n" * 50, "utf-8")
    p = run("--db", str(page), "serve", "--port", "0")
    err = p.stderr.decode()
    assert p.returncode == 1 and err.startswith(f"error: cannot open '{page}' as a storyline database"), err
