"""What holds every call up, said instead of suffered: an async handler blocking the event loop, a full pool of
worker threads.

An `async def` handler runs on the event loop that receives and answers every call: a `time.sleep(5)` or a
`requests.get` in it stops them all. Plain `def` handlers run in WORKERS threads; when that many are stuck (each
past Okta's 3 s, still running), the next call waits for a thread it may never get.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
import time
from collections.abc import Callable, Coroutine, Generator
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
    """WORKERS threads for plain functions, started as calls need them, counting the calls in them so that a
    full pool is known. A call is handed over through a queue.SimpleQueue and its result comes back to the loop
    as one call_soon_threadsafe: no concurrent Future (with its Condition) and no asyncio future wrapping it,
    which made a sync handler cost more than the rest of its call."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._in_use = 0
        self._threads = 0
        self._idle = 0

    @property
    def in_use(self) -> int:
        return self._in_use

    def submit(self, func: Callable[[Any], Any], request: Any, ticket: Ticket) -> asyncio.Future[Any]:
        """func(request) in a worker thread, in the caller's context (so print() lands in this call's capture),
        as a future of the running loop. Cancelling it abandons the call: one still waiting for a thread never
        starts, one running ends in its thread and its result is dropped."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            ticket.ahead = self._in_use
            self._in_use += 1
            if self._idle:
                self._idle -= 1  # that thread takes this call
                start = False
            else:
                start = self._threads < WORKERS  # all busy: one more thread, or the call waits for one
                self._threads += start
        if start:
            threading.Thread(target=self._work, name=f"hookdev-handler-{self._threads}", daemon=True).start()
        self._jobs.put((loop, future, contextvars.copy_context(), func, request, ticket))
        return future

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, future, context, func, request, ticket = job
            if not future.cancelled():  # abandoned while it waited: it never starts
                ticket.started = time.monotonic()
                try:
                    result, error = context.run(func, request), None
                except BaseException as exc:  # SystemExit too: the caller says what a handler's exit() means
                    result, error = None, exc
                try:
                    loop.call_soon_threadsafe(_settle, future, result, error)
                except RuntimeError:  # the loop is closed: nobody waits for this any more
                    pass
                del result, error
            del job, loop, future, context, func, request, ticket  # hold nothing of a finished call
            with self._lock:
                self._in_use -= 1
                self._idle += 1

    def shutdown(self) -> None:
        """Drop the calls still waiting for a thread; each thread ends once its running call is done."""
        with self._lock:
            threads, self._threads, self._idle = self._threads, 0, 0
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[1].cancel()
                with self._lock:
                    self._in_use -= 1
        for _ in range(threads):
            self._jobs.put(None)


_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", contextvars.Context, Callable[[Any], Any], Any, Ticket]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # abandoned meanwhile
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
