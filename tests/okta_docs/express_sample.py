"""The event hook service of Okta's ngrok guide, rebuilt in aiohttp so tests need no Node.

Source: developer.okta.com/docs/guides/event-hook-ngrok/ (okta/okta-developer-docs,
docs/guides/event-hook-ngrok/main/nodejs/sample-app.md): an Express app with express-basic-auth
(admin / supersecret, "Unauthorized" otherwise), `GET /userCreated` answering
`response.json({"verification": <x-okta-verification-challenge>})`, and `POST /userCreated` answering
`response.sendStatus(200)`, which Express sends as 200 with the text body "OK".
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

GUIDE_CREDENTIAL = "Basic " + base64.b64encode(b"admin:supersecret").decode()


@dataclass
class ExpressSample:
    echo: bool = True
    """False: answer the verification with a wrong value, as a buggy service would."""
    calls: list[dict[str, Any]] = field(default_factory=list)

    async def user_created(self, request: web.Request) -> web.Response:
        self.calls.append({"method": request.method, "headers": dict(request.headers), "body": await request.read()})
        if request.headers.get("Authorization") != GUIDE_CREDENTIAL:
            return web.Response(status=401, text="Unauthorized", headers={"WWW-Authenticate": 'Basic realm=""'})
        if request.method == "GET":
            challenge = request.headers.get("x-okta-verification-challenge")
            return web.json_response({"verification": challenge if self.echo else "not-the-challenge"})
        return web.Response(status=200, text="OK", content_type="text/plain", charset="utf-8")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("GET", "/userCreated", self.user_created)
        app.router.add_route("POST", "/userCreated", self.user_created)
        return app
