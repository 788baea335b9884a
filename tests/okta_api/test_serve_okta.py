"""End to end: serve --tunnel --okta with the org double and the strict stand-in ngrok agent, as a user runs it.

serve connects the org once the tunnel is up (the double verifies the event hook through the tunnel), Preview
makes the org call the token hook, the exchange is recorded, the System Log is matched to it (by the poller of
serve and by `okta logs`), and stopping serve deactivates the hooks. A second serve comes up at another public
URL and moves the hooks there. The README's two commands are run as written.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from hookdev.receiver.store import Store
from tests import fake_ngrok
from tests.conftest import until
from tests.okta_api.cli import Run, env, hookdev, write_config
from tests.okta_api.conftest import PASSWORD
from tests.okta_double import Org

AUTHTOKEN = "2abcTOKENsecret_0123456789"


async def start_serve(cwd: Path, out: Path, run_env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """serve --headless --json --port 0 --tunnel --okta, its stdout to a file (a pipe nobody drains would stall it)."""
    with out.open("w") as stdout:  # noqa: ASYNC230 - opening a local file to hand to the child
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hookdev", "serve", "--headless", "--json", "--port", "0", "--tunnel", "--okta",
            *args, cwd=cwd, env=run_env, stdout=stdout, stderr=asyncio.subprocess.PIPE)


async def stop_serve(serve: asyncio.subprocess.Process, how: signal.Signals) -> str:
    """Stop serve as a user would (Ctrl-C, a kill, the terminal closing); its stderr, once it has exited 0."""
    if serve.returncode is None:
        serve.send_signal(how)
    _, err = await asyncio.wait_for(serve.communicate(), 60)
    assert serve.returncode == 0, err.decode()
    return err.decode()


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def notices(out: Path, text: str) -> list[str]:
    return [line["message"] for line in lines(out) if line.get("event") == "notice" and text in line["message"]]


def tunnel_url(out: Path) -> str | None:
    return next((x["public_url"] for x in lines(out) if x.get("event") == "tunnel"), None)


def exchanges(out: Path, **fields: Any) -> list[dict[str, Any]]:
    return [x for x in lines(out) if x.get("event") == "exchange" and all(x.get(k) == v for k, v in fields.items())]


def org_config(folder: Path, org: Org) -> None:
    write_config(folder, org.base, PASSWORD, kinds=["token", "event"], events=["user.lifecycle.create"],
                 poll_interval=1.0)
    config = folder / "hookdev.toml"
    agent = fake_ngrok.install(folder / "bin")
    config.write_text(config.read_text() + f'\n[tunnel]\nauthtoken = "{AUTHTOKEN}"\nngrok_path = "{agent}"\n')


async def test_serve_okta_connects_previews_matches_the_log_and_disconnects(tmp_path: Path, org: Org) -> None:
    org_config(tmp_path, org)
    run_env = env(org.token) | {"HOME": str(tmp_path)}
    out = tmp_path / "serve.out"
    runs: list[Run] = []
    serve = await start_serve(tmp_path, out, run_env)
    try:
        public_url = await until(lambda: tunnel_url(out), "the tunnel line", within=60)
        created = await until(lambda: len(notices(out, "okta: created")) == 2 and notices(out, "okta: created"),
                              "both hooks created", within=60)
        # Connected once the tunnel was up: the hooks point at the tunnel, not at 127.0.0.1:<serve's port>.
        assert any("inline hook 'hookdev token'" in n and f"-> {public_url}/tokenHook [ACTIVE]" in n for n in created)
        assert any("event hook 'hookdev event'" in n and f"-> {public_url}/eventHook [ACTIVE, verified]" in n
                   for n in created)
        # Verified: the org's GET came through the tunnel with the Basic credential, and the receiver echoed it.
        event_hook = next(h for h in org.hooks.values() if h.kind == "event")
        assert event_hook.verification == "VERIFIED" and event_hook.uri == f"{public_url}/eventHook"
        [verification] = await until(lambda: exchanges(out, kind="event_verification"), "the verification call")
        assert verification["auth"]["ok"] and verification["status"] == 200 and verification["validation"]["ok"]
        [challenge] = [c for c in org.calls if c["method"] == "GET"]
        assert challenge["uri"].startswith(public_url) and challenge["status"] == 200

        status = await hookdev(tmp_path, "okta", "status", "--json", token=org.token)
        runs.append(status)
        assert sorted((h["kind"], h["status"], h["points_here"]) for h in status.lines()) == [
            ("event", "ACTIVE", True), ("token", "ACTIVE", True)]

        previewed = await hookdev(tmp_path, "okta", "preview", "token", "--json", token=org.token)
        runs.append(previewed)
        assert previewed.rc == 0, previewed.err
        [result] = previewed.lines()
        exchange_id = result["exchange_id"]
        assert (result["ok"], result["okta_status"], result["hook_id"]) == (True, 204, org_hook_id(org, "inline"))
        [recorded] = await until(lambda: exchanges(out, id=exchange_id), "the previewed call's line")
        assert recorded["kind"] == "token" and recorded["auth"]["ok"] and recorded["path"] == "/tokenHook"

        # serve's poller reads the System Log and keeps Okta's events with the exchange they are about.
        store = Store(tmp_path / ".hookdev" / "hookdev.db", readonly=True)
        try:
            kept = await until(lambda: store.okta_events(exchange_id), "the matched System Log event")
        finally:
            store.close()
        assert [e.event_type for e in kept] == ["inline_hook.executed"]
        assert kept[0].event["debugContext"]["debugData"]["requestId"] == org.calls[-1]["headers"]["X-Okta-Request-Id"]
        # Other events (the hooks' creation, the event hook's verification) may be told of first.
        await until(lambda: [n for n in notices(out, "okta log:")
                             if "inline_hook.executed  SUCCESS" in n and f"exchange {exchange_id}" in n],
                    "the log notice of the previewed call")

        # `okta logs` matches the same events, each printed as Okta returned it plus the exchange it is about.
        logs = await hookdev(tmp_path, "okta", "logs", "--since", "5m", "--json", token=org.token)
        runs.append(logs)
        by_type = {e["eventType"]: e for e in logs.lines()}
        assert by_type["inline_hook.executed"]["exchange_id"] == exchange_id
        assert by_type["event_hook.verified"]["exchange_id"] == verification["id"]
        assert "exchange_id" not in by_type["inline_hook.created"]
    finally:
        err = await stop_serve(serve, signal.SIGTERM)
    assert all(h.status == "INACTIVE" for h in org.hooks.values()) and len(org.hooks) == 2
    assert len(notices(out, "okta: deactivated")) == 2
    everything = out.read_text() + err + "".join(r.out + r.err for r in runs)
    assert org.token not in everything and PASSWORD not in everything and AUTHTOKEN not in everything
    assert not (tmp_path / ".hookdev" / "hookdev.db.serve.json").exists()

    # The next serve gets another public URL (a free ngrok URL changes on every start): the hooks follow it.
    again = tmp_path / "again.out"
    serve = await start_serve(tmp_path, again, run_env)
    try:
        moved_to = await until(lambda: tunnel_url(again), "the second tunnel line", within=60)
        assert moved_to != public_url
        updated = await until(lambda: len(notices(again, "okta: updated")) == 2 and notices(again, "okta: updated"),
                              "both hooks moved", within=60)
        assert any(f"-> {moved_to}/tokenHook [ACTIVE]" in n for n in updated)
        assert any(f"-> {moved_to}/eventHook [ACTIVE, verified]" in n for n in updated)
        assert sorted(h.uri for h in org.hooks.values()) == [f"{moved_to}/eventHook", f"{moved_to}/tokenHook"]
        assert len(org.hooks) == 2, "the same hooks, moved: none made twice"
    finally:
        await stop_serve(serve, signal.SIGHUP)  # the terminal closed: the org must stop calling all the same
    assert all(h.status == "INACTIVE" for h in org.hooks.values())
    assert len(notices(again, "okta: deactivated")) == 2


def org_hook_id(org: Org, kind: str) -> str:
    [hook] = [h for h in org.hooks.values() if h.kind == kind]
    return hook.id


async def test_the_readme_s_two_commands_take_a_laptop_to_a_token_hook_okta_calls(tmp_path: Path, org: Org) -> None:
    # README, "Connect your Okta org": the API token and the ngrok authtoken in .env, the agent on PATH, then
    # `hookdev init token --org URL` and `hookdev serve --tunnel --okta` (here headless, JSON and on any free port).
    run_env = env() | {"HOME": str(tmp_path), "PATH": os.pathsep.join([str(fake_ngrok.install(tmp_path / "bin").parent),
                                                                        os.environ.get("PATH", "")])}
    init = await hookdev(tmp_path, "init", "token", "--org", org.base)
    assert init.rc == 0, init.err
    with (tmp_path / ".env").open("a") as dotenv:
        dotenv.write(f"OKTA_API_TOKEN={org.token}\nNGROK_AUTHTOKEN={AUTHTOKEN}\n")
    out = tmp_path / "serve.out"
    serve = await start_serve(tmp_path, out, run_env)
    try:
        public_url = await until(lambda: tunnel_url(out), "the tunnel line", within=60)
        [created] = await until(lambda: notices(out, "okta: created"), "the token hook", within=60)
        assert "inline hook 'hookdev token'" in created and f"-> {public_url}/tokenHook [ACTIVE]" in created
        [hook] = org.hooks.values()
        assert (hook.type, hook.status) == ("com.okta.oauth2.tokens.transform", "ACTIVE")
        assert hook.channel["config"]["authScheme"]["key"] == "Authorization"  # the credential the receiver checks
        previewed = await hookdev(tmp_path, "okta", "preview", "token")  # the README's next step
        assert previewed.rc == 0, previewed.err
        assert "Okta took the answer, and it is valid for a token hook." in previewed.out
        assert exchanges(out, kind="token")[0]["auth"]["ok"]
    finally:
        await stop_serve(serve, signal.SIGINT)  # Ctrl-C
    assert hook.status == "INACTIVE"


async def test_serve_okta_without_the_tunnel_is_a_usage_error(tmp_path: Path, org: Org) -> None:
    write_config(tmp_path, org.base, PASSWORD, kinds=["token"])
    run = await hookdev(tmp_path, "serve", "--headless", "--okta", "--no-tunnel", token=org.token)
    assert run.rc == 2 and "--tunnel" in run.err and org.requests == []
