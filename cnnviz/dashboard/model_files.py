"""Model files on the server: uploads (named by content hash, pruned by count and size) and the files of
models trained in the dashboard.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

import cnnviz

MODELS_DIR = Path(tempfile.gettempdir()) / "cnnviz-dashboard"


MAX_UPLOAD_MB = 50


#: Uploaded models kept on disk at most (count and total size); the oldest used go first. Enough for twenty
#: sessions' pickers (six uploads each) and some: with 20, a load test of 20 sessions uploading 100 models lost
#: the files of models sessions were still showing (the size bound is what guards the disk).
MAX_KEPT_UPLOADS = 200


MAX_KEPT_UPLOADS_MB = 400


UPLOAD_SUFFIXES = (".keras", ".h5", ".hdf5")


def uploads_dir() -> Path:
    return MODELS_DIR / "uploads"


def save_upload(data: bytes, name: str) -> str:
    """Write an uploaded model to a file named by its content hash; return the path (the model reference).
    Keeps at most :data:`MAX_KEPT_UPLOADS` files and :data:`MAX_KEPT_UPLOADS_MB` MiB of uploads."""
    if len(data) > MAX_UPLOAD_MB * 2**20:
        raise cnnviz.ModelError(f"{name} is {len(data) / 2**20:.0f} MiB; the dashboard takes models up to {MAX_UPLOAD_MB} MiB.")
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise cnnviz.ModelError(f"{name} is not a .keras, .h5 or .hdf5 file; save your model with "
                                "model.save('name.keras').")
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = uploads_dir() / f"upload-{digest}{suffix}"
    if path.is_file():
        path.touch()  # used again: it is now the newest
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{time.time_ns()}.part")
        tmp.write_bytes(data)
        tmp.replace(path)
    prune_uploads(keep=path)
    return str(path)


def mark_used(path: str | Path) -> None:
    """A model file shown on a page is in use: it becomes the newest for :func:`prune_uploads` (so other
    sessions' uploads do not delete a model a session is looking at)."""
    try:
        os.utime(path)
    except FileNotFoundError:
        pass  # pruned already: loading it says so


def discard_upload(path: str | Path) -> None:
    """Delete an uploaded file that was refused (it stays on disk for nobody)."""
    Path(path).unlink(missing_ok=True)


def prune_uploads(keep: Path | None = None, *, max_files: int | None = None, max_mb: float | None = None) -> list[Path]:
    """Delete the oldest uploads (by last use) beyond the count and size bounds; never ``keep``. Returns what went."""
    max_files = MAX_KEPT_UPLOADS if max_files is None else max_files
    max_bytes = (MAX_KEPT_UPLOADS_MB if max_mb is None else max_mb) * 2**20
    files = []
    for path in (p for p in uploads_dir().glob("upload-*") if p.suffix in UPLOAD_SUFFIXES):
        try:
            stat = path.stat()
        except FileNotFoundError:  # another session pruned it
            continue
        files.append((stat.st_mtime, stat.st_size, path))
    files.sort(key=lambda item: item[0], reverse=True)  # newest first
    kept_count, kept_bytes, removed = 0, 0, []
    for _, size, path in files:
        if path == keep or (kept_count < max_files and kept_bytes + size <= max_bytes):
            kept_count += 1
            kept_bytes += size
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def new_trained_path(recipe: str) -> Path:
    """A fresh file name for a model trained in this session."""
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    return MODELS_DIR / f"trained-{recipe}-{time.strftime('%H%M%S')}-{time.time_ns() % 10**6:06d}.keras"
