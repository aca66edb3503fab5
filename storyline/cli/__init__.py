"""The ``storyline`` command line. Commands live in one module per topic and register on :data:`app`."""

from __future__ import annotations

import os
import sys

# the model is loaded from the installed package, never a hub: no hub progress bars on the terminal
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ..errors import ENVIRONMENT_EXIT, ConfigError, EnvironmentProblem, StorylineError, environment_problem
from . import core, show  # noqa: F401  (register commands)
from . import serve  # noqa: F401  (storyline serve: API + web UI)
from . import cluster  # noqa: F401  (storyline eval, storyline explain)
from . import copies  # noqa: F401  (storyline copies, storyline eval-dedup)
from . import watch  # noqa: F401  (storyline watch, storyline feeds: web ingest)
from . import outlets  # noqa: F401  (storyline outlets, storyline outlets import)
from . import evalview  # noqa: F401  (storyline eval-view: story views against annotated stories)
from . import backfill  # noqa: F401  (storyline backfill: archives on a Dask cluster)
from . import migrate  # noqa: F401  (storyline migrate: create or upgrade the schema, either backend)
from . import worker  # noqa: F401  (storyline worker: the long-lived ingest worker consuming the queue)
from .app import app, state


def main() -> None:
    """Entry point: errors become one line on stderr and an exit code: 0 ok, 1 finished with rejections (or a lookup
    failed), 2 usage/config error, 3 the environment (disk full, file-size limit, permission denied, read-only file
    system, database locked: :class:`~storyline.errors.EnvironmentProblem`)."""
    import gc
    import signal

    # the modules imported so far live as long as the process: the cyclic collector's full passes need not walk
    # their objects again and again (a few % of a lexical `storyline eval`)
    gc.freeze()
    if hasattr(signal, "SIGXFSZ"):  # over a file-size limit (ulimit -f): an EFBIG error to report, not a core dump
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        result = app(standalone_mode=False)  # click returns the exit code of typer.Exit in this mode
    except SystemExit:
        raise
    except ConfigError as e:
        _fail(e, 2)
    except EnvironmentProblem as e:
        _fail(e, ENVIRONMENT_EXIT)
    except StorylineError as e:
        _fail(e, 1)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as e:  # the last line of defence: one line, traceback only with -v
        import typer

        exc = _click_exceptions()
        if isinstance(e, typer.Exit):
            sys.exit(e.exit_code)
        if isinstance(e, exc.ClickException):
            e.show()
            sys.exit(2 if isinstance(e, exc.UsageError) else 1)
        if isinstance(e, typer.Abort):
            sys.exit(1)
        env = environment_problem(e, state.db)  # an OSError or sqlite3 error the machine caused
        if env is not None:
            _fail(env, ENVIRONMENT_EXIT, cause=e)
        _fail(e, 1, unexpected=True)
    else:
        sys.exit(result if isinstance(result, int) else 0)


def _click_exceptions():
    """typer ≥ 0.20 vendors click as ``typer._click``; older releases use click itself."""
    try:
        from typer._click import exceptions
    except ImportError:  # pragma: no cover - depends on the installed typer
        from click import exceptions
    return exceptions


def _fail(e: BaseException, code: int, unexpected: bool = False, cause: BaseException | None = None) -> None:
    if state.verbose:
        import traceback

        traceback.print_exception(cause or e)
    prefix = f"error ({type(e).__name__})" if unexpected else "error"
    sys.stderr.write(f"{prefix}: {e}\n")
    sys.exit(code)


__all__ = ["app", "main"]
