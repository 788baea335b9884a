"""What `serve` says when it starts: the settings it loaded, where to point Okta, how calls are answered and
checked, and a first call to try."""

from __future__ import annotations

import base64
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hookdev import __version__
from hookdev.cli.init import GUIDES, Guide
from hookdev.config import SECTIONS, Settings
from hookdev.io.redact import mask_value
from hookdev.io.terminal import safe_text
from hookdev.okta.kinds import kind_named
from hookdev.receiver.session import Session

GUIDE_OF_KIND: dict[str, Guide] = {
    kind: guide for name, guide in GUIDES.items() if (kind := kind_named(name)) is not None
}
"""The guide (its usual path and sample) of each hook kind `init` has a scaffold for."""


@dataclass(frozen=True, slots=True)
class Answering:
    """How calls are answered, as the banner and the inspector's header say it."""

    summary: str
    warnings: tuple[str, ...] = ()
    """What the user should fix before the first call; the inspector gets each as a notice too."""
    kinds: tuple[str, ...] = field(default=())
    """Kinds (or paths) the user's handler answers, in the order its guide would try them."""
    handler_error: str | None = None
    """Why the handler file cannot answer yet. The file announces it as a notice of its own when it loads, so the
    banner shows it and the start-up notices leave that one out rather than say it twice."""

    def said(self, message: str) -> bool:
        """Whether a start-up notice repeats what the banner already says."""
        return self.handler_error is not None and message.startswith(self.handler_error)


async def answering(session: Session) -> Answering:
    """How the session answers: loads the handler file now (so a missing or broken file is said at start) and
    checks that a forward upstream is listening."""
    s = session.settings
    responder: Any = session.receiver.responder if session.receiver is not None else None
    handlers = getattr(responder, "handlers", None)  # a breakpoint wrapper passes attributes through
    templates = _shown(s, s.responses.dir)
    if handlers is not None:
        loaded = await handlers.current()
        name = _shown(s, s.responses.handler)
        if loaded.error is not None:
            return Answering(f"{name} (not usable yet, see the warning)", handler_error=loaded.error)
        names = [*loaded.by_path, *loaded.by_kind] + (["default"] if loaded.fallback else [])
        functions = ", ".join(names) or "nothing yet"
        rest = "" if loaded.fallback else f"; templates in {templates} for the rest"
        return Answering(f"{name} answers {functions}{rest}", kinds=tuple(names))
    if s.responses.forward:
        from hookdev.answers.forward import probe

        why = await probe(s.responses.forward)
        if why is None:
            return Answering(f"forwarded to {s.responses.forward} (it is listening)")
        warning = (f"nothing answers at {s.responses.forward} yet ({why}): calls get a 502 until your service "
                   "is up")
        return Answering(f"forwarded to {s.responses.forward} (not listening yet)", (warning,))
    return Answering(f"templates in {templates} (edit them: the next call uses them)")


def _shown(settings: Settings, value: str) -> str:
    """A configured path as the user would type it: relative to the working folder when inside it."""
    path = settings.path(value)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def config_line(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    """Where the settings came from: the files read, and the HOOKDEV_* variables that override them."""
    environ = os.environ if environ is None else environ
    variables = sorted(name for name in environ if _setting_variable(name))
    overridden = f"; overridden by {', '.join(variables)} from the environment" if variables else ""
    if not settings.sources:
        return f"built-in defaults (`hookdev init KIND` writes a hookdev.toml){overridden}"
    files = ", ".join(_shown(settings, source) for source in settings.sources)
    if not any(Path(source).suffix == ".toml" for source in settings.sources):
        return f"{files}, otherwise built-in defaults (no hookdev.toml here){overridden}"
    return files + overridden


def _setting_variable(name: str) -> bool:
    """Whether an environment variable is one load_settings reads as a setting (HOOKDEV_<SECTION>_<KEY>)."""
    section, _, key = name.removeprefix("HOOKDEV_").lower().partition("_")
    return name.startswith("HOOKDEV_") and section in SECTIONS and bool(key)


def bind_warning(host: str, port: int) -> str | None:
    """A warning when the receiver listens on more than this machine's loopback."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None if host == "localhost" else f"listening on {host}:{port}, not only on this machine's loopback"
    if address.is_loopback:
        return None
    where = "every network this machine is on" if address.is_unspecified else f"the network of {host}"
    shown = f"[{host}]" if address.version == 6 else host
    return (f"listening on {shown}:{port}: anyone on {where} can call it, tunnel or not "
            "(--host 127.0.0.1 keeps it to this machine)")


def guide_for(session: Session, handled: tuple[str, ...]) -> Guide:
    """The guide that fits what answers: the handler's kind or path, else the last path used, else token's."""
    by_path = {guide.path: guide for guide in GUIDES.values()}
    for name in handled:
        if (guide := GUIDE_OF_KIND.get(name) or by_path.get(name)) is not None:
            return guide
    return next((by_path[p] for p in session.paths if p in by_path), GUIDE_OF_KIND["token"])


def auth_hint(settings: Settings, issuer: str) -> str:
    """What Okta must send, in one line, with the secret masked."""
    a = settings.auth
    enforce = "" if a.enforce else "  (not enforced: calls are answered anyway)"
    if a.mode == "basic":
        value = "Basic " + base64.b64encode(f"{a.username}:{a.password}".encode()).decode()
        return f"basic — Okta sends  Authorization: {mask_value(value)}  (user {a.username}){enforce}"
    if a.mode == "header":
        return f"header — Okta sends  {a.header}: {mask_value(a.secret)}{enforce}"
    if a.mode == "oauth":
        return f"oauth — Bearer JWT from {issuer}, aud {a.audience}{enforce}"
    return "none — every call is accepted"


def banner(session: Session, how: Answering) -> str:
    s = session.settings
    guide = guide_for(session, how.kinds)
    lines = [
        f"hookdev {__version__} — receiving Okta hooks",
        f"  config       {config_line(s)}",
        f"  local URL    {session.local_url}   (every path is a hook endpoint)",
    ]
    port = int(session.local_url.rsplit(":", 1)[1])
    if (warning := bind_warning(s.server.host, port)) is not None:
        lines.append(f"  warning      {warning}")
    if session.public_url:
        lines.append(f"  public URL   {session.public_url}")
        lines.append(f"  paste into Okta, e.g. {session.public_url}{guide.path}")
    elif session.tunnel_error:
        lines.append("  tunnel       not open (see below); the local receiver runs anyway")
    else:
        lines.append("  tunnel       off (add --tunnel so Okta can reach this laptop)")
    lines.append(f"  answers      {how.summary}")
    if how.handler_error is not None:
        lines.append(f"  warning      {how.handler_error}; until then calls get a 500")
    lines += [f"  warning      {w}" for w in how.warnings]
    lines.append(f"  auth         {auth_hint(s, session.issuer)}")
    if s.authserver.mount:
        reachable = (session.public_url + s.authserver.path) if session.public_url else session.local_issuer
        lines.append(f"  OAuth issuer {session.local_issuer}")
        lines.append(f"  token URL    {reachable}/v1/token  (for Okta's OAuth 2.0 settings)")
    lines.append(f"  store        {session.store_path}")
    lines.append(f"  try          hookdev send {guide.sample} --to {session.local_url}{guide.path}")
    lines.append("Ctrl-C to stop.")
    return safe_text("\n".join(lines), multiline=True)
