"""Read what Okta's System Log says about hooks, match it to recorded calls, and keep the matches in the store."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hookdev.errors import ConfigError, OktaError
from hookdev.okta.syslog import HOOK_EVENTS_FILTER, MATCH_AFTER_S, MATCH_BEFORE_S, call_of, match, published
from hookdev.okta_api.client import OktaClient, Reply
from hookdev.okta_api.state import OrgState

if TYPE_CHECKING:
    from hookdev.receiver.store import OktaEvent

LOGS_PATH = "/api/v1/logs"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 60}


def parse_duration(text: str) -> float:
    """Seconds in `30s`, `10m`, `2h`, `1d` (a bare number is minutes)."""
    found = _DURATION.match(text.lower())
    if not found:
        raise ConfigError("--since", f"{text!r} is not a duration like 30s, 10m, 2h or 1d")
    return float(found.group(1)) * _UNITS[found.group(2)]


def iso(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def hook_events(client: OktaClient, since: float, until: float | None = None) -> list[dict[str, Any]]:
    """The System Log events about hooks from since to until (now), oldest first, every page."""
    params = {"since": iso(since), "until": iso(until or time.time()), "filter": HOOK_EVENTS_FILTER,
              "sortOrder": "ASCENDING", "limit": "1000"}
    return await client.get_all(LOGS_PATH, params)


def hook_by_kind(org: OrgState) -> dict[str, str]:
    """The hook hookdev connected for each kind (the connected one wins over an old one)."""
    out: dict[str, str] = {}
    for hook_id, entry in sorted(org.hooks.items(), key=lambda item: item[1].connected):
        out[entry.kind] = hook_id
    return out


def link(store: Any, events: list[dict[str, Any]], org: OrgState) -> dict[str, str]:
    """Event uuid -> exchange id, for the events that are about a call recorded in the store."""
    times = [t for t in map(published, events) if t is not None]
    if not times:
        return {}
    candidates = store.between(min(times) - MATCH_AFTER_S, max(times) + MATCH_BEFORE_S)
    calls = [call_of(ex, hook_by_kind(org)) for ex in candidates]
    return match(events, calls)


def keep(store: Any, events: list[dict[str, Any]], matches: dict[str, str]) -> None:
    """Store the events, with the exchange each is about, where the inspector's Okta tab reads them."""
    from hookdev.receiver.store import OktaEvent

    store.add_okta_events([
        OktaEvent(str(e["uuid"]), matches.get(str(e["uuid"])), published(e) or 0.0, str(e.get("eventType", "")), e)
        for e in events if isinstance(e.get("uuid"), str)
    ])


def link_and_keep(store_path: Path, events: list[dict[str, Any]], org: OrgState) -> dict[str, str]:
    """link() and keep() on the store file, when there is one (blocking: run it in a thread)."""
    if not store_path.exists() or not events:
        return {}
    from hookdev.errors import StoreError
    from hookdev.receiver.store import Store

    try:
        store = Store(store_path)
    except StoreError:  # read-only media, someone else's store: match, keep nothing
        store = Store(store_path, readonly=True)
        try:
            return link(store, events, org)
        finally:
            store.close()
    try:
        return _link_and_keep_in(store, events, org)
    finally:
        store.close()


def _link_and_keep_in(store: Any, events: list[dict[str, Any]], org: OrgState) -> dict[str, str]:
    matches = link(store, events, org)
    keep(store, events, matches)
    return matches


async def events_about(client: OktaClient, store: Any, org: OrgState, exchange_id: str) -> list[OktaEvent]:
    """What Okta logged about one recorded call (the inspector's Okta tab): the System Log around the call's time
    is read now (one bounded query), matched and kept; then every event kept for the call, oldest first.

    `store` is an open Store (read-only works: the events are matched but not kept). Without a client,
    `store.okta_events(exchange_id)` gives what is kept already (the poller of serve --okta keeps them).
    """
    from hookdev.receiver.store import OktaEvent

    exchange = await asyncio.to_thread(store.get, exchange_id)
    if exchange is None:
        return []
    until = min(exchange.time + MATCH_AFTER_S, time.time())
    events = await hook_events(client, exchange.time - MATCH_BEFORE_S, until)
    if getattr(store, "readonly", False):
        matches = await asyncio.to_thread(link, store, events, org)
        mine = [e for e in events if matches.get(str(e.get("uuid"))) == exchange_id]
        kept = {e.uuid: e for e in await asyncio.to_thread(store.okta_events, exchange_id)}
        kept.update((str(e["uuid"]), OktaEvent(str(e["uuid"]), exchange_id, published(e) or 0.0,
                                               str(e.get("eventType", "")), e)) for e in mine)
        return sorted(kept.values(), key=lambda e: e.published)
    if events:
        await asyncio.to_thread(_link_and_keep_in, store, events, org)
    return list(await asyncio.to_thread(store.okta_events, exchange_id))


@dataclass
class Poller:
    """Follows the System Log while serve --okta runs: one query, then its `next` link, every interval."""

    client: OktaClient
    store_path: Path
    org: OrgState
    interval: float
    on_events: Callable[[list[dict[str, Any]], dict[str, str]], None]
    notify: Callable[[str, str], None]
    since: float = 0.0
    store: Any = None
    """The open Store of the serve polling (else store_path is opened for each batch)."""
    _next: str | None = None
    _seen: dict[str, None] = field(default_factory=dict)
    """uuids already handed on, oldest first (bounded): a repeated page is not reported twice."""

    async def run(self) -> None:
        failing = False
        while True:
            try:
                events = await self.poll_once()
                failing = False
            except OktaError as exc:
                if not failing:
                    self.notify("warning", f"okta: reading the System Log failed ({exc}); still trying")
                failing = True
                events = []
            if events:
                if self.store is not None:  # the serve's own store: no second connection to open
                    matches = await asyncio.to_thread(_link_and_keep_in, self.store, events, self.org)
                else:
                    matches = await asyncio.to_thread(link_and_keep, self.store_path, events, self.org)
                self.on_events(events, matches)
            await asyncio.sleep(self.interval)

    async def poll_once(self) -> list[dict[str, Any]]:
        """The events published since the last poll (Okta's polling query: no `until`, follow `next`)."""
        events: list[dict[str, Any]] = []
        while True:
            reply: Reply
            if self._next:
                reply = await self.client.call("GET", self._next)
            else:
                params = {"since": iso(self.since or time.time()), "filter": HOOK_EVENTS_FILTER,
                          "sortOrder": "ASCENDING", "limit": "1000"}
                reply = await self.client.call("GET", LOGS_PATH, params=params)
            page = [e for e in reply.data or [] if isinstance(e, dict)]
            self._next = reply.next_url or self._next
            for event in page:
                uuid = str(event.get("uuid"))
                if uuid not in self._seen:
                    self._seen[uuid] = None
                    events.append(event)
            while len(self._seen) > 10_000:
                del self._seen[next(iter(self._seen))]
            if not page or not reply.next_url:
                return events
