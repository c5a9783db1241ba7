"""What routes depend on: the services the lifespan builds (yielded as typed lifespan state, one `Services`
per app) and `Annotated` aliases, so a route declares only what it needs (`retriever: RetrieverDep`). They
are `async def`: FastAPI runs a plain `def` dependency in a worker thread, and these only read memory (a
busy thread pool must not delay `/readyz`).
`services.roadmap` is the roadmap of the index version being served (see `api.served`).
`require_admin` guards `/admin/*`: 404 while no admin token is configured, 401 for a missing or wrong
bearer token; `ApiKeyDep` / `ApiKeyOrWidgetDep` guard the answering endpoints (`api.auth`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, TypedDict, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.answer import Answerer
from api.auth import require_admin_token, require_api_key, require_api_key_or_widget
from api.conversation import Condenser
from api.feedback import FeedbackStore
from api.insights_data import InsightsData
from api.metrics import Metrics
from api.questionlog import QuestionLog
from api.reindex import Reindexer
from api.served import ServedVersion
from api.study import Study
from api.watcher import IndexWatcher
from ingest.roadmap import Roadmap
from settings import Settings
from vectorstore.embeddings import Embedder
from vectorstore.retrieve import Retriever
from vectorstore.store import IndexStore

if TYPE_CHECKING:
    from api.routes.catalog import Catalog  # (a route module: it imports this one)


@dataclass
class Services:
    settings: Settings
    store: IndexStore
    embedder: Embedder      # the model itself (the retriever's is a `BatchingEmbedder` around it)
    retriever: Retriever
    answerer: Answerer      # generates with its `llm` (a `ChatModel`) when one is configured
    served: ServedVersion   # the roadmap and record of the version the retriever serves
    feedback: FeedbackStore
    reindexer: Reindexer
    metrics: Metrics
    watcher: IndexWatcher   # started by the lifespan
    study: Study
    insights: InsightsData
    condenser: Condenser | None = None  # a model's rewrite of follow-ups (None: the rule)
    questions: QuestionLog | None = None  # None: RA_QUESTION_LOG=off
    # "current" -> ((index version, id of its roadmap), the catalog built for them): see api.routes.catalog
    catalog_cache: dict[str, tuple[tuple[int | None, int], Catalog]] = field(default_factory=dict)

    @property
    def roadmap(self) -> Roadmap:
        """THE parsed roadmap: the one stored with the index version being served (switches with it)."""
        return self.served.roadmap()


class AppState(TypedDict):
    services: Services


async def get_services(request: Request) -> Services:
    return cast(Services, request.state.services)  # the lifespan's state (`AppState`); Starlette types it Any


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_settings(services: ServicesDep) -> Settings:
    return services.settings


async def get_retriever(services: ServicesDep) -> Retriever:
    return services.retriever


async def get_answerer(services: ServicesDep) -> Answerer:
    return services.answerer


async def get_metrics(services: ServicesDep) -> Metrics:
    return services.metrics


async def get_feedback(services: ServicesDep) -> FeedbackStore:
    return services.feedback


async def get_reindexer(services: ServicesDep) -> Reindexer:
    return services.reindexer


SettingsDep = Annotated[Settings, Depends(get_settings)]
RetrieverDep = Annotated[Retriever, Depends(get_retriever)]
AnswererDep = Annotated[Answerer, Depends(get_answerer)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]
ReindexerDep = Annotated[Reindexer, Depends(get_reindexer)]

_bearer = HTTPBearer(auto_error=False, description="The admin token (RA_ADMIN_TOKEN).")


async def require_admin(settings: SettingsDep,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """Admin endpoints exist only with an admin token configured, and answer only to that token."""
    require_admin_token(settings.admin_token, f"Bearer {credentials.credentials}" if credentials else None)


AdminDep = Depends(require_admin)
ApiKeyDep = Depends(require_api_key)
ApiKeyOrWidgetDep = Depends(require_api_key_or_widget)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]  # the bearer token given, if any
