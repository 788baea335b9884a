"""The System Log: what the org double logged about real calls, matched to the exchanges and kept in the store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hookdev.errors import ConfigError
from hookdev.io.okta_log import event_block, event_line, events_text
from hookdev.okta.syslog import Call, match
from hookdev.okta_api.client import OktaClient
from hookdev.okta_api.connect import state_for
from hookdev.okta_api.syslog import Poller, events_about, hook_events, link_and_keep, parse_duration
from hookdev.receiver.session import Session
from hookdev.receiver.store import Store
from tests.answers.calls import sample
from tests.okta_api.conftest import okta_settings
from tests.okta_api.test_connect import connect_all
from tests.okta_api.test_preview import run_preview
from tests.okta_double import Org, deliver


async def test_okta_s_events_about_a_preview_are_matched_to_its_exchange_and_kept(tmp_path: Path, org: Org,
                                                                                receiver: Session) -> None:
    settings = okta_settings(tmp_path, org)
    started = time.time()
    await connect_all(settings, receiver.local_url, ["token"])
    result = await run_preview(settings, "token", sample("token"))
    store = settings.path(settings.server.store)
    async with OktaClient.from_settings(settings) as client:
        events = await hook_events(client, started - 1)
        org_state = state_for(store).org(client.base)
    assert [e["eventType"] for e in events] == ["inline_hook.created", "inline_hook.executed"]
    matches = link_and_keep(store, events, org_state)
    executed = events[1]
    assert matches == {executed["uuid"]: result.exchange_id}  # the lifecycle event is about no call
    [kept] = receiver.store.okta_events(result.exchange_id)
    assert kept.event == executed and kept.event_type == "inline_hook.executed"
    text = events_text([kept.event])
    assert "inline_hook.executed  SUCCESS" in text and "hookdev token" in text


async def test_a_processed_response_carries_the_hook_s_debug_context(tmp_path: Path, org: Org) -> None:
    from tests.okta_api.conftest import PASSWORD
    from tests.reliability.live import live_session

    handler = tmp_path / "hooks.py"
    handler.write_text("def registration(request):\n"
                       "    return {'error': {'errorSummary': 'no'}, 'debugContext': {'why': 'blocked domain'}}\n")
    async with live_session(tmp_path, auth={"mode": "basic", "username": "okta", "password": PASSWORD},
                            responses={"handler": str(handler)}) as session:
        settings = okta_settings(tmp_path, org)
        await connect_all(settings, session.local_url, ["registration"])
        result = await run_preview(settings, "registration", sample("registration-ssr"))
        store = settings.path(settings.server.store)
        async with OktaClient.from_settings(settings) as client:
            events = await hook_events(client, time.time() - 60)
        link_and_keep(store, events, state_for(store).org(org.base))
        kept = session.store.okta_events(result.exchange_id)
    assert [k.event_type for k in kept] == ["inline_hook.executed", "inline_hook.response.processed"]
    assert "blocked domain" in event_block(kept[1].event)


async def test_an_event_hook_delivery_is_matched_by_hook_and_time(tmp_path: Path, org: Org,
                                                                 receiver: Session) -> None:
    settings = okta_settings(tmp_path, org, okta={"events": ["user.lifecycle.create"]})
    await connect_all(settings, receiver.local_url, ["event"])
    await deliver(org, "user.lifecycle.create")
    delivery = [e for e in receiver.store.list() if e.kind == "event"]
    assert len(delivery) == 1
    store = settings.path(settings.server.store)
    async with OktaClient.from_settings(settings) as client:
        events = await hook_events(client, time.time() - 60)
    matches = link_and_keep(store, events, state_for(store).org(org.base))
    logged = next(e for e in events if e["eventType"] == "event_hook.delivery")
    verified = next(e for e in events if e["eventType"] == "event_hook.verified")
    # The delivery carries the request id of the event it delivers, not the one its log entry has.
    assert delivery[0].request.header("X-Okta-Request-Id") != logged["debugContext"]["debugData"]["requestId"]
    assert matches[logged["uuid"]] == delivery[0].id
    verification = next(e for e in receiver.store.list() if e.kind == "event_verification")
    assert matches[verified["uuid"]] == verification.id


async def test_the_poller_follows_okta_s_next_link_and_reports_each_event_once(tmp_path: Path, org: Org,
                                                                             receiver: Session) -> None:
    settings = okta_settings(tmp_path, org)
    store = settings.path(settings.server.store)
    async with OktaClient.from_settings(settings) as client:
        poller = Poller(client, store, state_for(store).org(org.base), 1.0, lambda e, m: None,
                        lambda level, message: None, since=time.time() - 5)
        assert await poller.poll_once() == []
        await connect_all(settings, receiver.local_url, ["token", "saml", "registration"])  # 3 events, pages of 2
        first = await poller.poll_once()
        assert [e["eventType"] for e in first] == ["inline_hook.created"] * 3
        assert await poller.poll_once() == []
        await run_preview(settings, "token", sample("token"))
        assert [e["eventType"] for e in await poller.poll_once()] == ["inline_hook.executed"]
    log_calls = [p for _, p, *_ in org.requests if p.startswith("/api/v1/logs")]
    assert "after=" not in log_calls[0] and all("after=" in p for p in log_calls[2:])


async def test_the_okta_tab_reads_what_okta_logged_about_one_exchange(tmp_path: Path, org: Org,
                                                                      receiver: Session) -> None:
    # No poller ran and `okta logs` was never run: the events are fetched for the exchange asked about.
    settings = okta_settings(tmp_path, org)
    await connect_all(settings, receiver.local_url, ["registration", "token"])
    token = await run_preview(settings, "token", sample("token"))
    registration = await run_preview(settings, "registration", sample("registration-ssr"))
    assert token.exchange_id and registration.exchange_id
    store_path = settings.path(settings.server.store)
    org_state = state_for(store_path).org(org.base)
    assert receiver.store.okta_events(token.exchange_id) == []
    readonly = Store(store_path, readonly=True)  # the inspector's own process, say
    try:
        async with OktaClient.from_settings(settings) as client:
            seen = await events_about(client, readonly, org_state, token.exchange_id)
            assert receiver.store.okta_events(token.exchange_id) == []  # matched, not kept: read-only
            assert await events_about(client, readonly, org_state, "no-such-exchange") == []
            kept = await events_about(client, receiver.store, org_state, token.exchange_id)
    finally:
        readonly.close()
    executed = [e for e in org.log if e["eventType"] == "inline_hook.executed"]
    assert [e.event for e in seen] == [executed[0]] and [e.exchange_id for e in seen] == [token.exchange_id]
    assert [e.event for e in kept] == [executed[0]] == [e.event for e in receiver.store.okta_events(token.exchange_id)]
    assert receiver.store.okta_events(registration.exchange_id) != []  # its events were in the same window


def test_matching_by_request_id_then_hook_and_time() -> None:
    t0 = 1_800_000_000.0

    def event(uuid: str, event_type: str, rid: str, hook: str, at: float) -> dict:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + ".000Z"
        return {"uuid": uuid, "eventType": event_type, "published": stamp,
                "debugContext": {"debugData": {"requestId": rid}}, "target": [{"id": hook, "type": "InlineHook"}]}

    calls = [Call("ex-a", t0, "req-a", "calA"), Call("ex-b", t0 + 20, None, "calA"), Call("ex-c", t0, None, "calC")]
    events = [
        event("1", "inline_hook.executed", "req-a", "calA", t0 + 2),      # request id
        event("2", "inline_hook.executed", "req-x", "calA", t0 + 21),     # hook + nearest time: ex-b
        event("3", "inline_hook.activated", "req-y", "calC", t0 + 1),     # lifecycle: about no call
        event("4", "inline_hook.executed", "req-z", "calC", t0 + 3600),   # too late to be ex-c's
        event("5", "inline_hook.executed", "req-w", "calZ", t0),          # another hook
    ]
    assert match(events, calls) == {"1": "ex-a", "2": "ex-b"}


def test_event_lines_escape_what_the_org_sent() -> None:
    line = event_line({"eventType": "inline_hook.executed", "published": "2026-01-01T00:00:00.000Z",
                       "outcome": {"result": "FAILURE", "reason": "bad\x1b[31m"},
                       "target": [{"id": "cal1", "displayName": "x\x07"}]}, "01abc")
    assert "\x1b" not in line and "\x07" not in line and "\\x1b" in line and line.endswith("exchange 01abc")


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("5", 300)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_bad_duration_is_a_usage_error() -> None:
    with pytest.raises(ConfigError, match="--since"):
        parse_duration("yesterday")
