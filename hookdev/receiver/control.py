"""The receiver's end of the control channel: views attach, get events, and send commands the session carries out.

The receiver never waits for a view: events are written without awaiting the socket, and a view whose unread
events pile up past MAX_BUFFERED (frozen, stopped, too slow) is disconnected; it reconnects and reads the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import secrets
import socket
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from hookdev.control.protocol import (
    MAX_LINE,
    UNIX_PATH_MAX,
    VERSION,
    Address,
    ProtocolError,
    answer_from_json,
    answer_json,
    body_from_json,
    decode,
    encode,
)
from hookdev.models import Exchange

log = logging.getLogger(__name__)

MAX_BUFFERED = 4 * 1024 * 1024
"""Bytes of events a view may leave unread before it is dropped."""
NOTICES_KEPT = 50
"""Notices a view gets when it attaches, so what happened before it opened is still findable."""
HELLO_TIMEOUT_S = 5.0

Command = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class CommandError(Exception):
    """A command that cannot be carried out; its message goes back to the view."""


class _View:
    """One attached view: its socket, and the events it has not read yet."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.closed = False

    def send(self, line: bytes) -> None:
        if self.closed:
            return
        transport = self.writer.transport
        if transport.is_closing() or transport.get_write_buffer_size() > MAX_BUFFERED:
            self.drop("it stopped reading events")
            return
        self.writer.write(line)

    def drop(self, why: str) -> None:
        if not self.closed:
            self.closed = True
            log.info("control channel: a view was disconnected: %s", why)
            self.writer.transport.abort()


class ControlServer:
    """Listens beside the store; `broadcast` sends an event to every attached view."""

    def __init__(self, store_path: Path, state: Callable[[], dict[str, Any]], commands: dict[str, Command]) -> None:
        self.store_path = store_path
        self.state = state
        """The session's view state, sent with hello and with every `state` event."""
        self.commands = commands
        self.token = secrets.token_urlsafe(24)
        self.address: Address | None = None
        self.views: set[_View] = set()
        self.notices: deque[dict[str, Any]] = deque(maxlen=NOTICES_KEPT)
        self.held: dict[int, dict[str, Any]] = {}
        """Calls held right now, as sent in `held` events: a view attaching mid-hold gets them with hello."""
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> Address:
        path = socket_path(self.store_path)
        _remove_stale(self.store_path)
        if path is not None and hasattr(socket, "AF_UNIX"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            self._server = await asyncio.start_unix_server(self._attach, path=str(path), limit=MAX_LINE)
            os.chmod(path, 0o600)  # the token guards it too; only its owner may even connect
            self.address = Address(path=str(path))
        else:
            self._server = await asyncio.start_server(self._attach, host="127.0.0.1", port=0, limit=MAX_LINE)
            port = self._server.sockets[0].getsockname()[1]
            self.address = Address(port=port)
        return self.address

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for view in list(self.views):
                view.drop("serve stopped")
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.address is not None and self.address.path:
            with contextlib.suppress(OSError):
                os.unlink(self.address.path)

    # -- events out ------------------------------------------------------------------------------------
    def broadcast(self, event: dict[str, Any]) -> None:
        if not self.views:
            return
        line = encode(event)
        for view in list(self.views):
            view.send(line)
            if view.closed:
                self.views.discard(view)

    def exchange(self, exchange: Exchange, counters: dict[str, int], answered_ms: float | None = None) -> None:
        event: dict[str, object] = {"event": "exchange", "id": exchange.id, "counters": counters}
        if answered_ms is not None:
            event["answered_ms"] = round(answered_ms, 3)
        self.broadcast(event)

    def notice(self, level: str, message: str) -> None:
        notice = {"event": "notice", "level": level, "message": message, "time": time.time()}
        self.notices.append(notice)
        self.broadcast(notice)

    def state_changed(self) -> None:
        self.broadcast({"event": "state", "state": self.state()})

    def hold(self, hold: dict[str, Any]) -> None:
        self.held[hold["id"]] = hold
        self.broadcast({"event": "held", "hold": hold})

    def release(self, hold_id: int, by: str, answer: dict[str, Any]) -> None:
        self.held.pop(hold_id, None)
        self.broadcast({"event": "released", "hold": hold_id, "by": by, "answer": answer})

    # -- a view ----------------------------------------------------------------------------------------
    async def _attach(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        view = _View(writer)
        try:
            hello = decode(await asyncio.wait_for(reader.readline(), HELLO_TIMEOUT_S))
            token = hello.get("token")
            if hello.get("cmd") != "hello" or not isinstance(token, str) or not hmac.compare_digest(
                    token.encode(), self.token.encode()):
                writer.write(encode({"event": "refused", "error": "wrong token: read it from the run-time file"}))
                return
            view.send(encode({"event": "hello", "version": VERSION, "state": self.state(),
                              "notices": list(self.notices), "held": list(self.held.values())}))
            self.views.add(view)
            while not view.closed:
                line = await reader.readline()
                if not line:
                    break
                self._spawn(self._run(view, decode(line)))
        except (ProtocolError, TimeoutError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
            log.info("control channel: closing a view: %s", exc)
        finally:
            self.views.discard(view)
            if not view.closed:
                view.closed = True
                with contextlib.suppress(Exception):
                    writer.close()

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, view: _View, message: dict[str, Any]) -> None:
        """Carry out one command and send its reply to the view that asked."""
        number = message.get("n")
        name = message.get("cmd")
        command = self.commands.get(name) if isinstance(name, str) else None
        reply: dict[str, Any] = {"event": "reply", "to": number}
        try:
            if command is None:
                raise CommandError(f"unknown command {name!r}")
            reply.update(ok=True, result=await command(message))
        except (CommandError, ProtocolError) as exc:
            reply.update(ok=False, error=str(exc))
        except Exception as exc:  # a failing command is an error reply, never the end of the channel
            log.exception("control command %s failed", name)
            reply.update(ok=False, error=f"{type(exc).__name__}: {exc}")
        view.send(encode(reply))


def _remove_stale(store_path: Path) -> None:
    """Sockets left beside the store by serves that were killed (their process is gone)."""
    from hookdev.runtime import alive

    for leftover in store_path.parent.glob(f"{store_path.name}.*.sock"):
        pid = leftover.name[len(store_path.name) + 1: -len(".sock")]
        if pid.isdigit() and not alive(int(pid)):
            with contextlib.suppress(OSError):
                leftover.unlink()


def socket_path(store_path: Path) -> Path | None:
    """The Unix socket beside the store, named for this process; None where one cannot be used."""
    if sys.platform == "win32":
        return None
    path = store_path.with_name(f"{store_path.name}.{os.getpid()}.sock")
    return path if len(str(path).encode()) <= UNIX_PATH_MAX else None


__all__ = ["Address", "CommandError", "ControlServer", "answer_from_json", "answer_json", "body_from_json",
           "socket_path"]
