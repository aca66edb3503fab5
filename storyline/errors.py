"""Exceptions. Messages say what failed, the offending value, the valid options and a hint."""

from __future__ import annotations


class StorylineError(Exception):
    """Base class for errors a user can act on (the CLI prints them as one line)."""


class ConfigError(StorylineError):
    """A setting has an invalid name or value."""


class NotFound(StorylineError):
    """A story, article or other object does not exist."""


class NotInstalled(StorylineError):
    """An optional dependency is missing; the message names the install command."""

    def __init__(self, package: str, extra: str):
        super().__init__(
            f"this feature needs the '{package}' package, which is not installed; "
            f"install it with: pip install 'storyline[{extra}]'"
        )


class EnvironmentProblem(StorylineError):
    """The machine, not the input, stopped the command: disk full, a file-size limit, permission denied, a read-only
    file system, a database locked by another process. The CLI prints it as one line and exits with
    :data:`ENVIRONMENT_EXIT` (committed batches are kept: running the command again resumes)."""


ENVIRONMENT_EXIT = 3  # CLI exit status of an EnvironmentProblem (0 ok, 1 rejects or lookup failed, 2 usage/config)

_RERUN = "then run the command again (what was committed is kept; a re-run skips it)"


def environment_problem(error: BaseException, path: object) -> EnvironmentProblem | None:
    """The :class:`EnvironmentProblem` that ``error`` (an ``OSError`` or an ``sqlite3`` error) is, naming ``path``
    (the file being written; an ``OSError``'s own file name wins), or None when it is not one."""
    import errno
    import os

    if isinstance(error, EnvironmentProblem):
        return error
    if type(error).__module__.split(".")[0] in ("psycopg", "psycopg_pool"):
        return _server_problem(error, path)
    where = str(getattr(error, "filename", None) or path)
    code = getattr(error, "errno", None) if isinstance(error, OSError) else None
    text = str(error).lower()
    if code in (errno.ENOSPC, errno.EDQUOT) or "database or disk is full" in text:
        return EnvironmentProblem(f"disk full: cannot write {where!r}; free space on its file system (or point --db "
                                  f"at a bigger one), {_RERUN}")
    if code == errno.EFBIG:
        return EnvironmentProblem(f"file too large: writing {where!r} went over the file-size limit (ulimit -f) or "
                                  f"the file system's largest file; raise the limit or use another disk, {_RERUN}")
    if code == errno.EROFS or "readonly database" in text or "read-only file system" in text:
        return EnvironmentProblem(f"read-only: {where!r} cannot be written (a read-only file system or a read-only "
                                  f"database file); point --db at a writable place, {_RERUN}")
    if code in (errno.EACCES, errno.EPERM):
        return EnvironmentProblem(f"permission denied: {where!r}; give this user write access to it and its folder, "
                                  f"or point --db at another place, {_RERUN}")
    if "database is locked" in text or "database table is locked" in text:
        return EnvironmentProblem(f"database {where!r} is locked: another process held a write transaction for "
                                  f"longer than the 10 s this one waits; let it finish (or stop it), {_RERUN}")
    if "disk i/o error" in text:  # SQLite's answer to a write the OS refused for other reasons than ENOSPC
        return EnvironmentProblem(f"disk I/O error writing {where!r}: the disk may be full, over a file-size limit "
                                  f"(ulimit -f) or failing; check free space (df) and the limit, {_RERUN}")
    if "unable to open database file" in text:  # SQLite does not say why: ask the file system
        folder = os.path.dirname(os.path.abspath(where)) or "."
        try:
            fs = os.statvfs(folder)
        except OSError:
            fs = None
        if fs is not None and fs.f_flag & os.ST_RDONLY:
            return EnvironmentProblem(f"read-only: {where!r} cannot be written (its file system is mounted "
                                      f"read-only); point --db at a writable place, {_RERUN}")
        if fs is not None and fs.f_bavail == 0:
            return EnvironmentProblem(f"disk full: cannot write {where!r}; free space on its file system (or point "
                                      f"--db at a bigger one), {_RERUN}")
        if os.path.isdir(folder) and not os.access(folder, os.W_OK):
            return EnvironmentProblem(f"permission denied: {folder!r}; give this user write access to it, or point "
                                      f"--db at another place, {_RERUN}")
        return EnvironmentProblem(f"cannot open or create {where!r}: its folder is not writable, not there or out of "
                                  f"space; check the path and its permissions, {_RERUN}")
    return None


# PostgreSQL's SQLSTATE classes and codes (https://www.postgresql.org/docs/current/errcodes-appendix.html) of the
# failures the server's machine or its administrator cause, not the input
_PG_DISK_FULL = {"53100"}  # disk_full
_PG_RESOURCES = {"53000", "53200", "53400"}  # insufficient_resources, out_of_memory, configuration_limit_exceeded
_PG_READ_ONLY = {"25006"}  # read_only_sql_transaction
_PG_DENIED = {"42501"}  # insufficient_privilege
_PG_GONE = {"57P01", "57P02", "57P03"}  # admin_shutdown, crash_shutdown, cannot_connect_now
_PG_GONE_TEXT = ("server closed the connection", "connection is closed", "connection refused", "terminating connection",
                 "consuming input failed", "connection is lost", "could not receive data", "could not send data",
                 "couldn't get a connection", "no connection to the server", "the connection is closed")


def _server_problem(error: BaseException, path: object) -> EnvironmentProblem | None:
    """The :class:`EnvironmentProblem` a psycopg error is (PostgreSQL's disk full, a read-only transaction,
    permission denied, too many connections, the connection lost), naming the database's URL without its password,
    or None when it is not one (a bug or bad input, which stays an error of its own)."""
    import re

    where = re.sub(r"^([^:/]+://[^:@/]*):[^@/]*@", r"\1:***@", str(path))
    state = str(getattr(error, "sqlstate", None) or "")
    said = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if state in _PG_DISK_FULL:
        return EnvironmentProblem(f"disk full: the PostgreSQL server of {where!r} could not write ({said}); free space "
                                  f"on the server's data disk, {_RERUN}")
    if state in _PG_READ_ONLY:
        return EnvironmentProblem(f"read-only: the PostgreSQL database {where!r} refuses writes ({said}: "
                                  "default_transaction_read_only is on, or the server is a standby); point --db at a "
                                  f"writable primary or turn read-only off, {_RERUN}")
    if state in _PG_DENIED:
        return EnvironmentProblem(f"permission denied: the role of {where!r} may not do this ({said}); grant it the "
                                  "rights on storyline's tables (or connect as the database's owner), "
                                  f"{_RERUN}")
    if state == "53300":  # too_many_connections
        return EnvironmentProblem(f"the PostgreSQL server of {where!r} has no free connection ({said}); raise its "
                                  f"max_connections or run fewer storyline processes, {_RERUN}")
    if state in _PG_RESOURCES:
        return EnvironmentProblem(f"the PostgreSQL server of {where!r} ran out of resources ({said}); give it more "
                                  f"memory or disk, or raise the limit named, {_RERUN}")
    text = said.lower()
    if state in _PG_GONE or state.startswith("08") or (not state and any(t in text for t in _PG_GONE_TEXT)):
        return EnvironmentProblem(f"lost the connection to PostgreSQL at {where!r} ({said}); check that the server "
                                  f"runs and is reachable, {_RERUN}")
    return None
