"""A background poller that keeps file-backed answers fresh, so no hook call waits on a file check."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Poller:
    """Awaits `check` every `interval` seconds once started; the request path never waits on it.

    A check on the request path would hop to a thread on a timer: each hop costs a thread hand-off, and at
    Okta-like rates that one call in fifty dominated the p99 latency. Polling in the background keeps every
    call on the in-memory copy, and an edit on disk still shows within `interval`.
    """

    def __init__(self, check: Callable[[], Awaitable[object]], interval: float) -> None:
        self.check = check
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start polling on the running loop (idempotent)."""
        if self._task is None and self.interval > 0:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="hookdev-answer-poller")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:
                log.exception("checking answer files failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
