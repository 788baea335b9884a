"""The threads that run plain `def` handlers: one call per thread, none held up by a slow one, abandonable."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from hookdev.answers.stalls import WORKERS, HandlerPool, Ticket

who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


async def test_a_blocked_call_holds_up_no_other_and_each_runs_in_its_callers_context() -> None:
    pool = HandlerPool()
    release = threading.Event()
    try:
        who.set("first")
        blocked = pool.submit(lambda _: release.wait(30) and who.get(), None, Ticket(0.0))
        who.set("second")
        ticket = Ticket(0.0)
        quick = pool.submit(lambda n: (n * 2, who.get()), 21, ticket)
        assert await asyncio.wait_for(quick, 30) == (42, "second")
        assert ticket.ahead == 1 and not ticket.queued and ticket.started is not None
        assert not blocked.done()
        release.set()
        assert await asyncio.wait_for(blocked, 30) == "first"
        with pytest.raises(SystemExit):
            await pool.submit(lambda _: exit(3), None, Ticket(0.0))
    finally:
        release.set()
        pool.shutdown()


async def test_a_call_abandoned_while_every_thread_is_busy_never_starts() -> None:
    pool = HandlerPool()
    release = threading.Event()
    started = threading.Event()
    try:
        stuck = [pool.submit(lambda _: release.wait(30), None, Ticket(0.0)) for _ in range(WORKERS)]
        ticket = Ticket(0.0)
        waiting = pool.submit(lambda _: started.set(), None, ticket)
        assert ticket.queued and pool.in_use == WORKERS + 1
        waiting.cancel()  # the cap came first
        release.set()
        await asyncio.wait_for(asyncio.gather(*stuck), 30)
        # The threads are free again and the next call runs; the abandoned one was skipped, never started.
        assert await asyncio.wait_for(pool.submit(lambda n: n + 1, 1, Ticket(0.0)), 30) == 2
        assert not started.is_set() and ticket.started is None
    finally:
        release.set()
        pool.shutdown()
