"""psycopg's own warnings (a pool discarding a broken connection, a pipeline whose exit failed after the connection
was lost) never print beside the CLI's one-line error, yet reach an application that configures logging."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import logging, sys
import storyline.store.postgres.store  # noqa: F401
logging.getLogger("psycopg").warning("error ignored terminating <psycopg.Pipeline [BAD]>: the connection is lost")
logging.getLogger("psycopg.pool").warning("discarding closed connection")
if len(sys.argv) > 1:
    logging.basicConfig(stream=sys.stdout, format="%(name)s: %(message)s")
    logging.getLogger("psycopg").warning("configured")
"""


def test_psycopg_warnings_stay_off_stderr_unless_the_application_configures_logging():
    quiet = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""
    configured = subprocess.run([sys.executable, "-c", CODE, "x"], capture_output=True, text=True, timeout=60)
    assert configured.stdout == "psycopg: configured\n" and configured.stderr == ""
