"""Masking of secrets (auth headers, header secrets, imported passwords, client secrets) for display and export."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from hookdev.models import Exchange, Headers

MASK = "••••••"
ALWAYS_SECRET = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
SCHEMES = ("basic", "bearer", "sso-key", "ssws", "dpop")


def mask_value(value: str) -> str:
    """The value with none of its secret shown: only a recognised scheme word (`Basic ••••••`) stays."""
    scheme, sep, _ = value.partition(" ")
    if sep and scheme.lower() in SCHEMES:
        return f"{scheme} {MASK}"
    return MASK


def secret_header_names(extra: str | Iterable[str] | None = None) -> frozenset[str]:
    names = set(ALWAYS_SECRET)
    for name in [extra] if isinstance(extra, str) else extra or ():
        if name:
            names.add(name.lower())
    return frozenset(names)


def mask_headers(headers: Headers, secret_header: str | Iterable[str] | None = None) -> Headers:
    """Headers with every secret value masked: the usual credential headers and the named ones."""
    names = secret_header_names(secret_header)
    return tuple((k, mask_value(v) if k.lower() in names else v) for k, v in headers)


def exchange_secrets(ex: Exchange, secret_header: str | None = None) -> frozenset[str]:
    """The headers to mask in an exchange: the one that held the credential when it was captured (whatever the
    configuration says now, wherever it is shown), and the configured one."""
    return secret_header_names([name for name in (ex.auth.header, secret_header) if name])


def mask_body(body: Any) -> Any:
    """A parsed payload with the password-import password (and other credential fields) masked."""
    if isinstance(body, dict):
        out: dict[str, Any] = {}
        for key, value in body.items():
            if key in ("password", "client_secret", "clientSecret") and isinstance(value, str):
                out[key] = MASK
            else:
                out[key] = mask_body(value)
        return out
    if isinstance(body, list):
        return [mask_body(v) for v in body]
    return body


def has_secrets(body: bytes) -> bool:
    """Whether a body may hold a field mask_body masks (most do not: they need no walk through)."""
    return b"password" in body or b"lient_secret" in body or b"lientSecret" in body


def mask_body_bytes(body: bytes) -> bytes:
    """The same masking on raw bytes; non-JSON bodies are returned unchanged."""
    if not has_secrets(body):
        return body
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    return json.dumps(mask_body(parsed), indent=None).encode()
