"""The writer lock's holder note: a second writer is told who holds the lock, even in the instant after it was
taken (a new lock file is blank until its holder writes the note)."""
from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest

from errors import IngestLockedError
from ingest.lock import LOCK_FILE, note_holder, take_lock


def test_a_blank_note_is_read_again_until_the_holder_writes_it(tmp_path):
    fd = os.open(tmp_path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # taken, not yet noted: the file is blank
    writer = threading.Timer(0.1, note_holder, args=(fd, "re-index 0123456789ab (starting pid 1)"))
    writer.start()
    try:
        started = time.monotonic()
        with pytest.raises(IngestLockedError, match="another ingest is running") as info:
            take_lock(tmp_path)
        assert info.value.run_id == "0123456789ab" and time.monotonic() - started >= 0.09
    finally:
        writer.join()
        os.close(fd)


def test_a_shorter_note_replaces_a_longer_one_whole(tmp_path):
    fd = take_lock(tmp_path, note="re-index 0123456789ab (starting pid 12345678)")
    note_holder(fd, "x")
    text = (tmp_path / LOCK_FILE).read_text()
    os.close(fd)
    assert text.endswith(", x") and "re-index" not in text
