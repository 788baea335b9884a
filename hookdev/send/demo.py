"""`hookdev demo` traffic: every hook kind with each auth method, one invalid answer and one expired token."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from hookdev.config import Settings, load_settings
from hookdev.models import Answer, AuthVerdict, Exchange, HookCall, Kind, RequestSnapshot

log = logging.getLogger(__name__)

DEMO_HEADER = "x-okta-demo-secret"
BUGGY_PATH = "/tokenHookBuggy"
AUTH_LABEL = "basic + header secret + oauth (demo: each call picks one)"


@dataclass(frozen=True, slots=True)
class DemoCall:
    """One scripted call: where it goes, which credential it carries, and what it shows."""

    path: str
    kind: Kind
    auth: str
    """basic | header | oauth | expired | wrong_password"""
    sample: str | None
    """Name of a sample payload shipped with hookdev; None for the verification GET."""
    note: str
    caption: str = ""
    """For the deliberate failures: what the audience should read beside it, so nobody thinks hookdev broke."""


CAPTION_HEADER = "X-Hookdev-Demo-Caption"
"""Carries a demo call's caption; shown only by demo views (it is a header anyone could send)."""


SCRIPT: tuple[DemoCall, ...] = (
    DemoCall("/userDeactivated", "event_verification", "header", None, "Okta verifies a new event hook"),
    DemoCall("/userDeactivated", "event", "header", "event", "an event hook delivery"),
    DemoCall("/registrationHook", "registration", "basic", "registration-ssr", "self-service registration"),
    DemoCall("/tokenHook", "token", "oauth", "token", "token inline hook, OAuth 2.0 bearer token"),
    DemoCall("/samlHook", "saml", "basic", "saml", "SAML assertion inline hook"),
    DemoCall("/telephonyHook", "telephony", "oauth", "telephony-sms", "telephony inline hook (SMS OTP)"),
    DemoCall("/passwordImport", "password_import", "header", "password-import", "password import (masked password)"),
    DemoCall("/userImport", "user_import", "basic", "user-import", "user import inline hook"),
    DemoCall("/tokenHook", "token", "expired", "token", "an expired bearer token: refused with 401",
             "expired token, on purpose"),
    DemoCall(BUGGY_PATH, "token", "oauth", "token", "a handler that patches a reserved claim: an invalid answer",
             "a handler bug, on purpose: it patches a reserved claim"),
    DemoCall("/registrationHook", "registration", "wrong_password", "registration-ssr", "a wrong Basic password",
             "wrong password, on purpose"),
)


def caption_of(ex: Exchange) -> str | None:
    """The caption a demo call carried, for a demo's own views."""
    return ex.request.header(CAPTION_HEADER)


def demo_settings(folder: Path) -> Settings:
    """Everything local under `folder`: port 0, the store, keys and answers there; oauth via the mounted authserver."""
    return load_settings(cwd=folder, environ={}, overrides={
        ("server", "port"): 0,
        ("server", "store"): "demo.db",
        ("auth", "mode"): "oauth",
        ("auth", "header"): DEMO_HEADER,
        ("auth", "secret"): "demo-" + secrets.token_hex(8),
        ("authserver", "key_file"): "authserver-keys.json",
        ("responses", "dir"): "responses",
        ("tunnel", "enabled"): False,
    })


class MixedVerifier:
    """Checks each call with the verifier for the credential it carries, so one receiver shows every method."""

    def __init__(self, settings: Settings, oauth: Any) -> None:
        from dataclasses import replace

        from hookdev.auth.verifiers import build_verifier

        self.basic = build_verifier(replace(settings.auth, mode="basic"))
        self.header = build_verifier(replace(settings.auth, mode="header"))
        self.oauth = oauth
        self.header_name = settings.auth.header

    async def verify(self, request: RequestSnapshot) -> AuthVerdict:
        value = (request.header("authorization") or "").lower()
        if value.startswith("bearer"):
            return await self.oauth.verify(request)
        if value.startswith("basic"):
            return await self.basic.verify(request)
        return await self.header.verify(request)

    async def close(self) -> None:
        return None


class BuggyHandler:
    """Stands in for a user's handler with a classic mistake on one path; every other call passes through."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._inner, name)

    async def respond(self, call: HookCall) -> Answer:
        if call.request.path != BUGGY_PATH:
            return await self._inner.respond(call)
        patch = [{"op": "replace", "path": "/claims/iss", "value": "https://evil.example.com"}]
        return Answer.json(
            200, {"commands": [{"type": "com.okta.identity.patch", "value": patch}]}, source="handler",
            log="demo handler: rewriting the iss claim of the ID token\n(Okta refuses changes to reserved claims)\n",
        )


def load_body(name: str) -> dict[str, Any]:
    """A sample body shipped with hookdev (sample_payloads/ inside the package)."""
    from hookdev.send.payloads import packaged_samples

    body: dict[str, Any] = json.loads((packaged_samples() / f"{name}.json").read_text(encoding="utf-8"))
    return body


class DemoTraffic:
    """Sends the script to a started Session, one call every `interval` seconds, round and round."""

    def __init__(self, session: Any, *, interval: float = 1.0, count: int | None = None,
                 on_sent: Callable[[DemoCall, int], None] | None = None) -> None:
        self.session = session
        self.interval = interval
        self.count = count
        self.on_sent = on_sent
        self.sent = 0
        self._http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._bodies: dict[str, dict[str, Any]] = {}

    def prepare(self) -> None:
        """Install the mixed verifier and the buggy handler into the running receiver."""
        receiver = self.session.receiver
        receiver.verifier = MixedVerifier(self.session.settings, self.session.verifier)
        receiver.responder = BuggyHandler(receiver.responder)

    def start(self) -> None:
        self.prepare()
        self._task = asyncio.get_running_loop().create_task(self.run(), name="hookdev-demo")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    @property
    def done(self) -> bool:
        return self._task is not None and self._task.done()

    async def wait(self) -> None:
        """Until every call has been sent (forever when `count` is None)."""
        if self._task is not None:
            await asyncio.wait({self._task})

    async def run(self) -> None:
        while self.count is None or self.sent < self.count:
            call = SCRIPT[self.sent % len(SCRIPT)]
            try:
                status = await self.send(call)
            except aiohttp.ClientError as exc:
                log.warning("demo call to %s failed: %s", call.path, exc)
                status = 0
            self.sent += 1
            if self.on_sent is not None:
                self.on_sent(call, status)
            if self.count is None or self.sent < self.count:
                await asyncio.sleep(self.interval)

    async def send(self, call: DemoCall) -> int:
        """Make one scripted call as Okta would; returns the HTTP status hookdev answered."""
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        url = self.session.local_url + call.path
        headers = {"Accept": "application/json", **self.credential(call.auth)}
        if call.caption:
            headers[CAPTION_HEADER] = call.caption
        if call.sample is None:
            headers["X-Okta-Verification-Challenge"] = secrets.token_urlsafe(24)
            async with self._http.get(url, headers=headers) as resp:
                return resp.status
        body = self._bodies.setdefault(call.sample, load_body(call.sample))
        headers["Content-Type"] = "application/json"
        async with self._http.post(url, data=json.dumps(body), headers=headers) as resp:
            await resp.read()
            return resp.status

    def credential(self, method: str) -> dict[str, str]:
        a = self.session.settings.auth
        if method in ("basic", "wrong_password"):
            password = a.password if method == "basic" else a.password + "-typo"
            return {"Authorization": "Basic " + base64.b64encode(f"{a.username}:{password}".encode()).decode()}
        if method == "header":
            return {a.header: a.secret}
        return {"Authorization": "Bearer " + self.token(expired=method == "expired")}

    def token(self, *, expired: bool) -> str:
        from hookdev.auth.authserver import mint_token

        s = self.session.settings
        client = s.authserver.clients[0].client_id
        # Issued two lifetimes ago: expired by one lifetime, far past the verifier's leeway.
        now = time.time() - 2 * s.authserver.token_lifetime if expired else None
        token, _ = mint_token(s.authserver, self.session.keys, self.session.local_issuer, client,
                              list(s.authserver.scopes), now=now)
        return token
