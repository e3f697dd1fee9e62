"""`tessera serve` and `tessera db upgrade`."""

from __future__ import annotations

import errno
import gc
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import typer
import uvicorn
from starlette.types import ASGIApp

from engine.database import safe_url
from runtime.app import create_app
from runtime.app.size_limits import SizeLimits
from runtime.bootstrap import build_engine_context
from runtime.cli.demo import (
    DEMO_TENANT,
    DemoKey,
    default_demo_key_file,
    ensure_demo_key,
    ensure_demo_tenant,
)
from runtime.cli.demo_users import DemoLogin, ensure_demo_users
from runtime.cli.failures import Unavailable
from runtime.cli.output import JsonOption, command_group, emit
from runtime.settings import Settings

db_app = command_group("Tessera's own system tables.")


def serve(
    host: str = typer.Option(None, help="Interface to listen on (TESSERA_HOST)"),
    port: int = typer.Option(None, help="Port to listen on (TESSERA_PORT)"),
    demo: bool = typer.Option(
        False,
        "--demo",
        help="Ensure a demo tenant with one API key and sample users, kept across restarts",
    ),
) -> None:
    """Migrate the system tables, then serve the API."""
    settings = Settings()
    host = host or settings.host
    port = port or settings.port
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    # Bound before anything says the server is up; uvicorn then serves on this very socket.
    listener = bind_listener(host, port)
    with quiet_start_up():
        # --demo sets a database up from nothing; a plain serve must find the one it was given.
        setup = build_engine_context(settings, migrate=True, create_missing=demo)
        logins, key = None, None
        if demo:
            # Users first: setting the admin's password on a first start revokes their keys.
            logins = ensure_demo_users(setup, ensure_demo_tenant(setup))
            key = ensure_demo_key(
                setup, key_file=settings.demo_key_file or default_demo_key_file(setup)
            )
    address = f"http://{host}:{listener.getsockname()[1]}"
    typer.echo(f"Tessera is serving on {address}  (API docs: {address}/docs)")
    if key is not None and logins is not None:
        _print_demo(address, key, logins)
    setup.db.dispose()
    app = create_app(build_engine_context(settings, for_server=True), limits=size_limits(settings))
    # Start-up objects (modules, the app) live as long as the process: keep them out of
    # every later full garbage collection, which would otherwise scan them each time
    # and hold the event loop for hundreds of milliseconds during a big bulk request.
    gc.collect()
    gc.freeze()
    # A 10,000-record bulk allocates some 200,000 objects; at the default threshold of 700
    # that triggers several full collections per request. Ten times fewer young
    # collections mean ten times fewer full ones, at a few hundred kilobytes of garbage.
    gc.set_threshold(7_000, 10, 10)
    uvicorn.Server(server_config(app, settings=settings, host=host, port=port)).run([listener])


@contextmanager
def quiet_start_up() -> Iterator[None]:
    """Keep the start-up's informational lines (each migration Alembic runs, the demo
    tenant's setup) out of the output, so what the server prints first is its address
    and, with --demo, the key and users; warnings and errors still show.

    With TESSERA_LOG_LEVEL=debug everything shows. Alembic also logs each change of a
    tenant's tables while serving (its migration context), so it stays at warnings.
    """
    if logging.getLogger().getEffectiveLevel() <= logging.DEBUG:
        yield
        return
    logging.getLogger("alembic").setLevel(logging.WARNING)
    engine_log = logging.getLogger("engine")
    level = engine_log.level
    engine_log.setLevel(max(logging.WARNING, level))
    try:
        yield
    finally:
        engine_log.setLevel(level)


def _print_demo(address: str, key: DemoKey, logins: list[DemoLogin]) -> None:
    kept = (
        f"a new key, kept in {key.key_file} for the next starts"
        if key.is_new
        else f"the same key as before, kept in {key.key_file}"
    )
    typer.echo(f"demo tenant API key: {key.api_key}")
    typer.echo(f"({kept})")
    typer.echo(f'try: curl -H "Authorization: Bearer {key.api_key}" {address}/api/v1/admin/objects')
    typer.echo(f"demo users of tenant {DEMO_TENANT} (the same passwords on every start):")
    width = max(len(login.user.email) for login in logins)
    for login in logins:
        user = login.user
        role = f"role {user.role}, " if user.role else ""
        sets = ", ".join(user.permission_sets)
        typer.echo(f"  {user.email:<{width}}  {login.password}  {role}permission sets {sets}")
    rep = next((login for login in logins if login.user.role == "sales_rep"), logins[0])
    typer.echo(
        f"log in: curl -s -X POST {address}/api/v1/auth/token -d tenant={DEMO_TENANT} "
        f"-d username={rep.user.email} -d password={rep.password}"
    )


def bind_listener(host: str, port: int) -> socket.socket:
    """Bind the server's socket as uvicorn would, or say in one line why it cannot be bound."""
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets of that protocol, and
    # without it every small response waits ~40 ms on Nagle and delayed ACKs.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        detail = (
            f"port {port} on {host} is in use; stop the other server or set TESSERA_PORT"
            if exc.errno == errno.EADDRINUSE
            else f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "set TESSERA_HOST or TESSERA_PORT"
        )
        raise Unavailable("address-unavailable", detail) from exc
    # Listening at once queues the first requests while the application is still being built.
    listener.listen(2048)
    return listener


def size_limits(settings: Settings) -> SizeLimits:
    """Return the request size limits the settings ask for."""
    return SizeLimits(max_body_bytes=settings.max_body_bytes, max_url_bytes=settings.max_url_bytes)


def server_config(app: ASGIApp, *, settings: Settings, host: str, port: int) -> uvicorn.Config:
    """Return the HTTP server's configuration for `app`.

    The server is pinned to h11 and reads request heads up to `max_head_bytes`: h11 alone
    gives up at 16 KiB with a bare 400 and closes the connection (clients still sending
    see a reset), so a URL between `max_url_bytes` and that would never get its 414.

    Forwarded headers are read only from the proxies `forwarded_allow_ips` names:
    uvicorn on its own believes them from 127.0.0.1 (or its FORWARDED_ALLOW_IPS), so any
    local client could claim another address with each request and slip past the
    per-address limit of failed logins.
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        http="h11",
        h11_max_incomplete_event_size=max(settings.max_head_bytes, settings.max_url_bytes * 2),
        proxy_headers=settings.is_behind_proxy(),
        forwarded_allow_ips=settings.forwarded_allow_ips or "",
    )


@db_app.command("upgrade")
def db_upgrade(as_json: bool = JsonOption) -> None:
    """Create or upgrade Tessera's system tables (idempotent); create the database if missing."""
    settings = Settings()
    build_engine_context(settings, migrate=True, create_missing=True).db.dispose()
    emit(
        {"upgraded": True, "database_url": safe_url(settings.database_url)},
        as_json=as_json,
        text="system tables are up to date",
    )
