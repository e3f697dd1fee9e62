"""`tessera serve`'s HTTP server: request limits hold on a real uvicorn, not only in-process;
a port already in use is one line and exit code 69."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from engine.audit import list_events
from runtime.app import create_app
from runtime.cli import app as tessera
from runtime.cli.serve import server_config, size_limits
from runtime.settings import Settings
from tests.conftest import TenantHandle

MAX_BODY = 64 * 1024


@dataclass
class Served:
    """A running server and the headers of a tenant it serves."""

    base: str
    port: int
    headers: dict[str, str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def served(tenant: TenantHandle) -> Iterator[Served]:
    settings = Settings(max_body_bytes=MAX_BODY, log_level="warning", access_log=False)
    with _serving(tenant, settings) as serving:
        yield serving


@contextmanager
def _serving(tenant: TenantHandle, settings: Settings) -> Iterator[Served]:
    """Serve the tenant's app with the real server, configured as `tessera serve` does."""
    app = create_app(tenant.engine, limits=size_limits(settings))
    port = _free_port()
    server = uvicorn.Server(server_config(app, settings=settings, host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield Served(base=f"http://127.0.0.1:{port}", port=port, headers=tenant.headers)
    finally:
        server.should_exit = True
        thread.join(10)


def _raw_get(port: int, target: bytes) -> tuple[int, dict[str, Any]]:
    """Send one GET over a plain socket (clients refuse very long URLs) and parse the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: test\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            chunk = connection.recv(65536)
            assert chunk, f"the server closed the connection: {answer[:200]!r}"
            answer += chunk
    head, body = answer.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ")[1])
    assert b"content-type: application/problem+json" in head.lower()
    return status, json.loads(body[: _length(answer)])


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 1 << 30


@pytest.mark.parametrize("size", [9 * 1024, 40 * 1024, 500 * 1024])
def test_a_url_over_the_limit_gets_a_414_problem_document_from_the_real_server(
    served: Served, size: int
) -> None:
    # 40 KiB is past h11's own 16 KiB limit, which would answer a bare 400 and close.
    status, problem = _raw_get(served.port, b"/api/v1/data/deal?filter=" + b"a" * size)
    assert status == 414
    assert problem["type"] == "/problems/url-too-long"
    assert "TESSERA_MAX_URL_BYTES" in problem["detail"]


def test_a_url_within_the_limit_is_served(served: Served) -> None:
    # Served, not refused for its size: the object it names does not exist.
    response = httpx.get(
        f"{served.base}/api/v1/admin/objects/" + "a" * 7000, headers=served.headers
    )
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/not-found"


def test_a_body_declared_over_the_limit_gets_a_413_problem_document(served: Served) -> None:
    response = httpx.post(
        f"{served.base}/api/v1/admin/objects",
        content=b" " * (4 * MAX_BODY),
        headers={**served.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    problem = response.json()
    assert problem["type"] == "/problems/request-too-large"
    assert "TESSERA_MAX_BODY_BYTES" in problem["detail"]
    objects = httpx.get(f"{served.base}/api/v1/admin/objects", headers=served.headers)
    assert objects.json()["data"] == []


def test_a_streamed_body_over_the_limit_gets_a_413_problem_document(served: Served) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * 8192

    response = httpx.post(
        f"{served.base}/api/v1/data/deal/bulk", content=chunks(), headers=served.headers
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413


def test_a_body_within_the_limit_is_served(served: Served) -> None:
    deal = {"api_name": "deal", "fields": [{"api_name": "title", "type": "text"}]}
    created = httpx.post(f"{served.base}/api/v1/admin/objects", json=deal, headers=served.headers)
    assert created.status_code == 201, created.text
    records = [{"title": "t" * 100} for _ in range(400)]
    body = json.dumps(records).encode()
    assert MAX_BODY // 2 < len(body) < MAX_BODY
    response = httpx.post(
        f"{served.base}/api/v1/data/deal/bulk", content=body, headers=served.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 400


def _multipart(content: Iterator[bytes], *, name: str = "scan.pdf") -> Iterator[bytes]:
    """A multipart/form-data body with one part named file, streamed chunk by chunk."""
    yield (
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="' + name.encode() + b'"\r\n'
        b"Content-Type: application/pdf\r\n\r\n"
    )
    yield from content
    yield b"\r\n--b0undary--\r\n"


def test_uploads_pass_the_body_limit_and_stop_at_their_field_s_max_size(served: Served) -> None:
    licence = {
        "api_name": "licence",
        "fields": [{"api_name": "scan", "type": "file", "max_size": 1024 * 1024}],
    }
    created = httpx.post(
        f"{served.base}/api/v1/admin/objects", json=licence, headers=served.headers
    )
    assert created.status_code == 201, created.text
    record = httpx.post(f"{served.base}/api/v1/data/licence", json={}, headers=served.headers)
    path = f"{served.base}/api/v1/data/licence/{record.json()['id']}/files/scan"
    headers = {**served.headers, "Content-Type": "multipart/form-data; boundary=b0undary"}
    pdf = b"%PDF-1.4\n" + b"\0" * (4 * MAX_BODY)  # four times the body limit of other requests

    uploaded = httpx.post(path, content=_multipart(iter([pdf])), headers=headers)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["scan"]["size"] == len(pdf)
    assert httpx.get(path, headers=served.headers).content == pdf

    too_big = httpx.post(path, content=_multipart(iter([pdf] * 8)), headers=headers, timeout=60)
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
    assert "1048576 bytes (its max_size)" in too_big.json()["detail"]
    assert httpx.get(path, headers=served.headers).content == pdf


@pytest.mark.parametrize("demo", [[], ["--demo"]], ids=["serve", "serve --demo"])
def test_a_port_in_use_is_one_line_and_exit_code_69_before_anything_says_serving(
    database_url: str, demo: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESSERA_DATABASE_URL", database_url)
    monkeypatch.setenv("TESSERA_DEMO_KEY_FILE", str(tmp_path / "demo-key"))
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", 0))
        other_server.listen()
        port = other_server.getsockname()[1]
        monkeypatch.setenv("TESSERA_PORT", str(port))
        result = CliRunner().invoke(tessera, ["serve", *demo])
    assert result.exit_code == 69
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: port {port} on 127.0.0.1 is in use; stop the other server or set TESSERA_PORT"
    ]
    assert not (tmp_path / "demo-key").exists()


def test_connections_to_the_bound_listener_send_small_responses_at_once() -> None:
    """TCP_NODELAY on every accepted connection: no ~40 ms Nagle wait per small response."""
    import asyncio

    from runtime.cli.serve import bind_listener

    listener = bind_listener("127.0.0.1", 0)
    nodelay: list[int] = []

    async def accept_one() -> None:
        accepted = asyncio.Event()

        def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            nodelay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()
            accepted.set()

        server = await asyncio.start_server(on_connection, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            await asyncio.wait_for(accepted.wait(), timeout=5)
            writer.close()

    asyncio.run(accept_one())
    assert nodelay == [1]


def _failed_login_address(tenant: TenantHandle, settings: Settings, forwarded: str) -> str | None:
    """The address a failed login sent with `X-Forwarded-For: forwarded` is counted by."""
    with _serving(tenant, settings) as serving:
        response = httpx.post(
            f"{serving.base}/api/v1/auth/token",
            data={"tenant": tenant.name, "username": "admin@example.com", "password": "no"},
            headers={"X-Forwarded-For": forwarded},
        )
    assert response.status_code == 401, response.text
    with tenant.engine.db.connect() as connection:
        events = list_events(connection, tenant.context().tenant.id)
    return next(event.address for event in events if event.action == "login.failed")


def test_by_default_x_forwarded_for_does_not_change_the_address_logins_are_counted_by(
    tenant: TenantHandle,
) -> None:
    settings = Settings(log_level="warning", access_log=False)
    assert not server_config(
        create_app(tenant.engine), settings=settings, host="h", port=1
    ).proxy_headers
    assert _failed_login_address(tenant, settings, "203.0.113.9") == "127.0.0.1"


def test_a_proxy_named_in_forwarded_allow_ips_has_its_x_forwarded_for_believed(
    tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESSERA_FORWARDED_ALLOW_IPS", " 127.0.0.1 , 10.0.0.0/8")
    settings = Settings(log_level="warning", access_log=False)
    assert settings.forwarded_allow_ips == "127.0.0.1,10.0.0.0/8"
    assert _failed_login_address(tenant, settings, "203.0.113.9") == "203.0.113.9"


def test_forwarded_allow_ips_that_name_no_address_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TESSERA_FORWARDED_ALLOW_IPS", "10.0.0.300")
    with pytest.raises(ValueError, match=re.escape("'10.0.0.300' is not an address")):
        Settings()
