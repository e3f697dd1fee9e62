"""The application factory: one FastAPI app per engine context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import anyio
from fastapi import FastAPI

from engine.context import EngineContext
from runtime.app.access_routes import router as access_router
from runtime.app.admin_routes import router as admin_router
from runtime.app.api_docs import install_api_docs
from runtime.app.audit_routes import router as audit_router
from runtime.app.auth import run_engine
from runtime.app.auth_routes import router as auth_router
from runtime.app.computed_routes import router as computed_router
from runtime.app.data_routes import router as data_router
from runtime.app.file_routes import UPLOAD_THREADS
from runtime.app.file_routes import router as file_router
from runtime.app.openapi import OpenApiCache
from runtime.app.problems import install_problem_handlers
from runtime.app.rule_routes import router as rule_router
from runtime.app.schema_routes import router as schema_router
from runtime.app.search_routes import router as search_router
from runtime.app.share_routes import router as share_router
from runtime.app.sharing_routes import router as sharing_router
from runtime.app.size_limits import SizeLimitMiddleware, SizeLimits
from runtime.app.user_routes import router as user_router


def create_app(context: EngineContext, *, limits: SizeLimits | None = None) -> FastAPI:
    """Return the Tessera HTTP application bound to `context`, refusing requests past `limits`.

    File uploads may be as large as the context's largest file (`max_file_bytes`).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Uploads stream in worker threads of their own, so slow senders never take the
        # threads every other request's engine call runs in.
        app.state.upload_threads = anyio.CapacityLimiter(UPLOAD_THREADS)
        yield
        # Close pooled connections on the loop that opened them (async drivers need it).
        await run_engine(context, context.db.dispose)

    app = FastAPI(
        lifespan=lifespan,
        title="Tessera",
        version="0.1.0",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # The tenant's document is served by schema_routes and its pages by api_docs
        # (offline); FastAPI still builds the base.
    )
    app.state.engine_context = context
    app.state.openapi_cache = OpenApiCache()
    install_problem_handlers(app)
    app.add_middleware(
        SizeLimitMiddleware,
        limits=replace(limits or SizeLimits(), max_file_bytes=context.max_file_bytes),
    )
    # Routes are matched in order, one by one, and the data API serves nearly every
    # request: its routes come first, so a list or a get does not first fail to match
    # every admin route. The documents keep their order: the data routes are documented
    # where they always were, from a second inclusion that matching never reaches.
    app.include_router(data_router, include_in_schema=False)
    app.include_router(admin_router)
    app.include_router(user_router)
    app.include_router(access_router)
    app.include_router(audit_router)
    app.include_router(rule_router)
    app.include_router(sharing_router)
    app.include_router(computed_router)
    app.include_router(data_router)
    app.include_router(share_router)
    app.include_router(file_router)
    app.include_router(schema_router)
    app.include_router(search_router)
    app.include_router(auth_router)
    install_api_docs(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
