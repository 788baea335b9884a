"""Whether a host name is this machine: plain http (issuers, key sets, a double of the org) is trusted only there."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_remote_url(url: str) -> bool:
    """A URL on another machine (an Okta org's issuer, say); False for an empty one and for loopback."""
    if not url:
        return False
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return True
    return not is_loopback_host(host)


def reachable_host(bind: str) -> str:
    """The host part of a URL that reaches a server bound to `bind`: a wildcard address becomes this machine's
    loopback of the same family (a URL to 0.0.0.0 or [::] is no address to give anyone), IPv6 gets brackets."""
    if bind in ("", "0.0.0.0"):
        return "127.0.0.1"
    if bind == "::":
        return "[::1]"
    return f"[{bind}]" if ":" in bind else bind
