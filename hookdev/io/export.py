"""Exchanges out of the store and back: HAR 1.2, curl command lines, payload files `send` takes back."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from hookdev.io.har import cleaned, import_har, to_har, url_of
from hookdev.io.terminal import is_safe
from hookdev.models import Exchange
from hookdev.send.headers import DROPPED_HEADERS

__all__ = ["to_har", "to_curl", "to_payload", "from_har", "import_har", "payload_filename"]


def to_curl(exchange: Exchange, *, redact: bool, secret_header: str | None, base_url: str) -> str:
    """One POSIX shell line that makes the same call with curl (secrets masked unless redact is off).

    Safe to paste: the URL is base_url (the receiver's own, never the call's Host or X-Forwarded-* headers),
    the body is literal data (`--data-raw`, or piped from printf to `--data-binary @-`, so a body starting
    with @ never names a file), and bytes that a terminal would act on are written as printf escapes.
    """
    c = cleaned(exchange, redact=redact, secret_header=secret_header)
    req = exchange.request
    parts = ["curl", "-X", shlex.quote(req.method), shlex.quote(url_of(exchange, base_url))]
    for name, value in c.req_headers:
        if name.lower() in DROPPED_HEADERS and name.lower() != "authorization":
            continue
        parts += ["-H", _shell_word(f"{name}: {value}".encode("utf-8", errors="surrogateescape"))]
    if not req.body:
        return " ".join(parts)
    text = _plain(c.req_body)
    if text is not None:
        return " ".join([*parts, "--data-raw", shlex.quote(text)])
    return f"printf '{_printf_escaped(c.req_body)}' | " + " ".join([*parts, "--data-binary", "@-"])


def _plain(data: bytes) -> str | None:
    """The data as text when it is UTF-8 a terminal shows as it is (newlines and tabs allowed), else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if is_safe(text, multiline=True) else None


def _shell_word(data: bytes) -> str:
    """One shell word holding exactly these bytes: quoted when plain, else built by printf."""
    text = _plain(data)
    if text is not None and "\n" not in text and "\t" not in text:
        return shlex.quote(text)
    return f"\"$(printf '{_printf_escaped(data)}')\""


def _printf_escaped(data: bytes) -> str:
    """A printf format (inside single quotes) that prints exactly `data`: printable ASCII as it is, the rest octal."""
    out = []
    for byte in data:
        if byte == 0x27:  # a single quote ends the quoted format: close, escape it, reopen
            out.append("'\\''")
        elif byte == 0x5C:
            out.append("\\\\")
        elif byte == 0x25:
            out.append("%%")
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)


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

