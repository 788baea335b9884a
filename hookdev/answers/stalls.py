"""What holds every call up, said instead of suffered: an async handler blocking the event loop, a full pool of
worker threads.

An `async def` handler runs on the event loop that receives and answers every call: a `time.sleep(5)` or a
`requests.get` in it stops them all. Plain `def` handlers run in WORKERS threads; when that many are stuck (each
past Okta's 3 s, still running), the next call waits for a thread it may never get.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable, Coroutine, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

BLOCKING_S = 0.5
"""A handler that holds the event loop this long in one go (between two awaits) is named."""
WORKERS = 16
"""Threads for the user's plain `def` handlers."""


class StepTimer:
    """Awaits a coroutine as `await` would, timing each step it runs on the event loop between two awaits."""

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.coro = coro
        self.longest = 0.0
        """The longest step, in seconds: how long the handler held the loop, and every other call, at once."""

    def __await__(self) -> Generator[Any, Any, Any]:
        coro = self.coro
        step: Callable[[Any], Any] = coro.send
        value: Any = None
        while True:
            started = time.perf_counter()
            try:
                yielded = step(value)
            except StopIteration as done:
                return done.value
            finally:
                self.longest = max(self.longest, time.perf_counter() - started)
            try:
                value = yield yielded  # to the task, as the coroutine's own await would
                step = coro.send
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # cancellation included: the coroutine gets it where it awaits
                step, value = coro.throw, exc


def blocked_note(name: str, seconds: float) -> str:
    return (f"{name} held the event loop for {seconds:.1f} s in one go, and every other call waited: a blocking "
            "call in an async def (time.sleep, requests, a sync database driver). Await an async equivalent, or "
            "make it a plain def: hookdev runs those in worker threads")


@dataclass
class Ticket:
    """One call of a plain function handed to the pool."""

    submitted: float
    ahead: int = 0
    """Calls in the pool (running or waiting) when this one came: WORKERS or more, and it had to wait."""
    started: float | None = None

    @property
    def queued(self) -> bool:
        return self.ahead >= WORKERS

    def note(self, file: str) -> str | None:
        """What the exchange should say about the wait for a thread, if there was one."""
        if not self.queued:
            return None
        busy = f"all {WORKERS} worker threads were busy with earlier calls to {file} still running"
        if self.started is None:
            return f"this call never started: {busy}"
        return f"this call waited {self.started - self.submitted:.1f} s to start: {busy}"


class HandlerPool:
    """WORKERS threads for plain functions, counting the calls in them so that a full pool is known."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._in_use = 0

    @property
    def in_use(self) -> int:
        return self._in_use

    def admit(self, ticket: Ticket) -> None:
        """Count a call in, before `run`: `ticket.ahead` says how many were in the pool when it came, so whether
        it waits is decided at once, not when a worker thread gets to it."""
        with self._lock:
            ticket.ahead = self._in_use
            self._in_use += 1

    async def run(self, func: Callable[[Any], Any], request: Any, ticket: Ticket) -> Any:
        """func(request) in a worker thread, in the caller's context (so print() lands in this call's capture);
        the ticket admitted first."""
        context = contextvars.copy_context()

        def work() -> Any:
            ticket.started = time.monotonic()
            return context.run(func, request)

        try:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="hookdev-handler")
            future: Future[Any] = self._pool.submit(work)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)  # done, failed, or cancelled while it waited
        return await asyncio.wrap_future(future)

    def _release(self, _: Future[Any] | None) -> None:
        with self._lock:
            self._in_use -= 1

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
