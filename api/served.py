"""The roadmap and ingest record of the index version the service answers from.

Each published version carries the roadmap it was built from (ingest stores it in the version's record), so
`/weeks`, `/sources`, week validation, week detection and the prompt's title follow a re-index without a
restart. An index built before versions carried their roadmap, or no index yet, falls back to parsing the
roadmap file (`RA_ROADMAP`), re-read when it changes. `require_week` is the one check of a requested week (the
request's, or one its text names).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from errors import UnknownWeekError
from ingest.roadmap import Roadmap, load_roadmap
from vectorstore.retrieve import detect_week

if TYPE_CHECKING:
    from settings import Settings
    from vectorstore.retrieve import Retriever
    from vectorstore.store import IndexStore


class ServedVersion:
    """`roadmap()` and `record()` of the version the Retriever serves, read once per version."""

    def __init__(self, settings: Settings, store: IndexStore, retriever: Retriever):
        self.settings, self.store, self.retriever = settings, store, retriever
        self._lock = threading.Lock()
        self._version: tuple[int | None, dict[str, Any], Roadmap | None] | None = None  # last read
        self._file: tuple[int | None, Roadmap] | None = None  # (mtime, roadmap) of the roadmap file

    def _from_file(self) -> Roadmap:
        path = Path(self.settings.roadmap)
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            mtime = None  # load_roadmap names the problem
        if self._file is None or self._file[0] != mtime:
            self._file = (mtime, load_roadmap(path, self.settings.mirror_base))
        return self._file[1]

    def current(self) -> tuple[int | None, dict[str, Any], Roadmap]:
        """(version, its ingest record, its roadmap); version None and record {} while nothing is indexed."""
        version = self.retriever.version if self.retriever.ready() else None
        with self._lock:
            if version is None or self._version is None or self._version[0] != version:
                record = self.store.record_at(version) if version is not None else {}
                roadmap = Roadmap.from_dict(record["roadmap"]) if record.get("roadmap") else None
                self._version = (version, record, roadmap) if record else None  # a record is read once
                found = (version, record, roadmap)
            else:
                found = self._version
            return found[0], found[1], found[2] or self._from_file()

    def roadmap(self) -> Roadmap:
        return self.current()[2]

    def record(self) -> dict[str, Any]:
        return self.current()[1]


class WeekTitles(Mapping[int, str]):
    """week number -> title of the served roadmap, read at each use (what the insights label weeks with)."""

    def __init__(self, served: ServedVersion):
        self.served = served

    def _titles(self) -> dict[int, str]:
        return {w.number: w.title for w in self.served.roadmap().weeks}

    def __getitem__(self, week: int) -> str:
        return self._titles()[week]

    def __iter__(self) -> Iterator[int]:
        return iter(self._titles())

    def __len__(self) -> int:
        return len(self._titles())


def week_span(roadmap: Roadmap) -> str:
    """The roadmap's weeks in a message: '1-16' when contiguous, else '1, 2, 5'."""
    numbers = roadmap.week_numbers()
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}-{numbers[-1]}"
    return ", ".join(map(str, numbers))


def require_week(roadmap: Roadmap, week: int | None, text: str | None = None, what: str = "question") -> None:
    """A requested week must be one of the roadmap's: else UnknownWeekError, a 422 'week must be between 1 and 18'.
    So must a week the `text` names (the week it would search): 'the question names week 23, but the roadmap has
    weeks 1-16', not a silent search of every week."""
    if week is not None and week not in roadmap.week_numbers():
        raise UnknownWeekError(f"invalid request: week must be {roadmap.week_range()}")
    named = detect_week(text) if text else None
    if named is not None and named not in roadmap.week_numbers():
        raise UnknownWeekError(f"invalid request: the {what} names week {named}, but the roadmap has weeks "
                               f"{week_span(roadmap)}")
