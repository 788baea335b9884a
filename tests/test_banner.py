"""What `serve` says at start: the settings loaded, how calls are answered, the real bind address, a first call
that fits the project, and the line it leaves when it stops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from hookdev.cli import main
from hookdev.cli.banner import answering, banner, bind_warning
from hookdev.cli.serve import stopped_line
from hookdev.config import load_settings
from hookdev.receiver.session import Session
from tests.conftest import make_settings


@asynccontextmanager
async def running(settings: Any) -> AsyncIterator[tuple[Session, str, list[tuple[str, str]]]]:
    session = Session(settings)
    notices: list[tuple[str, str]] = []
    session.on_notice(lambda level, message: notices.append((level, message)))
    await session.start()
    try:
        yield session, banner(session, await answering(session)), notices
    finally:
        await session.stop()


def line(text: str, label: str) -> str:
    return next(row for row in text.splitlines() if row.strip().startswith(label))


async def test_templates_and_built_in_defaults(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path)) as (session, text, _):
        assert "built-in defaults" in line(text, "config") and "hookdev init" in line(text, "config")
        assert "templates in" in line(text, "answers") and str(tmp_path / ".hookdev" / "responses") in text
        assert line(text, "try").endswith(f"hookdev send token --to {session.local_url}/tokenHook")
        assert "warning" not in text


async def test_a_saml_scaffold_is_named_and_tried_with_a_saml_call(tmp_path: Path,
                                                                    capsys: Any) -> None:
    assert main(["init", "saml", "--dir", str(tmp_path)]) == 0
    capsys.readouterr()
    settings = load_settings(cwd=tmp_path, environ={}, overrides={("server", "port"): 0})
    async with running(settings) as (session, text, _):
        assert str(tmp_path / "hookdev.toml") in line(text, "config") and ".env" in line(text, "config")
        assert "hooks.py answers saml" in line(text, "answers")
        assert line(text, "try").endswith(f"hookdev send saml --to {session.local_url}/samlHook")


async def test_a_missing_handler_file_is_said_at_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, responses={"handler": "hooks.py"})
    async with running(settings) as (_, text, notices):
        assert "not usable yet" in line(text, "answers")
        assert "hooks.py does not exist" in line(text, "warning") and "500" in line(text, "warning")
        assert any(level == "error" and "does not exist" in message for level, message in notices)


async def test_a_forward_target_says_whether_it_listens(tmp_path: Path) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        up = make_settings(tmp_path, responses={"forward": f"http://127.0.0.1:{port}"})
        async with running(up) as (_, text, _):
            assert line(text, "answers").endswith(f"forwarded to http://127.0.0.1:{port} (it is listening)")
    finally:
        server.close()
        await server.wait_closed()
    down = make_settings(tmp_path, responses={"forward": f"http://127.0.0.1:{port}"})
    async with running(down) as (_, text, _):
        assert "not listening yet" in line(text, "answers")
        assert "502" in line(text, "warning") and f"127.0.0.1:{port}" in line(text, "warning")


async def test_listening_on_every_address_is_warned_about(tmp_path: Path) -> None:
    async with running(make_settings(tmp_path, server={"host": "0.0.0.0"})) as (session, text, _):
        port = session.local_url.rsplit(":", 1)[1]
        assert f"listening on 0.0.0.0:{port}" in line(text, "warning")
        assert "every network" in text and "--host 127.0.0.1" in text


def test_bind_warnings() -> None:
    assert bind_warning("127.0.0.1", 8080) is None and bind_warning("::1", 8080) is None
    assert bind_warning("localhost", 8080) is None
    assert "every network" in (bind_warning("::", 8080) or "")
    assert "192.168.1.20" in (bind_warning("192.168.1.20", 8080) or "")


async def test_the_stopped_line_counts_this_runs_calls(tmp_path: Path) -> None:
    import aiohttp

    from tests.conftest import SAMPLES

    async with running(make_settings(tmp_path, auth={"mode": "none"})) as (session, _, _):
        both = asyncio.Event()
        session.subscribe(lambda ex: both.set() if session.counters.calls == 2 else None)
        async with aiohttp.ClientSession() as http:
            for _ in range(2):
                async with http.post(session.local_url + "/tokenHook", data=(SAMPLES / "token.json").read_bytes()):
                    pass
        await asyncio.wait_for(both.wait(), 30)  # the count follows the commit, on the loop
    assert stopped_line(session) == (f"hookdev stopped: 2 calls recorded this run in {session.store_path} "
                                     "(`hookdev list` shows them)")
