"""Breakpoints hold the next call of a kind, pass everything else through, and answer before Okta's deadline."""

from __future__ import annotations

import asyncio

import pytest

from hookdev.answers.breakpoints import BreakpointResponder
from hookdev.answers.responders import DefaultResponder
from hookdev.models import Answer, HookCall, RequestSnapshot
from tests.conftest import until

NOW = 1000.0
"""The injected clock stands still: whether a call is still in budget never depends on the machine's speed."""


def clock() -> float:
    return NOW


def call(kind: str = "token", budget: float = 60.0) -> HookCall:
    """A call that arrived at NOW with `budget` seconds left; the default outlasts any test that sends in time."""
    return HookCall(kind, RequestSnapshot("POST", "/tokenHook"), body={}, deadline=NOW + budget)  # type: ignore[arg-type]


def responder(**options: float) -> BreakpointResponder:
    return BreakpointResponder(DefaultResponder(), clock=clock, **options)


async def test_unarmed_calls_pass_straight_through() -> None:
    bp = responder()
    answer = await bp.respond(call())
    assert (answer.status, answer.source) == (204, "default")
    assert bp.held == []


async def test_held_call_is_answered_with_the_edit_when_sent() -> None:
    bp = responder()
    seen = []
    bp.on_hold(seen.append)
    bp.arm("token")
    task = asyncio.create_task(bp.respond(call()))
    await until(lambda: seen, "the call to be held")
    assert len(seen) == 1 and seen[0].answer.status == 204 and not task.done()
    assert seen[0].remaining(clock()) == pytest.approx(60 - bp.margin)  # counted on the injected clock
    assert seen[0].send(Answer.json(200, {"commands": []}))
    answer = await task
    assert (answer.status, answer.body, answer.source) == (200, b'{"commands": []}', "breakpoint")
    assert seen[0].released == "user" and bp.armed == set()


async def test_deadline_sends_the_current_answer_in_time() -> None:
    bp = responder(margin=0.3)
    bp.on_hold(lambda held: held.update(Answer.json(200, {"edited": True})))
    released = []
    bp.on_release(released.append)
    bp.arm("token")
    the_call = call(budget=0.45)
    answer = await bp.respond(the_call)
    assert answer.body == b'{"edited": true}' and released[0].released == "deadline"
    assert released[0].deadline == the_call.deadline - 0.3  # planned to leave 0.3 s before Okta gives up


async def test_arming_is_one_shot_and_other_kinds_are_not_held() -> None:
    bp = responder(margin=2.95)
    bp.arm("saml")
    assert (await bp.respond(call("token", budget=3))).source == "default"
    first = await bp.respond(call("saml", budget=3))  # held until its (tiny) deadline
    second = await bp.respond(call("saml", budget=3))
    assert (first.source, second.source) == ("breakpoint", "default")


async def test_a_call_already_past_its_budget_is_not_held() -> None:
    bp = responder()
    bp.arm("token")
    answer = await bp.respond(call(budget=0.1))
    assert answer.source == "default" and "token" not in bp.armed


async def test_close_releases_held_calls_and_attributes_pass_through() -> None:
    inner = DefaultResponder()
    inner.templates = "book"  # type: ignore[attr-defined]
    bp = BreakpointResponder(inner, clock=clock)
    assert bp.templates == "book"
    released = []
    bp.on_release(released.append)
    bp.arm("token")
    task = asyncio.create_task(bp.respond(call()))
    await until(lambda: bp.held, "the call to be held")
    await bp.close()
    assert (await task).source == "breakpoint" and released[0].released == "stopped"


def local_call(*headers: tuple[str, str], remote: str = "127.0.0.1") -> HookCall:
    request = RequestSnapshot("POST", "/tokenHook", headers=headers, remote=remote)
    return HookCall("token", request, body={}, deadline=NOW + 3.0)


async def test_a_patient_breakpoint_holds_a_call_from_this_machine_past_okta_s_deadline() -> None:
    bp = responder()
    seen = []
    bp.on_hold(seen.append)
    bp.arm("token", patient=True)
    task = asyncio.create_task(bp.respond(local_call(("Content-Type", "application/json"))))
    await until(lambda: seen, "the call to be held")
    assert seen[0].patient and seen[0].remaining(clock()) > 3000, "no 3 s deadline for hookdev send"
    assert seen[0].send()
    assert (await task).status == 204
    assert bp.patient == set() and bp.armed == set()  # one-shot, like any breakpoint


@pytest.mark.parametrize("call_of", [
    lambda: local_call(("X-Forwarded-For", "203.0.113.9")),  # through the ngrok agent, which says who called
    lambda: local_call(("Forwarded", "for=203.0.113.9")),
    lambda: local_call(remote="203.0.113.9"),
])
async def test_a_patient_breakpoint_keeps_okta_s_deadline_for_calls_from_elsewhere(call_of) -> None:
    bp = responder()
    seen = []
    bp.on_hold(seen.append)
    bp.arm("token", patient=True)
    task = asyncio.create_task(bp.respond(call_of()))
    await until(lambda: seen, "the call to be held")
    assert not seen[0].patient and seen[0].remaining(clock()) == pytest.approx(3.0 - bp.margin)
    seen[0].send()
    await task
