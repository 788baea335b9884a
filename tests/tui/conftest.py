"""A Session stand-in with fixed URLs, a real store and real templates, and fixed exchanges for the inspector."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hookdev.answers.breakpoints import BreakpointResponder
from hookdev.answers.responders import DefaultResponder
from hookdev.answers.templates import TemplateBook
from hookdev.models import AuthVerdict, Exchange, Problem, RequestSnapshot, ResponseSnapshot, Timing, Validation
from hookdev.receiver.session import EXAMPLE_PATHS, Counters
from hookdev.receiver.store import Store
from tests.conftest import SAMPLES, make_settings

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
       replay_of: str | None = None, headers: tuple[tuple[str, str], ...] | None = None, **extra: Any) -> Exchange:
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
        validation=Validation(ok=not problems, problems=problems, timing=Timing(ms, grade=grade)),  # type: ignore[arg-type]
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
           headers=(("X-Okta-Verification-Challenge", "abc"), ("Authorization", BASIC))),
        ex(2, "event", "/userDeactivated", body=sample("event"), ms=0.9),
        ex(3, "registration", "/registrationHook", body=sample("registration-ssr"),
           resp={"commands": [{"type": "com.okta.action.update", "value": {"registration": "ALLOW"}}]}),
        ex(4, "token", "/tokenHook", body=sample("token"), status=204, ms=2.4, headers=bearer,
           auth=AuthVerdict(scheme="oauth", ok=True, token_header={"kid": "k1", "alg": "RS256"},
                            claims={**expired_claims, "iat": int(T0), "exp": int(T0 + 3600)})),
        ex(5, "token", "/tokenHook", body=sample("token"), status=401, ms=0.6, headers=bearer,
           resp={"error": "unauthorized", "reason": "expired"}, source="auth", error="auth refused: expired",
           auth=AuthVerdict(scheme="oauth", ok=False, reason="expired", token_header={"kid": "k1", "alg": "RS256"},
                            claims=expired_claims, detail="the token expired 1 h ago (exp 2026-01-01T11:00:00Z); "
                            "Okta fetches a new one: check the clock, or the token lifetime")),
        ex(6, "token", "/tokenHookBuggy", body=sample("token"), resp=bad_patch, source="handler",
           log="rewriting the iss claim of the ID token\n",
           problems=(Problem("$.commands[0].value[0].path", "'iss' is a reserved claim and cannot be changed",
                             "Okta ignores the whole answer and issues the token unmodified"),)),
        ex(7, "password_import", "/passwordImport", body=sample("password-import"),
           resp={"commands": [{"type": "com.okta.action.update", "value": {"credential": "VERIFIED"}}]}),
        ex(8, "token", "/tokenHook", body=sample("token"), status=204, replay_of="0000000000004"),
    ]


@dataclass
class FakeSession:
    """What the inspector uses of a Session; replays are recorded and delivered like real arrivals."""

    settings: Any
    store: Store
    templates: Any
    local_url: str = "http://127.0.0.1:8080"
    public_url: str | None = None
    tunnel_error: str | None = None

    def __post_init__(self) -> None:
        self.counters = Counters()
        self.listeners: list[Any] = []
        self.notices: list[Any] = []
        self.replays: list[tuple[str, str | None, bytes | None]] = []
        self.stopped = False
        self.breakpoints = BreakpointResponder(DefaultResponder())
        self.next_n = 100

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.stopped = True

    def subscribe(self, listener: Any) -> None:
        self.listeners.append(listener)

    def on_notice(self, listener: Any) -> None:
        self.notices.append(listener)

    def hook_urls(self) -> list[str]:
        return [(self.public_url or self.local_url) + p for p in EXAMPLE_PATHS]

    def install_breakpoints(self) -> BreakpointResponder:
        return self.breakpoints

    def deliver(self, exchange: Exchange) -> None:
        self.store.add_now(exchange)
        self.counters.count(exchange)
        for listener in self.listeners:
            listener(exchange)

    async def replay(self, exchange_id: str, *, to: str | None = None, edited_body: bytes | None = None) -> Any:
        self.replays.append((exchange_id, to, edited_body))
        original = self.store.get(exchange_id)
        assert original is not None
        self.next_n += 1
        copy = ex(self.next_n, original.kind, original.request.path, body=edited_body or original.request.body,
                  status=original.status, replay_of=original.id)
        if to is None:
            self.deliver(copy)
        return SimpleNamespace(status=copy.status, verdict="Okta would accept this answer", accepted=True,
                               token_note=None, error=None)


def fake_session(tmp_path: Path, exchanges: list[Exchange] = (), **auth: Any) -> FakeSession:  # type: ignore[assignment]
    settings = make_settings(tmp_path, auth=auth) if auth else make_settings(tmp_path)
    store = Store(tmp_path / "store.db")
    for item in exchanges:
        store.add_now(item)
    return FakeSession(settings=settings, store=store, templates=TemplateBook(tmp_path / "responses"))


@pytest.fixture
def session(tmp_path: Path) -> FakeSession:
    s = fake_session(tmp_path, mixed())
    yield s
    s.store.close()

