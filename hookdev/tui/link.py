"""The inspector's view of a running serve: its events and commands (the control channel) and its calls (the store).

The inspector never touches the receiver's objects: it reads rows from the store, read-only, and asks the serve
to act (replay, save an answer, hold a call) over the control channel. When the serve drops it (the view fell
behind) it attaches again and says so, so the screen can read what it missed from the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from hookdev.control.client import ControlClient, Disconnected, NoServe
from hookdev.receiver.store import Store
from hookdev.runtime import read_runtime

Connect = Callable[[Path], Awaitable[ControlClient]]
RETRY_S = (0.1, 0.3, 0.6, 1.0, 2.0)
"""Pauses between attempts to attach again after a drop, while the serve's run-time file says it is alive."""


class ServeLink:
    """One inspector's attachment. `events()` yields the serve's events, plus `detached`, `attached` and `gone`."""

    def __init__(self, store_path: Path, *, connect: Connect | None = None) -> None:
        self.store_path = store_path
        self._connect = connect or (lambda path: ControlClient.connect(path))
        self.client: ControlClient | None = None
        self.store: Store | None = None
        self.state: dict[str, Any] = {}
        self.closing = False

    async def attach(self) -> None:
        """Attach to the serve and open its store; NoServe when there is none to attach to."""
        self.client = await self._connect(self.store_path)
        self.state = self.client.state
        if self.store is None:
            self.store = await asyncio.to_thread(Store, self.store_path, readonly=True)

    @property
    def attached(self) -> bool:
        return self.client is not None and not self.client.closed.is_set()

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        while self.client is not None:
            async for event in self.client.events():
                if event.get("event") == "state":
                    self.state = event["state"]
                elif event.get("event") == "exchange":
                    self.state["counters"] = event.get("counters", {})
                yield event
            if self.closing:
                return
            yield {"event": "detached"}
            if await self._reattach():
                yield {"event": "attached"}
            else:
                self.client = None
                yield {"event": "gone"}

    async def _reattach(self) -> bool:
        for pause in RETRY_S:
            if read_runtime(self.store_path) is None:
                return False  # the serve stopped: there is nothing to attach to
            await asyncio.sleep(pause)
            try:
                await self.attach()
                return True
            except NoServe:
                continue
        return False

    async def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        """Ask the serve to do something; Disconnected when it is gone, CommandFailed when it cannot."""
        if self.client is None or self.client.closed.is_set():
            raise Disconnected("the serve is not running any more: replays, answers and breakpoints need it")
        return await self.client.call(cmd, **args)

    @property
    def notices(self) -> list[dict[str, Any]]:
        return self.client.notices if self.client is not None else []

    @property
    def held(self) -> list[dict[str, Any]]:
        return self.client.held if self.client is not None else []

    async def close(self) -> None:
        self.closing = True
        if self.client is not None:
            await self.client.close()
        if self.store is not None:
            store, self.store = self.store, None
            await asyncio.to_thread(store.close)
