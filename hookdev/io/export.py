"""Exchanges out of the store and back: HAR 1.2, curl command lines, payload files `send` takes back."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from hookdev.io.har import cleaned, import_har, to_har, url_of
from hookdev.models import Exchange
from hookdev.send.sender import DROPPED_HEADERS

__all__ = ["to_har", "to_curl", "to_payload", "from_har", "import_har", "payload_filename"]


def to_curl(exchange: Exchange, *, redact: bool, secret_header: str | None, base_url: str) -> str:
    """One curl command line that makes the same call (secrets masked unless redact is off).

    An empty base_url keeps the scheme and host the call arrived with (its Host header).
    """
    c = cleaned(exchange, redact=redact, secret_header=secret_header)
    parts = ["curl", "-X", exchange.request.method, shlex.quote(url_of(exchange, base_url or None))]
    for name, value in c.req_headers:
        if name.lower() in DROPPED_HEADERS and name.lower() != "authorization":
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if exchange.request.body:
        parts += ["--data-binary", shlex.quote(c.req_body.decode("utf-8", errors="replace"))]
    return " ".join(parts)


def to_payload(exchange: Exchange, *, redact: bool) -> dict[str, Any]:
    """A file `hookdev send` takes back: the JSON body itself, or a request description for anything else."""
    c = cleaned(exchange, redact=redact, secret_header=None)
    req = exchange.request
    body: Any
    try:
        body = json.loads(c.req_body) if c.req_body.strip() else None
    except (ValueError, RecursionError):
        body = c.req_body.decode("utf-8", errors="replace")
    if req.method == "POST" and isinstance(body, dict) and "eventType" in body:
        return body
    # Credentials are never part of a payload: send adds the configured ones.
    headers = {k: v for k, v in c.req_headers if k.lower() not in DROPPED_HEADERS}
    out: dict[str, Any] = {"method": req.method, "headers": headers}
    if body is not None:
        out["body"] = body
    return out


def payload_filename(exchange: Exchange) -> str:
    """e.g. 0k3x9a7bq2c1d-token-tokenHook.json: sortable by time, readable at a glance."""
    path = re.sub(r"[^A-Za-z0-9_.-]+", "-", exchange.request.path.strip("/")) or "root"
    return f"{exchange.id}-{exchange.kind}-{path[:40]}.json"


def from_har(data: dict[str, Any]) -> list[Exchange]:
    """The exchanges of a HAR document worth replaying (Okta-like POSTs and verification GETs)."""
    return import_har(data)[0]

