"""What `serve` says at start: the settings loaded, how calls are answered, the real bind address, a first call
that fits the project, and the line it leaves when it stops."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from hookdev.cli import main
from hookdev.cli.banner import answering, banner, bind_warning, config_line
from hookdev.cli.serve import stopped_line
from hookdev.config import load_settings
from hookdev.loopback import reachable_host
from hookdev.receiver.session import Session
from tests.conftest import ROOT, make_settings


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
    assert (bind_warning("::", 8080) or "").startswith("listening on [::]:8080: anyone on every network")
    assert (bind_warning("192.168.1.20", 8080) or "").startswith("listening on 192.168.1.20:8080: anyone on the")


def test_a_wildcard_bind_is_reached_through_this_machines_loopback() -> None:
    assert [reachable_host(h) for h in ("0.0.0.0", "::", "", "127.0.0.1", "::1", "localhost", "192.168.1.20")] == [
        "127.0.0.1", "[::1]", "127.0.0.1", "127.0.0.1", "[::1]", "localhost", "192.168.1.20"]


def test_the_config_line_names_the_variables_that_override_the_files(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    environ = {"HOOKDEV_AUTH_MODE": "none", "HOOKDEV_SERVER_PORT": "9000", "HOOKDEV_NOPE_X": "1", "HOME": "/"}
    assert config_line(settings, environ).endswith(
        "; overridden by HOOKDEV_AUTH_MODE, HOOKDEV_SERVER_PORT from the environment")
    assert "overridden" not in config_line(settings, {})


async def test_a_progressive_profile_scaffold_is_tried_with_a_progressive_call(tmp_path: Path, capsys: Any) -> None:
    assert main(["init", "progressive", "--dir", str(tmp_path)]) == 0
    capsys.readouterr()
    settings = load_settings(cwd=tmp_path, environ={}, overrides={("server", "port"): 0})
    async with running(settings) as (session, text, _):
        assert "hooks.py answers /registrationHookPP, registration" in line(text, "answers")
        assert line(text, "try").endswith(
            f"hookdev send registration-progressive --to {session.local_url}/registrationHookPP")


def serve_process(tmp_path: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
    return subprocess.Popen([sys.executable, "-m", "hookdev", "serve", "--port", "0", *argv], cwd=tmp_path,
                            env={**clean, "PYTHONPATH": str(ROOT), **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_headless_serve_says_once_what_is_wrong_then_what_it_recorded(tmp_path: Path) -> None:
    """A missing handler file and a wildcard bind, as a person starting `serve --headless` sees them."""
    proc = serve_process(tmp_path, "--headless", "--host", "0.0.0.0", "--handler", "missing.py",
                         env={"HOOKDEV_AUTH_ENFORCE": "false"})
    try:
        banner_lines: list[str] = []
        while not banner_lines or banner_lines[-1] not in ("", "Ctrl-C to stop.\n"):
            banner_lines.append(proc.stdout.readline())  # type: ignore[union-attr]
        text = "".join(banner_lines)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    port = line(text, "local URL").split()[2].rsplit(":", 1)[1]
    assert line(text, "local URL").strip().startswith(f"local URL    http://127.0.0.1:{port} ")
    assert f"listening on 0.0.0.0:{port}: anyone on every network" in text
    assert "overridden by HOOKDEV_AUTH_ENFORCE from the environment" in line(text, "config")
    assert line(text, "answers").strip() == "answers      missing.py (not usable yet, see the warning)"
    said = (text + out + err).count("missing.py does not exist")
    assert said == 1, f"the missing handler file is said {said} times:\n{text}{out}{err}"
    assert out.strip() == f"hookdev stopped: 0 calls recorded this run in {tmp_path / '.hookdev' / 'hookdev.db'} " \
                          "(`hookdev list` shows them)"


def test_json_serve_reports_a_missing_handler_as_a_notice(tmp_path: Path) -> None:
    """No banner in JSON mode: there the notice is the only word of the missing file."""
    proc = serve_process(tmp_path, "--json", "--handler", "missing.py")
    try:
        assert json.loads(proc.stdout.readline())["event"] == "listening"  # type: ignore[union-attr]
        notice = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert notice["event"] == "notice" and notice["level"] == "error"
    assert "missing.py does not exist" in notice["message"]
    assert "hookdev stopped" not in out, "stdout stays JSON lines"


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
