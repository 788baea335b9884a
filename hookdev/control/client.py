"""A view's end of the control channel: attach to the serve running on a store, read its events, send commands."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from hookdev.control.protocol import MAX_LINE, Address, ProtocolError, decode, encode
from hookdev.errors import HookdevError
from hookdev.runtime import read_runtime

QUEUED_EVENTS = 10_000
"""Events a view may have unread before this client stops reading the socket (and the serve drops the view)."""
CONNECT_TIMEOUT_S = 5.0


class NoServe(HookdevError):
    """No serve is running on the store, or it cannot be reached."""


class CommandFailed(HookdevError):
    """The serve could not carry out a command; the message says why."""


class Disconnected(HookdevError):
    """The serve stopped, or dropped this view, while a command waited for its reply."""


def how_to_start(store_path: Path) -> str:
    return (f"start one in another terminal with `hookdev serve --headless --store {store_path}` "
            "(or `hookdev serve`, which opens the inspector itself)")


class ControlClient:
    """One attachment to a serve. `events()` yields what happens; `call()` sends a command and waits for its reply."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, hello: dict[str, Any]) -> None:
        self._reader = reader
        self._writer = writer
        self.state: dict[str, Any] = dict(hello.get("state") or {})
        """What the serve says about itself; kept current by `state` events."""
        self.notices: list[dict[str, Any]] = list(hello.get("notices") or [])
        self.held: list[dict[str, Any]] = list(hello.get("held") or [])
        self._numbers = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUED_EVENTS)
        self._task = asyncio.ensure_future(self._read())
        self.closed = asyncio.Event()

    @classmethod
    async def connect(cls, store_path: Path, *, timeout: float = CONNECT_TIMEOUT_S) -> ControlClient:
        """Attach to the serve recording to store_path; NoServe says what to do when there is none."""
        record = read_runtime(store_path)
        if record is None:
            raise NoServe(f"no hookdev serve is running on {store_path}; {how_to_start(store_path)}")
        address = Address.from_json(record.get("control"))
        token = record.get("token")
        if address is None or not isinstance(token, str):
            raise NoServe(f"the serve running on {store_path} (pid {record.get('pid')}) offers no control channel; "
                          "restart it with this hookdev")
        try:
            if address.path:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_unix_connection(address.path, limit=MAX_LINE), timeout)
            else:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(address.host, address.port, limit=MAX_LINE), timeout)
            writer.write(encode({"cmd": "hello", "token": token}))
            hello = decode(await asyncio.wait_for(reader.readline(), timeout))
        except (OSError, TimeoutError, ProtocolError, ValueError) as exc:
            raise NoServe(f"cannot reach the serve running on {store_path} (pid {record.get('pid')}): "
                          f"{getattr(exc, 'strerror', None) or exc or type(exc).__name__}") from None
        if hello.get("event") != "hello":
            writer.close()
            raise NoServe(f"the serve on {store_path} refused this view: {hello.get('error', hello)}")
        return cls(reader, writer, hello)

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Every event until the serve stops or drops this view."""
        while True:
            event = await self._events.get()
            if event is None:
                return
            yield event

    async def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        """Send a command; its result, or CommandFailed with the serve's reason."""
        if self.closed.is_set():
            raise Disconnected("the serve is gone: no command can be carried out")
        number = next(self._numbers)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[number] = future
        try:
            self._writer.write(encode({"cmd": cmd, "n": number, **args}))
            reply = await future
        finally:
            self._waiting.pop(number, None)
        if not reply.get("ok"):
            raise CommandFailed(str(reply.get("error") or "the serve could not do it"))
        result = reply.get("result")
        return result if isinstance(result, dict) else {}

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()
        self._finish()

    async def _read(self) -> None:
        try:
            while line := await self._reader.readline():
                message = decode(line)
                if message.get("event") == "reply":
                    future = self._waiting.get(message.get("to"))  # type: ignore[arg-type]
                    if future is not None and not future.done():
                        future.set_result(message)
                    continue
                self._track(message)
                await self._events.put(message)  # a full queue stops the reading: the serve then drops us
        except (ConnectionError, ProtocolError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            self._finish()

    def _track(self, message: dict[str, Any]) -> None:
        kind = message.get("event")
        if kind == "state" and isinstance(message.get("state"), dict):
            self.state = message["state"]
        elif kind == "exchange" and isinstance(message.get("counters"), dict):
            self.state["counters"] = message["counters"]
        elif kind == "notice":
            self.notices.append(message)
        elif kind == "held" and isinstance(message.get("hold"), dict):
            self.held.append(message["hold"])
        elif kind == "released":
            self.held = [h for h in self.held if h.get("id") != message.get("hold")]

    def _finish(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(Disconnected("the serve stopped (or dropped this view) before it replied"))
        if self._events.full():  # the end must get through; one unread event less does not matter now
            self._events.get_nowait()
        self._events.put_nowait(None)
