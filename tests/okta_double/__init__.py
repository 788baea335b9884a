"""A local double of an Okta org for tests: aiohttp on 127.0.0.1 port 0 that behaves as Okta does for hooks.

Hooks CRUD and lifecycle, execute (it really POSTs to the hook and returns its answer, or Okta's 400), event
hook verification (it really sends the challenge GET with the hook's auth and checks the echo), deliveries,
the System Log with the request ids it sent, SSWS tokens and service apps (private_key_jwt, DPoP), 401, 403,
404, 429 with X-Rate-Limit-Reset, and Link pagination.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from tests.okta_double.api import create_app
from tests.okta_double.org import Hook, Org, ServiceApp
from tests.okta_double.outbound import deliver

__all__ = ["Hook", "Org", "ServiceApp", "deliver", "running_org"]


@asynccontextmanager
async def running_org(**fields: Any) -> AsyncIterator[Org]:
    """An org serving on 127.0.0.1:0 with one valid API token (org.token); org.base is its URL."""
    org = Org(**fields)
    org.token = "00" + secrets.token_urlsafe(30)
    org.api_tokens.add(org.token)
    runner = web.AppRunner(create_app(org), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    org.base = f"http://127.0.0.1:{port}"
    try:
        yield org
    finally:
        await runner.cleanup()
