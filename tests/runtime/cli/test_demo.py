"""`tessera serve --demo` keeps one demo key across restarts instead of issuing a new one."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

from engine.context import EngineContext
from engine.tenancy import authenticate, create_api_key, tenant_keys
from runtime.cli.demo import DEMO_TENANT, default_demo_key_file, ensure_demo_key
from runtime.cli.demo_users import DEMO_USERS


def _active_keys(engine: EngineContext) -> list[str]:
    return [row.id for row in tenant_keys(engine, DEMO_TENANT) if row.revoked_at is None]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_demo_key_is_issued_once_and_reused(
    engine_context: EngineContext, tmp_path: Path
) -> None:
    key_file = tmp_path / "demo-key"
    first = ensure_demo_key(engine_context, key_file=key_file)
    assert first.is_new
    assert key_file.read_text().strip() == first.api_key
    assert _mode(key_file) == 0o600
    credential = authenticate(engine_context, first.api_key)
    assert credential.tenant.name == DEMO_TENANT
    again = ensure_demo_key(engine_context, key_file=key_file)
    assert (again.api_key, again.is_new) == (first.api_key, False)
    assert _active_keys(engine_context) == [credential.key_id]


def test_a_lost_key_file_gets_a_new_key_and_the_old_one_is_revoked(
    engine_context: EngineContext, tmp_path: Path
) -> None:
    key_file = tmp_path / "demo-key"
    old = ensure_demo_key(engine_context, key_file=key_file)
    key_file.unlink()
    new = ensure_demo_key(engine_context, key_file=key_file)
    assert new.is_new and new.api_key != old.api_key
    assert _active_keys(engine_context) == [authenticate(engine_context, new.api_key).key_id]


def test_keys_piled_up_by_earlier_starts_are_revoked_and_others_kept(
    engine_context: EngineContext, tmp_path: Path
) -> None:
    ensure_demo_key(engine_context, key_file=tmp_path / "first")
    piled = [create_api_key(engine_context, DEMO_TENANT, label="make run") for _ in range(3)]
    own = create_api_key(engine_context, DEMO_TENANT, label="ci pipeline")
    labelled_demo = create_api_key(engine_context, DEMO_TENANT, label="demo")
    kept = ensure_demo_key(engine_context, key_file=tmp_path / "first")
    active = set(_active_keys(engine_context))
    kept_id = authenticate(engine_context, kept.api_key).key_id
    assert active == {kept_id, own.id, labelled_demo.id}
    assert not active & {key.id for key in piled}


def test_a_kept_key_that_no_longer_works_is_replaced(
    engine_context: EngineContext, tmp_path: Path
) -> None:
    key_file = tmp_path / "demo-key"
    key_file.write_text("tsk_000000000000_from-a-database-that-was-deleted\n")
    key_file.chmod(0o644)
    replaced = ensure_demo_key(engine_context, key_file=key_file)
    assert replaced.is_new
    assert key_file.read_text().strip() == replaced.api_key
    assert _mode(key_file) == 0o600


def test_a_kept_key_file_readable_by_others_is_made_owner_only(
    engine_context: EngineContext, tmp_path: Path
) -> None:
    key_file = tmp_path / "demo-key"
    ensure_demo_key(engine_context, key_file=key_file)
    key_file.chmod(0o644)
    ensure_demo_key(engine_context, key_file=key_file)
    assert _mode(key_file) == 0o600


def test_a_symbolic_link_in_place_of_the_key_file_or_its_draft_is_never_followed(
    engine_context: EngineContext, tmp_path: Path
) -> None:
    precious = tmp_path / "precious"
    precious.write_text("important\n")
    precious.chmod(0o644)
    key_file = tmp_path / "demo-key"
    (tmp_path / "demo-key.tmp").symlink_to(precious)
    key_file.symlink_to(precious)
    issued = ensure_demo_key(engine_context, key_file=key_file)
    assert issued.is_new
    assert not key_file.is_symlink()
    assert key_file.read_text().strip() == issued.api_key
    assert (precious.read_text(), _mode(precious)) == ("important\n", 0o644)


def test_the_key_file_is_beside_a_sqlite_database_else_in_the_working_directory(
    engine_context: EngineContext, database_url: str, tmp_path: Path
) -> None:
    expected = (
        Path(database_url.removeprefix("sqlite:///") + ".demo-key")
        if database_url.startswith("sqlite")
        else Path.cwd() / "tessera.demo-key"
    )
    assert default_demo_key_file(engine_context) == expected


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _start_demo(directory: Path, log_level: str = "warning") -> list[str]:
    """Run `tessera serve --demo` as `make run` does, return what it printed up to its
    login example (standard output and standard error as a terminal shows them), then
    stop it."""
    environment = {
        **os.environ,
        "TESSERA_DATABASE_URL": "sqlite:///./tessera.db",
        "TESSERA_PORT": str(_free_port()),
        "TESSERA_LOG_LEVEL": log_level,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "serve", "--demo"],
        cwd=directory,
        env={**environment, "PYTHONPATH": str(Path(__file__).parents[3])},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        printed: list[str] = []
        while not printed or not printed[-1].startswith(("log in: ", "error: ")):
            line = server.stdout.readline()
            if not line:
                break
            printed.append(line.rstrip("\n"))
        return printed
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)


def test_serve_demo_prints_the_same_key_on_every_start(tmp_path: Path) -> None:
    # The server line, three about the key, a heading, five users, a login example.
    first = _start_demo(tmp_path)
    second = _start_demo(tmp_path)
    key_file = tmp_path / "tessera.db.demo-key"
    key = key_file.read_text().strip()
    assert first[1] == second[1] == f"demo tenant API key: {key}"
    assert first[2] == f"(a new key, kept in {key_file} for the next starts)"
    assert second[2] == f"(the same key as before, kept in {key_file})"
    assert first[0].startswith("Tessera is serving on http://127.0.0.1:")
    assert first[4:10] == second[4:10]
    assert first[4] == "demo users of tenant demo (the same passwords on every start):"
    assert [line.split()[0] for line in first[5:10]] == [d.email for d in DEMO_USERS]
    assert first[10].startswith("log in: curl -s -X POST http://127.0.0.1:")


def test_a_first_start_prints_the_address_key_and_users_before_any_log_line(
    tmp_path: Path,
) -> None:
    # The default log level: the migrations and the demo's setup say nothing.
    printed = _start_demo(tmp_path, log_level="info")
    assert printed[0].startswith("Tessera is serving on http://127.0.0.1:")
    assert printed[1].startswith("demo tenant API key: tsk_")
    assert printed[10].startswith("log in: curl -s -X POST http://127.0.0.1:")
    assert len(printed) == 11


def test_at_debug_level_a_first_start_shows_each_migration(tmp_path: Path) -> None:
    printed = _start_demo(tmp_path, log_level="debug")
    migrations = [line for line in printed if "alembic" in line and "Running upgrade" in line]
    assert migrations and migrations[0].endswith(
        "-> 0001, System tables: tenants, API keys, objects, fields, revisions."
    )
    serving = next(i for i, line in enumerate(printed) if line.startswith("Tessera is serving"))
    assert printed.index(migrations[-1]) < serving
