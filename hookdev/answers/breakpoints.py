"""Breakpoints: hold the next live call of a kind for editing, and answer it before Okta's 3 s budget runs out."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any, Literal

from hookdev.models import Answer, HookCall, Kind

log = logging.getLogger(__name__)

MARGIN_S = 0.3
"""How long before Okta's deadline a held answer goes out on its own: enough for the trip back to Okta."""
OKTA_BUDGET_S = 3.0
PATIENT_S = 3600.0
"""How long a call from this machine is held when armed without a deadline (hookdev send --timeout waits)."""

Released = Literal["", "user", "deadline", "stopped"]
_HOLD_IDS = itertools.count(1)


@dataclasses.dataclass(eq=False)
class HeldCall:
    """A live call waiting for its answer; `answer` is what goes out if nobody sends one before `deadline`."""

    call: HookCall
    answer: Answer
    """The current answer: the responder's at first, then each edit given to update()."""
    deadline: float
    """Clock value (time.monotonic by default) at which `answer` is sent automatically."""
    released: Released = ""
    """Who let the answer go: the user, the deadline, or hookdev stopping."""
    _future: asyncio.Future[Answer] | None = None
    id: int = dataclasses.field(default_factory=lambda: next(_HOLD_IDS))
    """Names the hold on the control channel, where views update and send its answer."""
    patient: bool = False
    """A call from this machine held with no Okta deadline (its sender waits as long as it was told to)."""

    @property
    def kind(self) -> Kind:
        return self.call.kind

    @property
    def done(self) -> bool:
        return bool(self.released)

    def remaining(self, now: float) -> float:
        """Seconds left before the answer goes out on its own (never negative)."""
        return max(0.0, self.deadline - now)

    def update(self, answer: Answer) -> None:
        """Make `answer` the one sent at the deadline; ignored once the call is answered."""
        if not self.done:
            self.answer = answer

    def send(self, answer: Answer | None = None, *, by: Released = "user") -> bool:
        """Answer now with `answer` (or the current one); False when the call was already answered."""
        if self.done:
            return False
        if answer is not None:
            self.answer = answer
        self.released = by
        if self._future is not None and not self._future.done():
            self._future.set_result(self.answer)
        return True


HoldListener = Callable[[HeldCall], None]
LOOPBACK = ("127.", "::1", "::ffff:127.")
FORWARDED = ("x-forwarded-for", "forwarded")


def from_this_machine(call: HookCall) -> bool:
    """A call made on this machine (hookdev send, a replay), not by Okta through the tunnel: the ngrok agent
    connects from loopback too, but it always adds X-Forwarded-For, which a caller cannot take away."""
    if not call.request.remote.startswith(LOOPBACK):
        return False
    return not any(name.lower() in FORWARDED for name, _ in call.request.headers)


class BreakpointResponder:
    """Wraps the session's responder; a call of an armed kind is held until sent or until its deadline.

    Arming is one-shot, like a debugger's "run to": only the next call of that kind is held. Every other
    call, and every attribute (templates, close...), passes straight through to the wrapped responder.
    """

    def __init__(self, inner: Any, *, margin: float = MARGIN_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._inner = inner
        self.margin = margin
        self.clock = clock
        self.armed: set[Kind] = set()
        self.armed_paths: set[str] = set()
        self.patient: set[Kind] = set()
        """Kinds whose next call from this machine (hookdev send, a replay) is held with no deadline."""
        self.held: list[HeldCall] = []
        self._on_hold: list[HoldListener] = []
        self._on_release: list[HoldListener] = []

    @property
    def inner(self) -> Any:
        return self._inner

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._inner, name)

    def arm(self, kind: Kind, *, patient: bool = False) -> None:
        """Hold the next call of `kind`; patient: with no deadline when the call comes from this machine."""
        self.armed.add(kind)
        if patient:
            self.patient.add(kind)

    def arm_path(self, path: str) -> None:
        """Hold the next call to `path`, whatever its kind."""
        self.armed_paths.add(path)

    def disarm(self, kind: Kind | None = None) -> None:
        """Stop waiting for `kind` (or for every kind and path)."""
        if kind is None:
            self.armed.clear()
            self.armed_paths.clear()
            self.patient.clear()
        else:
            self.armed.discard(kind)
            self.patient.discard(kind)

    def find(self, hold_id: int) -> HeldCall | None:
        """The call held under this id, while it is held."""
        return next((held for held in self.held if held.id == hold_id), None)

    def on_hold(self, listener: HoldListener) -> None:
        """listener(held) on the event loop when a call is held."""
        self._on_hold.append(listener)

    def on_release(self, listener: HoldListener) -> None:
        """listener(held) on the event loop once a held call's answer has been chosen."""
        self._on_release.append(listener)

    async def respond(self, call: HookCall) -> Answer:
        answer: Answer = await self._inner.respond(call)
        path = call.request.path
        if call.kind not in self.armed and path not in self.armed_paths:
            return answer
        patient = call.kind in self.patient and from_this_machine(call)
        if path in self.armed_paths:
            self.armed_paths.discard(path)
        else:
            self.armed.discard(call.kind)
            self.patient.discard(call.kind)
        deadline = (call.deadline or self.clock() + OKTA_BUDGET_S) - self.margin
        if patient:
            deadline = self.clock() + PATIENT_S
        if deadline <= self.clock():
            return answer  # the responder already used the budget; holding would make Okta give up
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        held = HeldCall(call=call, answer=answer, deadline=deadline, _future=future, patient=patient)
        self.held.append(held)
        self._tell(self._on_hold, held)
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout=deadline - self.clock())
        except TimeoutError:
            held.send(by="deadline")
        finally:
            self.held.remove(held)
        self._tell(self._on_release, held)
        return dataclasses.replace(held.answer, source="breakpoint")

    def release_all(self) -> None:
        """Answer every held call now with its current answer (hookdev is stopping)."""
        for held in list(self.held):
            held.send(by="stopped")

    async def close(self) -> None:
        self.release_all()
        if hasattr(self._inner, "close"):
            await self._inner.close()

    @staticmethod
    def _tell(listeners: list[HoldListener], held: HeldCall) -> None:
        for listener in list(listeners):
            try:
                listener(held)
            except Exception:
                log.exception("breakpoint listener failed")
