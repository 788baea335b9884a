"""serve --okta: connect the org once the tunnel is up, follow its System Log, disconnect when serve stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hookdev.config import Settings
from hookdev.errors import ConfigError, HookdevError
from hookdev.okta_api.client import OktaClient, check_org_url
from hookdev.okta_api.connect import (
    Change,
    check_public_url,
    connect,
    disconnect,
    kinds_in_use,
    recorded_paths,
    state_for,
)

log = logging.getLogger(__name__)
DISCONNECT_TIMEOUT_S = 15.0
Notify = Callable[[str, str], None]


def check_settings(settings: Settings) -> None:
    """What serve --okta needs, checked before anything starts (a ConfigError: exit 2)."""
    if not settings.tunnel.enabled:
        raise ConfigError("--okta", "Okta can't reach 127.0.0.1: serve --okta needs the tunnel (add --tunnel)")
    o = settings.okta
    check_org_url(o.org_url)
    if not o.api_token and not (o.client_id and o.private_key):
        raise ConfigError("okta.api_token", "serve --okta signs in to the org: set OKTA_API_TOKEN (or [okta] "
                                            "api_token), or [okta] client_id + private_key")


def describe(change: Change) -> str:
    verified = "" if change.verified is None else ", verified" if change.verified else ", NOT verified"
    line = f"okta: {change.action} {change.type} hook {change.name!r} ({change.id}) -> {change.uri} [{change.status}" \
           f"{verified}]"
    return line + (f": {change.note}" if change.note else "")


class OktaLink:
    """The org side of one serve: its client, what connect changed, and the System Log poller."""

    def __init__(self, settings: Settings, store_path: Path, notify: Notify,
                 on_events: Callable[[list[dict[str, Any]], dict[str, str]], None] | None = None,
                 store: Any = None, tunnel: Any = None) -> None:
        self.settings = settings
        self.store_path = store_path
        self.store = store
        self.notify = notify
        self.on_events = on_events or self.report
        self.client: OktaClient | None = None
        self.tunnel = tunnel
        """The serve's Tunnel: when it comes back at another URL, the hooks follow it."""
        self._poller: asyncio.Task[None] | None = None
        self._base: str | None = None
        self._moving: asyncio.Task[None] | None = None

    def report(self, events: list[dict[str, Any]], matches: dict[str, str]) -> None:
        """One notice per call Okta logged (executed, processed, delivered, verified), with its exchange."""
        from hookdev.io.okta_log import event_line
        from hookdev.okta.syslog import CALL_EVENTS

        for event in events:
            if event.get("eventType") in CALL_EVENTS:
                failed = (event.get("outcome") or {}).get("result") == "FAILURE"
                line = event_line(event, matches.get(str(event.get("uuid"))))
                self.notify("warning" if failed else "info", f"okta log: {line}")

    async def start(self, public_url: str | None, recorded: dict[str, str]) -> None:
        """Connect (the notices say what changed); failures are notices too: the receiver keeps serving."""
        from hookdev.okta_api.syslog import Poller

        self.client = OktaClient.from_settings(self.settings, notify=lambda m: self.notify("info", f"okta: {m}"))
        state = state_for(self.store_path)
        started = time.time()
        await self._connect(self.client, state, public_url, recorded)
        if self.tunnel is not None:
            self.tunnel.on_event(self._tunnel_event)
        poller = Poller(self.client, self.store_path, state.org(self.client.base), self.settings.okta.poll_interval,
                        self.on_events, self.notify, since=started - 5, store=self.store)
        self._poller = asyncio.create_task(poller.run(), name="hookdev-okta-log")

    async def _connect(self, client: OktaClient, state: Any, public_url: str | None,
                       recorded: dict[str, str]) -> None:
        try:
            base = check_public_url(public_url, client.base, running=True)
            kinds = kinds_in_use(self.settings, None, recorded)
            async for change in connect(client, self.settings, state, base=base, kinds=kinds, recorded=recorded):
                self.notify("warning" if change.verified is False else "info", describe(change))
            self._base = base
        except HookdevError as exc:
            self.notify("error", f"okta: connecting the org failed: {exc}")

    def _tunnel_event(self, event: Any) -> None:
        """A tunnel restarted at a new URL (a free ngrok URL changes each time): point the hooks there."""
        url = getattr(self.tunnel, "public_url", None)
        if event.kind != "restarted" or not url or url == self._base or self.client is None:
            return
        if self._moving is not None and not self._moving.done():
            self._moving.cancel()  # an older URL's move: this one supersedes it
        self._moving = asyncio.create_task(self._move(self.client, url), name="hookdev-okta-move")

    async def _move(self, client: OktaClient, url: str) -> None:
        self.notify("info", f"okta: the tunnel is now {url}; moving the hooks there")
        recorded: dict[str, str] = await asyncio.to_thread(self._kind_paths)
        await self._connect(client, state_for(self.store_path), url, recorded)

    def _kind_paths(self) -> dict[str, str]:
        return dict(self.store.kind_paths()) if self.store is not None else recorded_paths(self.store_path)

    async def stop(self) -> None:
        """Stop polling, then deactivate or restore what connect changed, so the org stops calling this laptop."""
        for task in (self._moving, self._poller):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._moving = self._poller = None
        if self.client is None:
            return
        client, self.client = self.client, None
        try:
            async with asyncio.timeout(DISCONNECT_TIMEOUT_S):
                async for change in disconnect(client, self.settings, state_for(self.store_path)):
                    self.notify("info", describe(change))
        except (HookdevError, TimeoutError) as exc:
            self.notify("error", f"okta: disconnecting failed ({exc or 'timed out'}); the org may still call this "
                                 "URL: run `hookdev okta disconnect`")
        finally:
            await client.close()
