"""Output paths: say in one line, before any work starts, when a file or folder cannot be written there.

>>> check_writable("out/report.pdf").name
'report.pdf'
>>> check_writable("/etc/hostname/report.pdf")
Traceback (most recent call last):
...
cnnviz.core.paths.OutputError: cannot write /etc/hostname/report.pdf: /etc/hostname is a file, not a folder.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


class OutputError(ValueError):
    """An output path that cannot be written (a file where a folder is needed, no permission, read-only disk)."""


def check_writable(path: str | os.PathLike, *, directory: bool = False) -> Path:
    """``path`` as a Path if a file (``directory=False``) or a folder of files can be written there, else an
    :class:`OutputError` saying why. Creates nothing: it tries a temporary file in the nearest existing folder."""
    target = Path(path).expanduser()
    if directory:
        if target.exists() and not target.is_dir():
            raise OutputError(f"cannot write into {target}: it is a file; give a folder.")
        folder = target
    else:
        if target.is_dir():
            raise OutputError(f"cannot write {target}: it is a folder; give a file name.")
        folder = target.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"cannot write {target}: {existing} is a file, not a folder.")
    try:
        fd, probe = tempfile.mkstemp(prefix=".cnnviz-write-check-", dir=existing)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {_why(exc, existing)}") from None
    os.close(fd)
    os.unlink(probe)
    return target


def _why(exc: OSError, folder: Path) -> str:
    if exc.errno == errno.EROFS:
        return f"{folder} is on a read-only file system."
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied in {folder}."
    if exc.errno == errno.ENOSPC:
        return f"no space left on the disk of {folder}."
    return f"{exc.strerror or exc} ({folder})."
