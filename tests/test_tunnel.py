"""The ngrok tunnel, running the real pyngrok code against a stand-in agent (tests/fake_ngrok/ngrok)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
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
from tests import fake_ngrok

TOKEN = "2abcTOKENsecret_0123456789"
AGENT_ENV = ("FAKE_NGROK_*",)
"""The stand-in's switches reach it as a user's own variables would: through [tunnel] agent_env."""


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

        return await asyncio.wait_for(wait(), timeout=30)  # bounds a failure only


def agent_running(agent: Agent) -> bool:
    """Whether pyngrok still counts an agent of this path as running (its public view of its processes)."""
    return ngrok_process.is_process_running(str(agent.path))


@pytest.fixture(autouse=True)
def _hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "NGROK_AUTHTOKEN", "NGROK_API_KEY", "PYNGROK_NGROK_PATH"):
        monkeypatch.delenv(name, raising=False)
    # Every test has its own agent path, config file and HOME, so pyngrok's per-path state never carries over.


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Agent]:
    wrapper = fake_ngrok.install(tmp_path / "bin")
    record = tmp_path / "agent.jsonl"
    monkeypatch.setenv("FAKE_NGROK_RECORD", str(record))
    yield Agent(wrapper, record, tmp_path)
    ngrok_process.kill_process(str(wrapper))  # whatever a failed test left running


def make_tunnel(agent: Agent, **settings: str) -> NgrokTunnel:
    values = {"enabled": True, "authtoken": TOKEN, "ngrok_path": str(agent.path)} | settings
    return NgrokTunnel(TunnelSettings(**values, agent_env=AGENT_ENV), agent.tmp / ".hookdev", restart_delay=0.05)


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


def nothing_installed() -> bool:
    """pyngrok's own install place (under this test's HOME) holds no downloaded agent."""
    return not Path(installer.get_default_ngrok_dir()).exists()


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
        # Parsed as YAML by the strict double, which accepts only documented v3 fields.
        assert started["config"] == {"version": 3, "agent": {"authtoken": TOKEN, "inspect_db_size": -1,
                                                             "update_check": False}}
        assert not (agent.tmp / "home" / ".config").exists()
    finally:
        await tunnel.stop()


async def test_domain_and_region_reach_the_agent_and_the_region_is_called_deprecated(agent: Agent, hook_app) -> None:
    port = hook_app[0].port
    tunnel = make_tunnel(agent, domain="hooks.example.ngrok.app", region="eu")
    events = Events()
    tunnel.on_event(events)
    await tunnel.start(port)
    try:
        [started] = agent.entries("start")
        assert started["argv"][-2:] == ["--region", "eu"]
        [endpoint] = agent.entries("endpoint")
        # Only documented endpoint fields: inspection is off agent-wide (inspect_db_size: -1), not per endpoint.
        assert endpoint["body"] == {"name": f"hookdev-{port}", "url": "https://hooks.example.ngrok.app",
                                    "upstream": {"url": f"http://127.0.0.1:{port}"}}
        warning = await events.next("warning")
        assert "region = 'eu' is deprecated in ngrok v3" in warning.message
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
    # Events cross from other threads through call_soon_threadsafe: one turn of the loop delivers any already sent.
    await asyncio.sleep(0)
    assert events.kinds == ["started"]  # a watcher still running would have reported the stopped agent as died
    assert not agent_running(agent)
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
    assert not agent_running(agent)
    await tunnel.stop()


async def test_a_rejected_authtoken_explains_the_fix_without_echoing_it(agent: Agent) -> None:
    tunnel = make_tunnel(agent, authtoken="bad-token")
    with pytest.raises(TunnelError) as caught:
        await tunnel.start(8080)
    assert caught.value.code == "105"
    assert "dashboard.ngrok.com" in str(caught.value) and "NGROK_AUTHTOKEN" in str(caught.value)
    assert "bad-token" not in str(caught.value) and caught.value.__cause__ is None
    assert [e["pid"] for e in agent.entries("start")] and not agent_running(agent)
    assert tunnel.public_url is None


async def test_an_unreserved_domain_explains_the_fix(agent: Agent, hook_app) -> None:
    tunnel = make_tunnel(agent, domain="hooks.unreserved.example")
    with pytest.raises(TunnelError) as caught:
        await tunnel.start(hook_app[0].port)
    assert caught.value.code == "319" and "dashboard.ngrok.com/domains" in caught.value.fix
    [started] = agent.entries("start")
    assert gone(started["pid"]) and not agent_running(agent)


# 0: the time runs out before the agent is even started, so hookdev must find it once it is.
@pytest.mark.parametrize("launch_timeout", [0, 0.5])
async def test_a_silent_agent_times_out_and_is_killed(agent: Agent, monkeypatch: pytest.MonkeyPatch,
                                                      launch_timeout: float) -> None:
    monkeypatch.setenv("FAKE_NGROK_SILENT", "1")
    settings = TunnelSettings(enabled=True, authtoken=TOKEN, ngrok_path=str(agent.path), agent_env=AGENT_ENV)
    tunnel = NgrokTunnel(settings, agent.tmp / ".hookdev", launch_timeout=launch_timeout)
    with pytest.raises(TunnelError, match="did not come up"):
        await tunnel.start(8080)
    # Killed wherever it had got to (the launcher, or the agent recording its start): none is left running.
    assert all(gone(started["pid"]) for started in agent.entries("start"))
    assert not agent_running(agent) and processes_naming(tunnel.config_path) == []
    assert not tunnel.pid_path.exists()


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
    monkeypatch.setattr(ngrok, "install_ngrok", lambda *a, **k: downloads.append(a))
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
    assert downloads == [] and nothing_installed()


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


# --- What a real agent does, through the strict double -----------------------------------------------------------
def api_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def api_post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def test_the_double_answers_url_and_refuses_undocumented_endpoint_fields(agent: Agent, hook_app) -> None:
    tunnel = make_tunnel(agent)
    await tunnel.start(hook_app[0].port)
    try:
        [web] = agent.entries("web")
        assert web["pid"] == tunnel.agent_pid
        api = f"http://{web['addr']}/api/endpoints"
        status, listed = await asyncio.to_thread(api_json, api)
        [endpoint] = listed["endpoints"]
        assert status == 200 and endpoint["url"] == tunnel.public_url and "public_url" not in endpoint
        status, refused = await asyncio.to_thread(
            api_post, api, {"name": "x", "upstream": {"url": "http://localhost:1"}, "inspect": False})
        assert status == 400 and "unknown field 'inspect'" in refused["details"]["err"]
    finally:
        await tunnel.stop()


async def test_a_config_field_the_agent_does_not_know_is_quoted_from_its_error_lines(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hookdev import tunnel as tunnel_module

    written = tunnel_module.write_agent_config

    def with_an_undocumented_field(path: Path, authtoken: str) -> None:
        written(path, authtoken)
        path.write_text(path.read_text() + "  inspect: false\n")

    monkeypatch.setattr(tunnel_module, "write_agent_config", with_an_undocumented_field)
    tunnel = make_tunnel(agent)
    with pytest.raises(TunnelError) as caught:
        await tunnel.start(8080)
    message = str(caught.value)
    assert message.startswith(f"the ngrok agent did not start: Error reading configuration file '{tunnel.config_path}'")
    assert "field inspect not found" in message and "unable to start" not in message
    assert "agent/config/v3" in caught.value.fix and TOKEN not in message
    assert not agent_running(agent)


@pytest.mark.parametrize("version", ["2.3.41", "3.16.1", "3.29.0"])
async def test_an_agent_older_than_3_30_is_refused_at_once(agent: Agent, monkeypatch: pytest.MonkeyPatch,
                                                           version: str) -> None:
    monkeypatch.setenv("FAKE_NGROK_VERSION", version)
    tunnel = make_tunnel(agent)
    with pytest.raises(TunnelError) as caught:
        await tunnel.start(8080)
    assert str(caught.value).startswith(f"found ngrok {version} ({agent.path}); hookdev needs 3.30 or newer")
    assert "run `ngrok update`" in caught.value.fix
    assert [e["argv"] for e in agent.entries("version")] == [["--version"]]
    assert agent.entries("start") == [], "the agent is never started, so nothing waits for it"


async def test_agent_3_30_is_the_first_that_works(agent: Agent, monkeypatch: pytest.MonkeyPatch, hook_app) -> None:
    monkeypatch.setenv("FAKE_NGROK_VERSION", "3.30.0")
    tunnel = make_tunnel(agent)
    try:
        url = await tunnel.start(hook_app[0].port)
        status, _ = await post(url + "/hooks/token", {"eventType": "com.okta.oauth2.tokens.transform"})
        assert status == 200
    finally:
        await tunnel.stop()


def test_before_3_30_the_double_has_no_endpoints_api(agent: Agent, tmp_path: Path) -> None:
    # Why item 8 matters: pyngrok 9 waits for /api/endpoints, which such an agent answers with 404.
    config = tmp_path / "agent.yml"
    config.write_text(f"version: 3\nagent:\n  authtoken: {TOKEN}\n")
    env = {**os.environ, "FAKE_NGROK_VERSION": "3.29.0"}
    proc = subprocess.Popen([str(agent.path), "start", "--none", "--log", "stdout", "--config", str(config)],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        addr = next(line.split("addr=")[1].split()[0] for line in proc.stdout if "starting web service" in line)
        assert api_json(f"http://{addr}/api/endpoints")[0] == 404
        assert api_json(f"http://{addr}/api/tunnels")[0] == 200
    finally:
        proc.kill()
        proc.wait()


async def test_something_that_is_not_an_agent_is_named(tmp_path: Path) -> None:
    impostor = tmp_path / "ngrok"
    impostor.write_text("#!/bin/sh\necho 'usage: not-ngrok [options]'\n")
    impostor.chmod(0o755)
    tunnel = NgrokTunnel(TunnelSettings(enabled=True, authtoken=TOKEN, ngrok_path=str(impostor)), tmp_path / "s")
    with pytest.raises(TunnelError, match=r"does not look like the ngrok agent: `--version` printed 'usage: not-ngrok"):
        await tunnel.start(8080)


async def test_offline_the_agent_is_reported_as_unable_to_reach_ngrok(agent: Agent,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_NGROK_OFFLINE", "1")
    settings = TunnelSettings(enabled=True, authtoken=TOKEN, ngrok_path=str(agent.path), agent_env=AGENT_ENV)
    # pyngrok gives up after startup_timeout, counted from the agent's launch: long enough for a loaded machine
    # to start the stand-in and read its first failure line, which is what the message is made of.
    tunnel = NgrokTunnel(settings, agent.tmp / ".hookdev", startup_timeout=3)
    with pytest.raises(TunnelError) as caught:
        await tunnel.start(8080)
    message = str(caught.value)
    assert message.startswith("cannot reach ngrok's servers (network or proxy): ")
    assert "dial tcp: lookup connect.ngrok-agent.com" in message
    assert "proxy or firewall" in caught.value.fix and "v3" not in caught.value.fix
    [started] = agent.entries("start")
    assert gone(started["pid"]) and not agent_running(agent)


def test_network_failures_are_told_apart_from_error_codes() -> None:
    from pyngrok.exception import PyngrokNgrokError, PyngrokNgrokURLError
    from pyngrok.log import NgrokLog

    offline = PyngrokNgrokError("The ngrok process errored on start: dial tcp: i/o timeout.", [
        NgrokLog('t=1 lvl=eror msg="failed to reconnect session" obj=csess id=1 err="dial tcp: i/o timeout"')])
    assert str(explain(offline)).startswith("cannot reach ngrok's servers (network or proxy): dial tcp: i/o timeout")
    # A session refused for its authtoken also says "failed to reconnect session": the code wins.
    refused = PyngrokNgrokError("errored", [NgrokLog(
        't=1 lvl=eror msg="failed to reconnect session" obj=csess err="The authtoken ... \\r\\n\\r\\nERR_NGROK_105"')])
    assert explain(refused).code == "105"
    # pyngrok failing to reach the agent's own local API is not ngrok's servers being out of reach.
    local = PyngrokNgrokURLError("ngrok client exception, URLError: [Errno 111] Connection refused", "refused")
    assert str(explain(local)).startswith("ngrok failed: ngrok client exception")


# errors/err_ngrok_314.mdx: "Only paid plans may create endpoints with custom hostnames" (upgrade to Pro or
# Pay-as-you-go); err_ngrok_315.mdx: "Wildcard domains are a feature reserved for ngrok's Pay-as-you-go plan".
@pytest.mark.parametrize(("domain", "code", "says", "upgrade"), [
    ("hooks.custom-host.example.com", "314", "a custom hostname (a domain of your own) needs a paid ngrok plan",
     "https://dashboard.ngrok.com/billing/choose-a-plan,"),
    ("*.hooks.example.ngrok.app", "315", "wildcard domains need ngrok's Pay-as-you-go plan",
     "https://dashboard.ngrok.com/billing/choose-a-plan?plan=paygo"),
])
async def test_plan_errors_get_the_advice_of_ngrok_docs(agent: Agent, hook_app, domain: str, code: str,
                                                        says: str, upgrade: str) -> None:
    tunnel = make_tunnel(agent, domain=domain)
    with pytest.raises(TunnelError) as caught:
        await tunnel.start(hook_app[0].port)
    assert caught.value.code == code and says in str(caught.value)
    assert upgrade in caught.value.fix and "dashboard.ngrok.com/domains" in caught.value.fix
    assert "reserve the domain" not in caught.value.fix  # reserving it does not lift a plan limit


# --- pyngrok's own `ngrok` command is never taken for the agent -----------------------------------------------
@pytest.fixture
def pyngrok_script(tmp_path: Path) -> Path:
    """A copy of the `ngrok` console script pip installs with pyngrok (it would download the agent)."""
    script = tmp_path / "venv-bin" / "ngrok"
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\nimport re\nimport sys\nfrom pyngrok.ngrok import main\n"
                      "if __name__ == '__main__':\n    sys.exit(main())\n")
    script.chmod(0o755)
    return script


async def test_pyngrok_s_ngrok_command_on_path_is_skipped(agent: Agent, pyngrok_script: Path, hook_app,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", os.pathsep.join([str(pyngrok_script.parent), str(agent.path.parent)]))
    tunnel = make_tunnel(agent, ngrok_path="")
    try:
        await tunnel.start(hook_app[0].port)
        [started] = agent.entries("start")
        assert tunnel.agent_pid == started["pid"]
    finally:
        await tunnel.stop()


async def test_with_only_pyngrok_s_command_the_agent_is_not_installed(
    tmp_path: Path, pyngrok_script: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads: list[object] = []
    monkeypatch.setattr(installer, "install_ngrok", lambda *a, **k: downloads.append(a))
    monkeypatch.setattr(ngrok, "install_ngrok", lambda *a, **k: downloads.append(a))
    monkeypatch.setenv("PATH", str(pyngrok_script.parent))
    tunnel = NgrokTunnel(TunnelSettings(enabled=True, authtoken=TOKEN), tmp_path / ".hookdev")
    with pytest.raises(TunnelError) as caught:
        await tunnel.start(8080)
    assert str(caught.value).startswith(f"the ngrok agent is not installed: {pyngrok_script} is pyngrok's `ngrok`")
    assert "ngrok_path" in caught.value.fix
    configured = NgrokTunnel(TunnelSettings(authtoken=TOKEN, ngrok_path=str(pyngrok_script)), tmp_path)
    with pytest.raises(TunnelError, match="is pyngrok's `ngrok` command"):
        await configured.start(8080)
    assert downloads == [] and nothing_installed()


# --- An agent left behind by a killed hookdev is stopped on the next start -----------------------------------
def sleeper() -> subprocess.Popen:
    return subprocess.Popen(["sleep", "30"])


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def leftover_agent(agent: Agent, config: Path) -> subprocess.Popen:
    """An agent started with hookdev's config, running on its own as one would after hookdev was SIGKILLed."""
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"version: 3\nagent:\n  authtoken: {TOKEN}\n")
    proc = subprocess.Popen([str(agent.path), "start", "--none", "--log", "stdout", "--config", str(config)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    next(line for line in proc.stdout if "tunnel session started" in line)
    return proc


async def test_a_leftover_agent_is_stopped_before_a_new_one_starts(agent: Agent, hook_app) -> None:
    tunnel = make_tunnel(agent)
    events = Events()
    tunnel.on_event(events)
    old = leftover_agent(agent, tunnel.config_path)
    tunnel.pid_path.write_text(json.dumps({"pid": old.pid, "owner": dead_pid()}))
    try:
        await tunnel.start(hook_app[0].port)
        assert await asyncio.to_thread(old.wait, 10) is not None, "the leftover was stopped"
        assert f"stopped the ngrok agent (pid {old.pid})" in (await events.next("warning")).message
        assert json.loads(tunnel.pid_path.read_text())["pid"] == tunnel.agent_pid != old.pid
        await tunnel.stop()
        assert not tunnel.pid_path.exists()
    finally:
        old.kill()
        old.wait()


async def test_what_the_pid_file_names_is_left_alone_unless_it_is_an_orphaned_agent(agent: Agent, hook_app) -> None:
    tunnel = make_tunnel(agent)
    events = Events()
    tunnel.on_event(events)
    tunnel.config_path.parent.mkdir(parents=True)
    unrelated = sleeper()
    sibling = leftover_agent(agent, agent.tmp / "other" / "ngrok.yml")
    try:
        # A pid reused by another program, then the agent of a hookdev that is still running: neither is touched.
        for pid, owner in ((unrelated.pid, dead_pid()), (sibling.pid, os.getppid())):
            tunnel.pid_path.write_text(json.dumps({"pid": pid, "owner": owner}))
            await tunnel.start(hook_app[0].port)
            await tunnel.stop()
        assert unrelated.poll() is None and sibling.poll() is None
        await asyncio.sleep(0)  # one turn of the loop delivers any event already sent from another thread
        assert "warning" not in events.kinds
    finally:
        for proc in (unrelated, sibling):
            proc.kill()
            proc.wait()
