"""Credentials anyone can read, and whether a tunnel would put the receiver behind one.

Okta's guides and Glitch samples use admin / supersecret; hookdev's own source gives the local authorization
server a built-in client secret. Behind a public URL either one lets a stranger in, so `serve --tunnel` says
which credential is at fault and keeps the tunnel closed unless told otherwise.
"""

from __future__ import annotations

from hookdev.config import Settings

GUIDE_USER, GUIDE_PASSWORD = "admin", "supersecret"
BUILT_IN_CLIENT_SECRET = "hookdev-local-secret"
PUBLISHED_SECRETS = frozenset({GUIDE_PASSWORD, BUILT_IN_CLIENT_SECRET})
NEW_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(24))'"
"""A command that prints a secret worth using, for the fixes below."""


def exposures(settings: Settings) -> list[str]:
    """Why a public URL in front of this receiver would let anyone in: one sentence each, with the fix."""
    auth = settings.auth
    if auth.mode == "none":
        return ["[auth] mode is 'none': every call is answered, whoever sends it. Set [auth] mode = basic, "
                "header or oauth (`hookdev init KIND` writes random credentials)"]
    if auth.mode == "basic" and auth.password in PUBLISHED_SECRETS:
        return [f"the Basic password of user {auth.username!r} is {auth.password!r}, published in Okta's guides "
                f"and hookdev's source. Set PASSWORD in .env (or [auth] password) to a random one: {NEW_SECRET}"]
    if auth.mode == "header" and auth.secret in PUBLISHED_SECRETS:
        return [f"the {auth.header} secret is {auth.secret!r}, published in Okta's guides and hookdev's source. "
                f"Set [auth] secret to a random one: {NEW_SECRET}"]
    if auth.mode == "oauth" and not auth.issuer and settings.authserver.mount:
        return [
            f"the local authorization server gives tokens to client {client.client_id!r} for the built-in secret "
            f"{BUILT_IN_CLIENT_SECRET!r}, published in hookdev's source, and its token URL is public through the "
            f"tunnel. Set client_secret of that [[authserver.clients]] entry to a random one: {NEW_SECRET}"
            for client in settings.authserver.clients
            if client.client_secret == BUILT_IN_CLIENT_SECRET and auth.client_id in ("", client.client_id)
        ]
    return []


def answered_anyway(settings: Settings) -> str | None:
    """A warning when calls that fail auth are answered all the same: fine for debugging, and public now."""
    if settings.auth.mode != "none" and not settings.auth.enforce:
        return ("[auth] enforce = false: calls that fail auth are answered anyway, through the public URL too; "
                "set it back to true once Okta's calls pass")
    return None


def tunnel_verdict(settings: Settings) -> tuple[str | None, list[str]]:
    """(why the tunnel stays closed, or None; the warnings to give when it opens)."""
    exposed = exposures(settings)
    if exposed and not settings.tunnel.allow_insecure:
        return (" ".join(exposed) + ". To open it anyway: --insecure-tunnel, or [tunnel] allow_insecure = true",
                [])
    warnings = [*exposed, *filter(None, [answered_anyway(settings)])]
    return None, warnings
