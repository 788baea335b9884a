"""What `send` and `replay` know of the serve running on the store: its URLs, and the auth mode it verifies."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from hookdev.config import AUTH_MODES, Settings
from hookdev.runtime import read_runtime

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        port = None
    return parts.scheme, "127.0.0.1" if host in LOOPBACK else host, port


def serves(target: str, running: dict[str, object]) -> bool:
    """Whether a call to `target` reaches the serve described by its run-time file (its local or public URL)."""
    wanted = _origin(target)
    return any(isinstance(url, str) and url and _origin(url) == wanted
               for url in (running.get("url"), running.get("public_url")))


def with_serve_auth(settings: Settings, target: str) -> tuple[Settings, str | None]:
    """The settings to call `target` with, and a note when they differ from the configured ones.

    When `target` is the serve running on this store and that serve verifies another auth mode than these
    settings name (it was started with `--auth oauth`, say), the call uses the serve's mode: a 401 from a
    mode mismatch teaches nothing. `send --auth MODE` overrides this.
    """
    running = read_runtime(settings.path(settings.server.store))
    if running is None or not serves(target, running):
        return settings, None
    mode = running.get("auth")
    if not isinstance(mode, str) or mode not in AUTH_MODES or mode == settings.auth.mode:
        return settings, None
    note = (f"the serve running on this store verifies {mode} (these settings say {settings.auth.mode}), "
            f"so the call uses {mode}; pass --auth to choose")
    return dataclasses.replace(settings, auth=dataclasses.replace(settings.auth, mode=mode)), note


def refusal_hint(refused: bool, exchange_id: str | None) -> str | None:
    """A hint when a hookdev receiver refused the credential: maybe it verifies another mode than was sent."""
    if not refused:
        return None
    look = f" (`hookdev show {exchange_id}` says what was wrong)" if exchange_id else ""
    return ("the receiver refused the credential: if it verifies another auth mode or secret than these "
            f"settings, pass --auth MODE or the --config that serve uses{look}")
