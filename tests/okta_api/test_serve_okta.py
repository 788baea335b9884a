"""End to end: serve --tunnel --okta with the org double and the stand-in ngrok agent, as a user runs it.

serve connects the org once the tunnel is up (the double verifies the event hook through the tunnel), Preview
makes the org call the token hook, the exchange is recorded, the System Log poller matches Okta's events to it,
and stopping serve deactivates the hooks.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

from hookdev.receiver.store import Store
from tests.conftest import ROOT, until
from tests.okta_api.cli import env, hookdev, write_config
from tests.okta_api.conftest import PASSWORD
from tests.okta_double import Org

FAKE_AGENT = ROOT / "tests" / "fake_ngrok" / "ngrok"


def agent_wrapper(folder: Path) -> Path:
    wrapper = folder / "bin" / "ngrok"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(FAKE_AGENT))} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


async def start_serve(cwd: Path, out: Path, run_env: dict[str, str]) -> asyncio.subprocess.Process:
    """serve --headless --json --tunnel --okta, its stdout to a file (a pipe nobody drains would stall it)."""
    with out.open("w") as stdout:  # noqa: ASYNC230 - opening a local file to hand to the child
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hookdev", "serve", "--headless", "--json", "--port", "0", "--tunnel", "--okta",
            cwd=cwd, env=run_env, stdout=stdout, stderr=asyncio.subprocess.PIPE)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def notices(out: Path, text: str) -> list[str]:
    return [line["message"] for line in lines(out) if line.get("event") == "notice" and text in line["message"]]


async def test_serve_okta_connects_previews_matches_the_log_and_disconnects(tmp_path: Path, org: Org) -> None:
    write_config(tmp_path, org.base, PASSWORD, kinds=["token", "event"], events=["user.lifecycle.create"],
                 poll_interval=1.0)
    config = tmp_path / "hookdev.toml"
    tunnel = f'\n[tunnel]\nauthtoken = "2abcTOKENsecret_0123456789"\nngrok_path = "{agent_wrapper(tmp_path)}"\n'
    config.write_text(config.read_text() + tunnel)
    out = tmp_path / "serve.out"
    serve = await start_serve(tmp_path, out, env(org.token) | {"HOME": str(tmp_path)})
    try:
        public = (await until(lambda: [x for x in lines(out) if x.get("event") == "tunnel"], "the tunnel line", 30))[0]
        public_url = public["public_url"]
        connected = await until(lambda: len(notices(out, "okta: created")) == 2 and notices(out, "okta: created"),
                                "the connect notices", 30)
        assert any("inline hook 'hookdev token'" in n and f"{public_url}/tokenHook" in n for n in connected)
        assert any("event hook 'hookdev event'" in n and ", verified" in n for n in connected)
        event_hook = next(h for h in org.hooks.values() if h.kind == "event")
        assert event_hook.verification == "VERIFIED" and event_hook.uri == f"{public_url}/eventHook"

        previewed = await hookdev(tmp_path, "okta", "preview", "token", "--json", token=org.token)
        assert previewed.rc == 0, previewed.err
        [result] = previewed.lines()
        exchange_id = result["exchange_id"]
        assert result["ok"] and exchange_id
        recorded = await until(lambda: [x for x in lines(out) if x.get("id") == exchange_id], "the exchange line", 30)
        assert recorded[0]["kind"] == "token" and recorded[0]["auth"]["ok"]

        store = Store(tmp_path / ".hookdev" / "hookdev.db")
        try:
            kept = await until(lambda: store.okta_events(exchange_id), "the matched System Log event", 30)
        finally:
            store.close()
        assert [e.event_type for e in kept] == ["inline_hook.executed"]
        # Other events (the hooks' creation, the event hook's verification) may be told of first.
        await until(lambda: [n for n in notices(out, "okta log:")
                             if "inline_hook.executed  SUCCESS" in n and f"exchange {exchange_id}" in n],
                    "the log notice of the previewed call", 30)
        assert kept[0].event["debugContext"]["debugData"]["requestId"] == org.calls[-1]["headers"]["X-Okta-Request-Id"]
    finally:
        if serve.returncode is None:
            serve.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(serve.communicate(), 30)
    assert serve.returncode == 0, err.decode()
    assert all(h.status == "INACTIVE" for h in org.hooks.values()) and len(org.hooks) == 2
    assert len(notices(out, "okta: deactivated")) == 2
    everything = out.read_text() + err.decode()
    assert org.token not in everything and PASSWORD not in everything
    assert not (tmp_path / ".hookdev" / "hookdev.db.serve.json").exists()


async def test_serve_okta_without_the_tunnel_is_a_usage_error(tmp_path: Path, org: Org) -> None:
    write_config(tmp_path, org.base, PASSWORD, kinds=["token"])
    run = await hookdev(tmp_path, "serve", "--headless", "--okta", "--no-tunnel", token=org.token)
    assert run.rc == 2 and "--tunnel" in run.err and org.requests == []
