"""One writer at a time: an advisory file lock that the kernel releases when its process dies."""
from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

from errors import IngestLockedError


@contextlib.contextmanager
def writer_lock(data_dir: Path):
    """Hold `data_dir/ingest.lock` for the block; raise at once when another live process holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "ingest.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Path(path).read_text(errors="replace").strip() or "another process"
            raise IngestLockedError(f"another ingest is running ({holder}); try again when it ends") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode())
        yield
    finally:
        os.close(fd)
