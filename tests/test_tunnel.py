"""The ngrok tunnel, running the real pyngrok code against a stand-in agent (tests/fake_ngrok/ngrok)."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import stat
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from pyngrok import installer, ngrok
from pyngrok import process as ngrok_process

from hookdev.config import TunnelSettings
from hookdev.errors import TunnelError
from hookdev.tunnel import NgrokTunnel, NoTunnel, TunnelEvent, explain, hook_urls

FAKE_AGENT = Path(__file__).resolve().parent / "fake_ngrok" / "ngrok"
TOKEN = "2abcTOKENsecret_0123456789"


@dataclass
class Agent:
    path: Path
    record: Path
    tmp: Path

    def entries(self, event: str) -> list[dict]:
        if not self.record.exists():
            return []
        lines = self.record.read_text().splitlines()
        return [e for e in map(json.loads, lines) if e["event"] == event]


class Events:
    """Collects tunnel events and remembers which thread delivered them."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[TunnelEvent] = asyncio.Queue()
        self.threads: set[int] = set()
        self.kinds: list[str] = []

    def __call__(self, event: TunnelEvent) -> None:
        self.threads.add(threading.get_ident())
        self.kinds.append(event.kind)
        self.queue.put_nowait(event)

    async def next(self, kind: str) -> TunnelEvent:
        async def wait() -> TunnelEvent:
            while (event := await self.queue.get()).kind != kind:
                pass
            return event

        return await asyncio.wait_for(wait(), timeout=10)


def _reset_pyngrok() -> None:
    for running in list(ngrok_process._current_processes.values()):
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.wait()
    ngrok_process._current_processes.clear()
    ngrok._current_tunnels.clear()
    installer._config_cache.clear()


@pytest.fixture(autouse=True)
def _hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "NGROK_AUTHTOKEN", "NGROK_API_KEY", "PYNGROK_NGROK_PATH"):
        monkeypatch.delenv(name, raising=False)
    _reset_pyngrok()
    yield
    _reset_pyngrok()


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Agent:
    # A wrapper that execs this interpreter on the stand-in: independent of PATH, same pid as the agent.
    wrapper = tmp_path / "bin" / "ngrok"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(FAKE_AGENT))} "$@"\n')
    wrapper.chmod(0o755)
    record = tmp_path / "agent.jsonl"
    monkeypatch.setenv("FAKE_NGROK_RECORD", str(record))
    return Agent(wrapper, record, tmp_path)


def make_tunnel(agent: Agent, **settings: str) -> NgrokTunnel:
    values = {"enabled": True, "authtoken": TOKEN, "ngrok_path": str(agent.path)} | settings
    return NgrokTunnel(TunnelSettings(**values), agent.tmp / ".hookdev", restart_delay=0.05)


def processes_naming(path: Path) -> list[int]:
    """Pids of the live processes whose command line names `path` (Linux /proc; zombies are not running)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            zombie = (entry / "stat").read_text().split(") ", 1)[1].startswith("Z")
            if not zombie and str(path).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
async def hook_app(aiohttp_server):
    received: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"commands": []})

    app = web.Application()
    app.router.add_post("/hooks/token", hook)
    server = await aiohttp_server(app)
    return server, received


async def post(url: str, body: dict) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, await response.text()


async def test_a_hook_reaches_the_local_app_through_the_tunnel(agent: Agent, hook_app) -> None:
    server, received = hook_app
    tunnel = make_tunnel(agent)
    events = Events()
    tunnel.on_event(events)
    url = await tunnel.start(server.port)
    try:
        assert url.startswith("http://127.0.0.1:") and tunnel.public_url == url
        assert "ngrok tunnel" in (await events.next("started")).message
        [hook_url] = hook_urls(url, ["/hooks/token"])
        status, text = await post(hook_url, {"eventType": "com.okta.oauth2.tokens.transform"})
        assert (status, json.loads(text)) == (200, {"commands": []})
        assert received == [{"eventType": "com.okta.oauth2.tokens.transform"}]
    finally:
        await tunnel.stop()


async def test_authtoken_is_in_the_private_config_file_never_on_the_command_line(
    agent: Agent, hook_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyngrok would read NGROK_AUTHTOKEN itself and pass it as --authtoken.
    monkeypatch.setenv("NGROK_AUTHTOKEN", TOKEN)
    tunnel = make_tunnel(agent)
    await tunnel.start(hook_app[0].port)
    try:
        cmdline = (await asyncio.to_thread(Path(f"/proc/{tunnel.agent_pid}/cmdline").read_bytes)).split(b"\0")
        assert TOKEN.encode() not in b" ".join(cmdline) and b"--authtoken" not in cmdline
        assert b"--config" in cmdline and str(tunnel.config_path).encode() in cmdline
        assert stat.S_IMODE(tunnel.config_path.stat().st_mode) == 0o600
        assert TOKEN in tunnel.config_path.read_text()
        [started] = agent.entries("start")
        assert started["config"]["authtoken"] == TOKEN and started["config"]["version"] == "3"
        assert started["config"]["inspect_db_size"] == "-1"
        assert not (agent.tmp / "home" / ".config").exists()
    finally:
        await tunnel.stop()


async def test_domain_region_and_inspection_reach_the_agent(agent: Agent, hook_app) -> None:
    port = hook_app[0].port
    tunnel = make_tunnel(agent, domain="hooks.example.ngrok.app", region="eu")
    await tunnel.start(port)
    try:
        [started] = agent.entries("start")
        assert started["argv"][-2:] == ["--region", "eu"]
        [endpoint] = agent.entries("endpoint")
        assert endpoint["body"]["url"] == "https://hooks.example.ngrok.app"
        assert endpoint["body"]["inspect"] is False
        assert endpoint["body"]["upstream"] == {"url": f"http://127.0.0.1:{port}"}
    finally:
        await tunnel.stop()


async def test_stop_leaves_no_agent_process_and_can_repeat(agent: Agent, hook_app) -> None:
    tunnel = make_tunnel(agent)
    events = Events()
    tunnel.on_event(events)
    url = await tunnel.start(hook_app[0].port)
    pid = tunnel.agent_pid
    assert pid is not None and not gone(pid)
    await tunnel.stop()
    await tunnel.stop()
    assert gone(pid) and tunnel.public_url is None
    await asyncio.sleep(0.1)  # a watcher still running would report the stopped agent as died
    assert events.kinds == ["started"]
    assert ngrok_process._current_processes == {}
    with pytest.raises(aiohttp.ClientConnectionError):
        await post(url + "/hooks/token", {})


async def test_a_crashed_agent_is_reported_and_restarted(agent: Agent, hook_app) -> None:
    server, received = hook_app
    tunnel = make_tunnel(agent)
    events = Events()
    tunnel.on_event(events)
    await tunnel.start(server.port)
    first = tunnel.agent_pid
    assert first is not None
    try:
        os.kill(first, signal.SIGKILL)
        died = await events.next("died")
        assert "exited" in died.message and "restart" in died.message
        restarted = await events.next("restarted")
        assert tunnel.public_url and tunnel.public_url in restarted.message
        assert tunnel.agent_pid not in (None, first) and gone(first)
        status, _ = await post(tunnel.public_url + "/hooks/token", {"after": "restart"})
        assert status == 200 and received == [{"after": "restart"}]
        assert events.threads == {threading.get_ident()}  # delivered on the event loop's thread
    finally:
        second = tunnel.agent_pid
        await tunnel.stop()
    assert second is not None and gone(second)


async def test_a_failed_restart_is_reported_as_an_error_with_advice(agent: Agent, hook_app, monkeypatch) -> None:
    blocker = agent.tmp / "no-more-sessions"
    monkeypatch.setenv("FAKE_NGROK_FAIL_IF_EXISTS", str(blocker))
    tunnel = make_tunnel(agent)
    events = Events()
    tunnel.on_event(events)
    await tunnel.start(hook_app[0].port)
    pid = tunnel.agent_pid
    assert pid is not None
    blocker.touch()
    os.kill(pid, signal.SIGKILL)
    await events.next("died")
    error = await events.next("error")
    assert "ERR_NGROK_108" in error.message and "stop the other ngrok agent" in error.message
    assert tunnel.public_url is None and tunnel.agent_pid is None
    assert ngrok_process._current_processes == {}
    await tunnel.stop()


async def test_a_rejected_authtoken_explains_the_fix_without_echoing_it(agent: Agent) -> None:
    tunnel = make_tunnel(agent, authtoken="bad-token")
    with pytest.raises(TunnelError) as caught:
        await tunnel.start(8080)
    assert caught.value.code == "105"
    assert "dashboard.ngrok.com" in str(caught.value) and "NGROK_AUTHTOKEN" in str(caught.value)
    assert "bad-token" not in str(caught.value) and caught.value.__cause__ is None
    assert [e["pid"] for e in agent.entries("start")] and ngrok_process._current_processes == {}
    assert tunnel.public_url is None


async def test_an_unreserved_domain_explains_the_fix(agent: Agent, hook_app) -> None:
    tunnel = make_tunnel(agent, domain="hooks.unreserved.example")
    with pytest.raises(TunnelError) as caught:
        await tunnel.start(hook_app[0].port)
    assert caught.value.code == "319" and "dashboard.ngrok.com/domains" in caught.value.fix
    [started] = agent.entries("start")
    assert gone(started["pid"]) and ngrok_process._current_processes == {}


async def test_a_silent_agent_times_out_and_is_killed(agent: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_NGROK_SILENT", "1")
    settings = TunnelSettings(enabled=True, authtoken=TOKEN, ngrok_path=str(agent.path))
    tunnel = NgrokTunnel(settings, agent.tmp / ".hookdev", launch_timeout=0.5)
    with pytest.raises(TunnelError, match="did not come up"):
        await tunnel.start(8080)
    # Whether or not the agent got as far as recording its start on a busy machine, none is left running.
    assert ngrok_process._current_processes == {} and processes_naming(tunnel.config_path) == []


async def test_a_missing_authtoken_says_how_to_set_one(agent: Agent) -> None:
    tunnel = make_tunnel(agent, authtoken="")
    with pytest.raises(TunnelError, match="no ngrok authtoken") as caught:
        await tunnel.start(8080)
    assert "NGROK_AUTHTOKEN" in caught.value.fix
    assert agent.entries("start") == [] and not tunnel.config_path.exists()


async def test_a_missing_agent_gives_an_install_hint_and_downloads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads: list[object] = []
    monkeypatch.setattr(installer, "install_ngrok", lambda *a, **k: downloads.append(a))
    monkeypatch.setattr(installer, "_download_file", lambda *a, **k: downloads.append(a))
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    tunnel = NgrokTunnel(TunnelSettings(enabled=True, authtoken=TOKEN), tmp_path / ".hookdev")
    with pytest.raises(TunnelError, match="no ngrok agent found") as caught:
        await tunnel.start(8080)
    assert "ngrok_path" in caught.value.fix and "https://ngrok.com/download" in caught.value.fix
    configured = NgrokTunnel(TunnelSettings(authtoken=TOKEN, ngrok_path=str(tmp_path / "nope")), tmp_path)
    with pytest.raises(TunnelError, match=r"\[tunnel\] ngrok_path"):
        await configured.start(8080)
    assert downloads == []


async def test_an_upstream_the_agent_cannot_reach_becomes_an_error_event(agent: Agent, unused_tcp_port) -> None:
    tunnel = make_tunnel(agent)
    events = Events()
    tunnel.on_event(events)
    url = await tunnel.start(unused_tcp_port)
    try:
        status, _ = await post(url + "/hooks/token", {})
        assert status == 502
        error = await events.next("error")
        assert "ERR_NGROK_8012" in error.message and "still listening" in error.message
    finally:
        await tunnel.stop()


def test_unknown_error_codes_link_to_ngrok_docs() -> None:
    error = explain(RuntimeError("failed to start tunnel: something new.\\n\\nERR_NGROK_9999"))
    assert error.code == "9999" and "https://ngrok.com/docs/errors/err_ngrok_9999" in str(error)
    assert explain(RuntimeError(f"oops {TOKEN}"), TOKEN).fix and TOKEN not in str(explain(RuntimeError(TOKEN), TOKEN))


def test_hook_urls_join_paths_once_each() -> None:
    urls = hook_urls("https://abc.ngrok.app/", ["/hooks/token", "hooks/event", "/hooks/token"])
    assert urls == ["https://abc.ngrok.app/hooks/token", "https://abc.ngrok.app/hooks/event"]
    assert hook_urls("", ["/hooks/token"]) == []


async def test_no_tunnel_has_no_public_url() -> None:
    tunnel = NoTunnel()
    assert await tunnel.start(8080) == "" and tunnel.public_url is None
    await tunnel.stop()
