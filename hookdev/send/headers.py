"""Which headers of a recorded call go out again when it is re-sent (send, replay) or exported as curl.

A module of its own, with no HTTP client behind it, so that `hookdev export` starts without aiohttp.
"""

from __future__ import annotations

REPLAY_HEADER = "X-Hookdev-Replay-Of"
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
     "trailer", "trailers", "transfer-encoding", "upgrade"}
)
DROPPED_HEADERS = HOP_BY_HOP | {"host", "content-length", "authorization", REPLAY_HEADER.lower(), "accept-encoding"}
"""Captured headers never re-sent: the connection's own, and credentials (a fresh one is always added)."""
