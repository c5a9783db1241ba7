"""Every error the project raises on purpose, in one place.

    RoadmapAssistantError            base: a clear, one-line message meant for a person
    ├── ConfigError                  a setting is missing or wrong (names the setting to fix)
    │   └── ModelUnavailableError    the embedding model folder is missing and cannot be downloaded
    ├── EmbedderMismatchError        the collection was built by another embedder: rebuild with --full
    ├── StoreUnavailableError        the Chroma store cannot be opened or reached
    ├── IngestLockedError            another ingest holds the writer lock
    ├── NothingIndexedError          an ingest run could not index a single page
    ├── PublishRefusedError          a safeguard kept a worse version from replacing the active one (carries
    │                                the run's `report`); `--force` overrides, except when every link failed
    ├── ModelDeadlineError           the chat model did not finish its answer within RA_LLM_TIMEOUT
    ├── ModelCancelledError          a chat model call was cancelled because its client went away
    ├── UnknownWeekError             a request names a week the roadmap does not have
    └── FetchError                   one page could not be fetched (carries `reason`); never stops a run
        └── AddressRefusedError      a fetch would have connected to a non-public address (SSRF guard)

The CLI prints `error: <message>` and exits non-zero (see `ingest.cli` for the codes); the API renders these
as JSON with a status.
"""
from __future__ import annotations


class RoadmapAssistantError(Exception):
    """Base class: the message is shown to the user as it is."""


class ConfigError(RoadmapAssistantError):
    pass


class ModelUnavailableError(ConfigError):
    pass


class EmbedderMismatchError(RoadmapAssistantError):
    pass


class StoreUnavailableError(RoadmapAssistantError):
    pass


class IngestLockedError(RoadmapAssistantError):
    def __init__(self, message: str, run_id: str | None = None):
        super().__init__(message)
        self.run_id = run_id  # the re-index holding the lock, when the API started it


class NothingIndexedError(RoadmapAssistantError):
    pass


class PublishRefusedError(RoadmapAssistantError):
    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report  # ingest.report.IngestReport of the refused run


class ModelDeadlineError(RoadmapAssistantError):
    pass


class ModelCancelledError(RoadmapAssistantError):
    pass


class UnknownWeekError(RoadmapAssistantError):
    pass


class FetchError(RoadmapAssistantError):
    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class AddressRefusedError(FetchError):
    pass
