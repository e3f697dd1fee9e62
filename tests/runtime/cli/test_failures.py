"""Every CLI failure is one line on standard error and a documented exit code; --debug adds the
traceback. A missing PostgreSQL database is created when the server lets Tessera."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from runtime.cli import app
from tests.conftest import POSTGRES_SERVER

runner = CliRunner()


def _tessera(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """Run the real `tessera` command in a child process, as a shell would."""
    environment = {**os.environ, "TESSERA_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "runtime.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def server(postgres_database: str) -> Iterator[sa.Engine]:
    """The test PostgreSQL server's maintenance database, in autocommit."""
    engine = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def missing_database(server: sa.Engine) -> Iterator[str]:
    """A database name that does not exist; dropped after the test if it came to exist."""
    name = f"tessera_new_{uuid.uuid4().hex[:10]}"
    yield name
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _database_exists(server: sa.Engine, name: str) -> bool:
    with server.connect() as connection:
        found = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
    return found is not None


def test_a_missing_postgresql_database_is_created_and_migrated(
    server: sa.Engine, missing_database: str
) -> None:
    url = f"{POSTGRES_SERVER}/{missing_database}"
    created = _tessera("db", "upgrade", database_url=url)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "system tables are up to date"
    assert created.stderr.strip().splitlines() == [
        f"created the PostgreSQL database {missing_database!r} on 127.0.0.1:5432 (it did not exist)"
    ]
    assert _database_exists(server, missing_database)
    again = _tessera("tenant", "list", database_url=url)
    assert (again.returncode, again.stdout.strip(), again.stderr) == (0, "no tenants", "")


def test_commands_that_do_not_set_a_database_up_never_create_one(
    server: sa.Engine, missing_database: str
) -> None:
    url = f"{POSTGRES_SERVER}/{missing_database}"
    result = _tessera("tenant", "list", database_url=url)
    assert result.returncode == 69
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: the PostgreSQL database '{missing_database}' does not exist")
    assert "`tessera db upgrade`" in line
    assert not _database_exists(server, missing_database)


def test_a_missing_database_the_user_may_not_create_is_one_line_saying_how(
    server: sa.Engine, missing_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = f"tessera_nocreate_{uuid.uuid4().hex[:8]}"
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE ROLE "{role}" LOGIN NOCREATEDB'))
    try:
        host = POSTGRES_SERVER.split("@", 1)[1]
        monkeypatch.setenv(
            "TESSERA_DATABASE_URL", f"postgresql+psycopg://{role}@{host}/{missing_database}"
        )
        result = runner.invoke(app, ["db", "upgrade"])
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP ROLE "{role}"'))
    assert result.exit_code == 69
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: the PostgreSQL database '{missing_database}' does not exist")
    assert "permission denied to create database" in line
    assert f"createdb -h 127.0.0.1 -p 5432 -O {role} {missing_database}" in line
    assert not _database_exists(server, missing_database)


def test_an_unreachable_database_is_one_line_and_exit_code_69() -> None:
    url = f"postgresql+psycopg://postgres:secret@127.0.0.1:{_closed_port()}/tessera"
    result = _tessera("tenant", "list", database_url=url)
    assert result.returncode == 69
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: cannot connect to postgresql+psycopg://postgres:***@127.0.0.1:")
    assert "Connection refused" in line
    assert "secret" not in line


def test_debug_shows_the_traceback_before_the_line_and_keeps_the_exit_code() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/tessera"
    result = _tessera("--debug", "tenant", "list", database_url=url)
    assert result.returncode == 69
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert any("psycopg.OperationalError" in line for line in lines)
    assert lines[-1].startswith("error: cannot connect to ")


def test_with_json_a_failure_is_one_document_on_standard_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/tessera"
    monkeypatch.setenv("TESSERA_DATABASE_URL", url)
    result = runner.invoke(app, ["tenant", "list", "--json"])
    assert result.exit_code == 69
    document = json.loads(result.stdout)
    assert document["error"] == "database-unavailable"
    assert document["detail"].startswith("cannot connect to ")


@pytest.mark.parametrize(
    ("url", "start"),
    [
        ("sqlite:///{tmp}/no/such/folder/tessera.db", "error: cannot open the SQLite database"),
        ("not a url", "error: the database URL does not parse"),
        ("mysql://root@localhost/tessera", "error: Tessera runs on SQLite or on PostgreSQL"),
        ("postgresql://u:secret@db:port/tessera", "error: the database URL does not parse"),
        ("postgresql://u:secret@[::1/tessera", "error: the database URL does not parse"),
    ],
)
def test_a_database_url_tessera_cannot_use_is_one_line(
    url: str, start: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESSERA_DATABASE_URL", url.format(tmp=tmp_path))
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 69
    [line] = result.stderr.splitlines()
    assert line.startswith(start)
    assert "secret" not in line


def test_a_bad_setting_is_one_line_naming_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESSERA_DATABASE_URL", f"sqlite:///{tmp_path / 'tessera.db'}")
    monkeypatch.setenv("TESSERA_CATALOG_CACHE_TENANTS", "many")
    result = runner.invoke(app, ["tenant", "list"])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: invalid settings: TESSERA_CATALOG_CACHE_TENANTS: ")


def test_an_unexpected_error_is_one_line_with_exit_code_70_and_a_traceback_with_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise KeyError("revision")

    monkeypatch.setenv("TESSERA_DATABASE_URL", f"sqlite:///{tmp_path / 'tessera.db'}")
    monkeypatch.setattr("runtime.cli.tenants.all_tenants", broken)
    result = runner.invoke(app, ["tenant", "list"])
    assert result.exit_code == 70
    assert result.stderr.splitlines() == [
        "error: internal error (KeyError: 'revision'); run again with --debug for the traceback"
    ]
    debugged = runner.invoke(app, ["--debug", "tenant", "list"])
    assert debugged.exit_code == 70
    assert "Traceback (most recent call last):" in debugged.stderr
    assert "in tenant_list" in debugged.stderr


def test_a_usage_error_is_exit_code_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSERA_DATABASE_URL", f"sqlite:///{tmp_path / 'tessera.db'}")
    result = runner.invoke(app, ["tenant", "create"])
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


def test_a_reader_that_stops_early_gets_no_error_message(tmp_path: Path) -> None:
    environment = {**os.environ, "TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 'tessera.db'}"}
    command = subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "serve", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        text=True,
    )
    assert command.stdout is not None
    command.stdout.close()  # like `| head` once it has its lines
    _, errors = command.communicate(timeout=60)
    assert command.returncode == 1
    assert errors == ""
