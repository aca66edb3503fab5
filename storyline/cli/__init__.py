"""The ``storyline`` command line. Commands live in one module per topic and register on :data:`app`."""

from __future__ import annotations

import sys

from ..errors import ConfigError, StorylineError
from . import core, show  # noqa: F401  (register commands)
from .app import app, state


def main() -> None:
    """Entry point: errors become one line on stderr and an exit code (2 for usage/config errors)."""
    try:
        app(standalone_mode=False)
    except SystemExit as e:
        raise
    except ConfigError as e:
        _fail(e, 2)
    except StorylineError as e:
        _fail(e, 1)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as e:  # the last line of defence: one line, traceback only with -v
        import click

        if isinstance(e, click.exceptions.Exit):
            sys.exit(e.exit_code)
        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(2 if isinstance(e, click.UsageError) else 1)
        if isinstance(e, click.exceptions.Abort):
            sys.exit(1)
        _fail(e, 1, unexpected=True)


def _fail(e: BaseException, code: int, unexpected: bool = False) -> None:
    if state.verbose:
        import traceback

        traceback.print_exception(e)
    prefix = f"error ({type(e).__name__})" if unexpected else "error"
    sys.stderr.write(f"{prefix}: {e}\n")
    sys.exit(code)


__all__ = ["app", "main"]
