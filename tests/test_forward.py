"""Forward mode against real upstreams on 127.0.0.1: relayed request, recorded answer, and every failure."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hookdev.answers.forward import UPSTREAM_HEADER, ForwardResponder
from hookdev.answers.templates import TemplateBook
from tests.answers.calls import make_call, sample


async def answer_json(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def answer_204(request: web.Request) -> web.Response:
    return web.Response(status=204)


def forwarder(tmp_path: Path, url: str, timeout: float = 3.0) -> ForwardResponder:
    return ForwardResponder(url, timeout, TemplateBook(tmp_path / "responses"))


async def raw_server(reply: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Any]) -> AsyncIterator[str]:
    server = await asyncio.start_server(reply, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def test_the_call_is_relayed_with_its_path_query_headers_and_body(tmp_path: Path, aiohttp_server: Any) -> None:
    seen: dict[str, Any] = {}

    async def upstream(request: web.Request) -> web.Response:
        seen.update(
            method=request.method,
            path=request.path_qs,
            headers=dict(request.headers),
            body=await request.json(),
        )
        return web.json_response(
            {"commands": []}, headers={"X-From-Upstream": "yes", "Connection": "keep-alive", "Keep-Alive": "5"}
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", upstream)
    server = await aiohttp_server(app)
    f = forwarder(tmp_path, f"http://127.0.0.1:{server.port}/base/")
    headers = (
        ("Content-Type", "application/json"),
        ("Authorization", "Basic YWRtaW46c3VwZXJzZWNyZXQ="),
        ("Host", "abc.ngrok.app"),
        ("Connection", "keep-alive, X-Drop-Me"),
        ("X-Drop-Me", "1"),
        ("Transfer-Encoding", "chunked"),
        ("User-Agent", "Okta-Integrations"),
        ("X-Okta-Request-Id", "aC0eX6tR9wSg4dFc8jU2kGAAAIs"),
    )
    answer = await f.respond(make_call(sample("token"), path="/tokenHook", query="x=1&y=2", headers=headers))
    assert seen["method"] == "POST"
    assert seen["path"] == "/base/tokenHook?x=1&y=2"
    assert seen["body"]["eventType"] == "com.okta.oauth2.tokens.transform"
    assert seen["headers"]["Authorization"] == "Basic YWRtaW46c3VwZXJzZWNyZXQ="
    assert seen["headers"]["User-Agent"] == "Okta-Integrations"
    assert seen["headers"]["X-Okta-Request-Id"] == "aC0eX6tR9wSg4dFc8jU2kGAAAIs"
    assert seen["headers"]["Host"] != "abc.ngrok.app"
    assert "X-Drop-Me" not in seen["headers"]
    assert (answer.status, json.loads(answer.body), answer.source) == (200, {"commands": []}, "forward")
    names = {k.lower(): v for k, v in answer.headers}
    assert names["x-from-upstream"] == "yes"
    assert "keep-alive" not in names and "connection" not in names and "content-length" not in names
    assert float(names[UPSTREAM_HEADER.lower()]) >= 0
    relayed_to = f"http://127.0.0.1:{server.port}/base/tokenHook?x=1&y=2"
    assert answer.log.startswith(f"forwarded to {relayed_to}: upstream answered 200 in ")
    await f.close()


async def test_redirects_are_passed_back_not_followed(tmp_path: Path, aiohttp_server: Any) -> None:
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/elsewhere")

    app = web.Application()
    app.router.add_post("/hook", moved)
    server = await aiohttp_server(app)
    f = forwarder(tmp_path, f"http://127.0.0.1:{server.port}")
    answer = await f.respond(make_call(sample("saml")))
    assert answer.status == 302
    assert ("Location", "/elsewhere") in answer.headers
    await f.close()


async def test_a_204_from_upstream_is_a_204(tmp_path: Path, aiohttp_server: Any) -> None:
    app = web.Application()
    app.router.add_post("/hook", answer_204)
    server = await aiohttp_server(app)
    f = forwarder(tmp_path, f"http://127.0.0.1:{server.port}")
    answer = await f.respond(make_call(sample("token")))
    assert (answer.status, answer.body, answer.error) == (204, b"", None)
    await f.close()


async def test_nothing_listening_is_a_502_saying_start_your_service(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    f = forwarder(tmp_path, base)
    answer = await f.respond(make_call(sample("token")))
    assert answer.status == 502
    error = json.loads(answer.body)["error"]
    assert error == (
        f"nothing is listening at {base} — start your service, or remove [responses] forward (or --forward)"
    )
    assert answer.error == error and answer.source == "forward"
    await f.close()


async def test_a_slow_upstream_is_a_504_naming_the_timeout(tmp_path: Path, aiohttp_server: Any) -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", slow)
    server = await aiohttp_server(app)
    f = forwarder(tmp_path, f"http://127.0.0.1:{server.port}", timeout=0.1)
    answer = await f.respond(make_call(sample("token")))
    release.set()
    assert answer.status == 504
    assert "did not answer within 0.1 s (responses.forward_timeout)" in json.loads(answer.body)["error"]
    await f.close()


async def _reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
    writer.close()


async def _garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"\x00\xffthis is not HTTP at all\r\n\r\n")
    await writer.drain()
    writer.close()


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.close()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (_reset, ("reset the connection", "closed the connection without answering")),
        (_garbage, ("answered with something that is not HTTP (Bad status line)",)),
        (_hang_up, ("closed the connection without answering",)),
    ],
    ids=["reset", "garbage", "hang-up"],
)
async def test_a_broken_upstream_is_a_502_and_the_next_call_still_works(
    tmp_path: Path, aiohttp_server: Any, reply: Callable[..., Any], expected: tuple[str, ...]
) -> None:
    async for base in raw_server(reply):
        f = forwarder(tmp_path, base)
        answer = await f.respond(make_call(sample("token")))
        assert answer.status == 502
        payload = json.loads(answer.body)
        assert payload["upstream"] == f"{base}/hook"
        assert payload["error"].startswith(f"{base}/hook ")
        assert answer.error == payload["error"]
        assert any(fragment in payload["error"] for fragment in expected)
        await f.close()
    app = web.Application()
    app.router.add_post("/hook", answer_json)
    server = await aiohttp_server(app)
    f = forwarder(tmp_path, f"http://127.0.0.1:{server.port}")
    assert (await f.respond(make_call(sample("token")))).status == 200
    await f.close()


async def test_close_releases_the_shared_session_and_a_later_call_makes_a_new_one(
    tmp_path: Path, aiohttp_server: Any
) -> None:
    app = web.Application()
    app.router.add_post("/hook", answer_json)
    server = await aiohttp_server(app)
    f = forwarder(tmp_path, f"http://127.0.0.1:{server.port}")
    await f.respond(make_call(sample("token")))
    session = f._session
    assert session is not None and not session.closed
    await f.close()
    assert session.closed
    assert (await f.respond(make_call(sample("token")))).status == 200
    await f.close()
