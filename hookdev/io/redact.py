"""Masking of secrets (auth headers, header secrets, imported passwords, client secrets) for display and export."""

from __future__ import annotations

import json
from typing import Any

from hookdev.models import Headers

MASK = "••••••"
ALWAYS_SECRET = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})


def mask_value(value: str, keep: int = 4) -> str:
    """Keep a recognisable prefix (e.g. the scheme) and mask the rest."""
    scheme, sep, rest = value.partition(" ")
    if sep and scheme.lower() in ("basic", "bearer", "sso-key", "ssws"):
        return f"{scheme} {rest[:keep]}{MASK}" if len(rest) > keep * 3 else f"{scheme} {MASK}"
    return f"{value[:keep]}{MASK}" if len(value) > keep * 3 else MASK


def secret_header_names(extra: str | None = None) -> frozenset[str]:
    names = set(ALWAYS_SECRET)
    if extra:
        names.add(extra.lower())
    return frozenset(names)


def mask_headers(headers: Headers, secret_header: str | None = None) -> Headers:
    """Headers with every secret value masked."""
    names = secret_header_names(secret_header)
    return tuple((k, mask_value(v) if k.lower() in names else v) for k, v in headers)


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


def mask_body_bytes(body: bytes) -> bytes:
    """The same masking on raw bytes; non-JSON bodies are returned unchanged."""
    if b"password" not in body and b"lient_secret" not in body and b"lientSecret" not in body:
        return body
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    return json.dumps(mask_body(parsed), indent=None).encode()
