"""A cap on open connections, so a flood of half-open ones cannot lock Okta out.

Each connection costs a file descriptor, and a process has few (256 by default on macOS). Deadlines close a
slow or idle connection after seconds; until then a stranger can open hundreds. At the cap, each new
connection closes the oldest one that is not being answered: a flood's connections are older than the
call that just arrived, and a call being answered is never cut off.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

MAX_CONNECTIONS = 1000
RESERVED_FDS = 64
"""Descriptors kept for everything else: the store, the tunnel agent's pipes, forwarded calls, key sets."""


def connection_limit() -> int:
    """MAX_CONNECTIONS, or less when the process may open fewer files (RLIMIT_NOFILE, `ulimit -n`)."""
    try:
        import resource
    except ImportError:  # not on this platform: no limit to stay under but our own
        return MAX_CONNECTIONS
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft - max(RESERVED_FDS, soft // 4)))


class ConnectionGuard:
    """Keeps at most `limit` connections open (oldest first out), never one whose call is being answered."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = connection_limit() if limit is None else limit
        self._open: dict[asyncio.Transport, None] = {}
        """Open connections, oldest first (dicts keep insertion order)."""
        self._answering: set[asyncio.Transport] = set()
        self.closed_for_room = 0
        """Connections closed to make room for newer ones."""

    @property
    def open(self) -> int:
        return len(self._open)

    def wrap(self, factory: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for loop.create_server: `factory`'s protocols, counted by this guard."""
        return lambda: _Counted(factory(), self)

    def answering(self, transport: asyncio.Transport) -> None:
        """From the moment the body is in until the answer is made: this connection is not closed for room.
        The caller says when it is done (`answered`), in a finally."""
        self._answering.add(transport)

    def answered(self, transport: asyncio.Transport) -> None:
        self._answering.discard(transport)

    def note_open(self, transport: asyncio.Transport) -> None:
        self._open[transport] = None
        if len(self._open) > self.limit:
            oldest = next((t for t in self._open if t not in self._answering and t is not transport), None)
            if oldest is not None:
                self.note_closed(oldest)
                self.closed_for_room += 1
                oldest.abort()  # at once: the descriptor is what the new connection needs

    def note_closed(self, transport: asyncio.Transport) -> None:
        self._open.pop(transport, None)
        self._answering.discard(transport)


class _Counted(asyncio.Protocol):
    """Passes everything to the wrapped protocol (aiohttp's), telling the guard when the connection opens
    and closes."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard) -> None:
        self.inner = inner
        self.guard = guard
        self.transport: asyncio.Transport | None = None
        # The loop calls data_received for every chunk that arrives: straight to aiohttp's, no call in between.
        self.data_received = inner.data_received  # type: ignore[method-assign]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a stream server's transports are
        self.inner.connection_made(transport)
        self.guard.note_open(self.transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.guard.note_closed(self.transport)
        self.inner.connection_lost(exc)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()
