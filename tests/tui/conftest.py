"""A real serve (in a thread of its own) for the inspector to attach to, and fixed exchanges to show."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TextArea

from hookdev.control.client import ControlClient
from hookdev.models import AuthVerdict, Exchange, Problem, RequestSnapshot, ResponseSnapshot, Timing, Validation
from hookdev.receiver.session import Session
from hookdev.receiver.store import Store
from hookdev.tui.app import HookdevApp
from hookdev.tui.link import ServeLink
from tests.conftest import SAMPLES, make_settings, until

T0 = 1767268800.0  # 2026-01-01 12:00:00 UTC
BASIC = "Basic YWRtaW46c3VwZXJzZWNyZXQ="


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    # Times in the list are local times: pin the zone so snapshots do not depend on the machine.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def sample(name: str) -> bytes:
    return (SAMPLES / f"{name}.json").read_bytes()


def ex(n: int, kind: str, path: str, *, body: bytes = b"", method: str = "POST", status: int = 200,
       resp: Any = None, auth: AuthVerdict | None = None, problems: tuple[Problem, ...] = (), ms: float = 1.5,
       replay_of: str | None = None, headers: tuple[tuple[str, str], ...] | None = None, skipped: str | None = None,
       outcome: str = "", **extra: Any) -> Exchange:
    """Exchange number n, at T0 + n seconds, with a fixed id."""
    grade = "slow" if ms > 2400 else "ok"
    return Exchange(
        id=f"0000000000{n:03d}",
        time=T0 + n,
        kind=kind,  # type: ignore[arg-type]
        request=RequestSnapshot(method=method, path=path, body=body, remote="127.0.0.1",
                                headers=headers or (("Content-Type", "application/json"), ("Authorization", BASIC))),
        response=ResponseSnapshot(status=status, headers=(("Content-Type", "application/json"),) if resp else (),
                                  body=json.dumps(resp).encode() if resp is not None else b""),
        auth=auth or AuthVerdict(scheme="basic", ok=True),
        validation=Validation(ok=not problems, problems=problems, timing=Timing(ms, grade=grade),  # type: ignore[arg-type]
                              skipped=skipped, outcome=outcome),
        duration_ms=ms,
        replay_of=replay_of,
        **extra,
    )


def mixed() -> list[Exchange]:
    """One of each situation the inspector must make obvious."""
    expired_claims = {"ver": 1, "iss": "http://127.0.0.1:8080/oauth2/default", "aud": "api://default",
                      "iat": int(T0 - 7200), "exp": int(T0 - 3600), "cid": "okta-hooks", "scp": ["okta.hooks"]}
    bearer = (("Content-Type", "application/json"), ("Authorization", "Bearer eyJraWQiOiJrMSJ9.eyJzdWIiOiJ4In0.c2ln"))
    bad_patch = {"commands": [{"type": "com.okta.identity.patch",
                               "value": [{"op": "replace", "path": "/claims/iss", "value": "x"}]}]}
    return [
        ex(1, "event_verification", "/userDeactivated", method="GET", resp={"verification": "abc"}, ms=0.2,
           outcome="VERIFIED",
           headers=(("X-Okta-Verification-Challenge", "abc"), ("Authorization", BASIC))),
        ex(2, "event", "/userDeactivated", body=sample("event"), ms=0.9),
        ex(3, "registration", "/registrationHook", body=sample("registration-ssr"), outcome="ALLOW",
           resp={"commands": [{"type": "com.okta.action.update", "value": {"registration": "ALLOW"}}]}),
        ex(4, "token", "/tokenHook", body=sample("token"), status=204, ms=2.4, headers=bearer, outcome="NO CHANGE",
           auth=AuthVerdict(scheme="oauth", ok=True, token_header={"kid": "k1", "alg": "RS256"},
                            claims={**expired_claims, "iat": int(T0), "exp": int(T0 + 3600)})),
        ex(5, "token", "/tokenHook", body=sample("token"), status=401, ms=0.6, headers=bearer,
           resp={"error": "unauthorized", "reason": "expired"}, source="auth", error="auth refused: expired",
           skipped="hookdev refused the call (401, auth expired): fix the credential Okta sends, not the answer",
           auth=AuthVerdict(scheme="oauth", ok=False, reason="expired", token_header={"kid": "k1", "alg": "RS256"},
                            claims=expired_claims, detail="the token expired 1 h ago (exp 2026-01-01T11:00:00Z); "
                            "Okta fetches a new one: check the clock, or the token lifetime")),
        ex(6, "token", "/tokenHookBuggy", body=sample("token"), resp=bad_patch, source="handler",
           log="rewriting the iss claim of the ID token\n",
           problems=(Problem("$.commands[0].value[0].path", "'iss' is a reserved claim and cannot be changed",
                             "Okta ignores the whole answer and issues the token unmodified"),)),
        ex(7, "password_import", "/passwordImport", body=sample("password-import"), outcome="VERIFIED",
           resp={"commands": [{"type": "com.okta.action.update", "value": {"credential": "VERIFIED"}}]}),
        ex(8, "token", "/tokenHook", body=sample("token"), status=204, replay_of="0000000000004", outcome="NO CHANGE"),
    ]


class ServeThread:
    """A real Session (receiver on port 0, store, control channel) on an event loop of its own thread.

    It stands where `hookdev serve` stands for a real inspector: in another loop, reached only over the control
    channel and the store, so the inspector under test runs exactly as it does beside a real serve.
    """

    def __init__(self, settings: Any, exchanges: list[Exchange] = ()) -> None:  # type: ignore[assignment]
        self.settings = settings
        self.store_path = settings.path(settings.server.store)
        if exchanges:
            store = Store(self.store_path)
            store.add_many(exchanges)
            store.close()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="serve-thread", daemon=True)
        self.thread.start()
        self.session = Session(settings)
        self.run(self.session.start())

    def run(self, coro: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the serve's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call_soon(self, fn: Any, *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    @property
    def url(self) -> str:
        return self.session.local_url

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> int:
        """A call to the receiver, as Okta would make it (blocking; run it with asyncio.to_thread in a test)."""
        request = urllib.request.Request(self.url + path, data=body, method="POST",
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    def stop(self) -> None:
        try:
            self.run(self.session.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


PORT = re.compile(r"127\.0\.0\.1:\d+")


def _fixed(state: dict[str, Any]) -> dict[str, Any]:
    """The serve's state with its port shown as 8080, so snapshots do not depend on the port drawn."""
    return {k: PORT.sub("127.0.0.1:8080", v) if isinstance(v, str) else
            [PORT.sub("127.0.0.1:8080", u) for u in v] if k == "hook_urls" else v for k, v in state.items()}


class FixedPortClient(ControlClient):
    """The real control client; only the URLs it reports show port 8080 (for snapshots)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.state = _fixed(self.state)

    async def events(self) -> Any:
        async for event in super().events():
            if event.get("event") == "state":
                event = {**event, "state": _fixed(event["state"])}
            yield event


def link_to(serve: ServeThread, *, fixed_port: bool = True) -> ServeLink:
    connect = FixedPortClient.connect if fixed_port else ControlClient.connect
    return ServeLink(serve.store_path, connect=connect)


class RecordingApp(HookdevApp):
    """The inspector, keeping the text of every notification it shows, for tests to read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notified: list[str] = []
        self.animation_level = "none"  # a tab's underline mid-slide would make snapshots depend on timing

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.notified.append(message)
        super().notify(message, *args, **kwargs)


def app_for(serve: ServeThread, **kwargs: Any) -> RecordingApp:
    return RecordingApp(link_to(serve), **kwargs)


def start_serve(tmp_path: Path, exchanges: list[Exchange] = (), **auth: Any) -> ServeThread:  # type: ignore[assignment]
    settings = make_settings(tmp_path, auth={"mode": "basic", **auth}, server={"store": str(tmp_path / "store.db")})
    return ServeThread(settings, list(exchanges))


@pytest.fixture
def serve(tmp_path: Path) -> Any:
    s = start_serve(tmp_path, mixed())
    yield s
    s.stop()


async def settle(pilot: Any) -> None:
    """Let the attach, the loads and the arrivals finish; workers waiting on a dialog are left waiting."""
    app = pilot.app
    await until(lambda: app.main.link_state != "starting", "the inspector to attach")
    for _ in range(3):
        await pilot.pause()
        await until(lambda: not app.main.detail.settling, "the selected call's tabs to be drawn")
        busy = [w for w in app.workers if w.group not in ("prompt", "link") and not w.is_finished]
        if busy:
            await app.workers.wait_for_complete(busy)
    # The list scrolls to the selected row again once its new size is laid out (a refresh later): wait for it.
    await until(lambda: app.main.table.revealed, "the list to scroll to the selected call")
    for area in app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


async def arrivals(pilot: Any, count: int) -> None:
    """Wait until the list holds `count` rows (arrivals are read in batches)."""
    await until(lambda: pilot.app.main.table.row_count == count, f"{count} rows in the list")
    await settle(pilot)
