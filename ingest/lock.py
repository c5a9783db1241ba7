"""One writer at a time: an advisory file lock (`DATA_DIR/ingest.lock`) that the kernel releases when the
last process holding it ends.

`take_lock` takes it atomically or raises `IngestLockedError` naming the holder (and, for a re-index started
by the API, its run id). The lock belongs to the open file, not to a process: the API takes it, starts
`python -m ingest --lock-fd N` with that descriptor inherited, and closes its own copy, so the lock passes to
the child with no moment where it is free (`writer_lock(..., fd=N)` adopts it there).
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from pathlib import Path

from errors import ConfigError, IngestLockedError

LOCK_FILE = "ingest.lock"
_RUN = re.compile(r"re-index ([0-9a-f]{12})")


HOLDER_WAIT = 0.5  # seconds a blank holder note is read again (a holder writes it just after taking the lock)


def _note(fd: int, note: str) -> None:
    """Write who holds the lock: the new text first, then the file cut to it, so a reader never finds it blank."""
    text = f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}" + (f", {note}" if note else "")
    data = text.encode()
    os.pwrite(fd, data, 0)
    os.ftruncate(fd, len(data))


def _holder(path: Path) -> str:
    """The holder's note. A process that has just taken the lock (on a new lock file: still blank) writes it a
    moment later, so a blank note is read again for up to HOLDER_WAIT seconds."""
    deadline = time.monotonic() + HOLDER_WAIT
    while True:
        text = path.read_text(errors="replace").strip()
        if text or time.monotonic() >= deadline:
            return text
        time.sleep(0.01)


def take_lock(data_dir: Path, note: str = "") -> int:
    """Take the writer lock now and return the descriptor holding it; raise IngestLockedError if it is held."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        holder = _holder(path) or "another process"
        match = _RUN.search(holder)
        raise IngestLockedError(f"another ingest is running ({holder}); try again when it ends",
                                run_id=match.group(1) if match else None) from None
    _note(fd, note)
    return fd


def note_holder(fd: int, note: str) -> None:
    """Rewrite who holds the lock (the pid of the process calling this, and `note`)."""
    _note(fd, note)


def _adopt(fd: int, data_dir: Path, note: str) -> None:
    """Check that an inherited descriptor is this data folder's lock, and held."""
    try:
        same = os.path.samestat(os.fstat(fd), os.stat(data_dir / LOCK_FILE))
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the same open file: succeeds only if it holds the lock
    except OSError:
        same = False
    if not same:
        raise ConfigError(f"--lock-fd {fd} is not the ingest lock of {data_dir} (RA_DATA_DIR)")
    _note(fd, note)


@contextlib.contextmanager
def writer_lock(data_dir: Path, fd: int | None = None, note: str = ""):
    """Hold `data_dir/ingest.lock` for the block: taken now (raising at once when another live process holds
    it), or adopted from the inherited descriptor `fd`."""
    if fd is None:
        fd = take_lock(data_dir, note)
    else:
        _adopt(fd, data_dir, note)
    try:
        yield
    finally:
        os.close(fd)
