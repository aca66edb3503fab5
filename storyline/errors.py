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
