"""Faults around the receiver: a forward upstream that refuses, hangs, resets or answers garbage; a failing key set."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest

from hookdev.auth.authserver import mint_token
from hookdev.auth.keys import KeyStore
from hookdev.receiver.store import Filter
from tests.reliability.live import TOKEN_BODY, live_session

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def test_over() -> AsyncIterator[asyncio.Event]:
    """Set when the test is over: a peer that must be slower than any timeout waits for it."""
    over = asyncio.Event()
    yield over
    over.set()


def hanging(test_over: asyncio.Event) -> Behaviour:
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await test_over.wait()  # never answers while the test runs, however long its timeout takes to come
        writer.close()

    return hang


async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a RST
    writer.transport.abort()


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"\x00\xffnot http at all\r\n\r\n")
    await writer.drain()
    writer.close()


async def half_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"commands\": [")
    await writer.drain()
    writer.close()


async def raw_server(behaviour: Behaviour) -> tuple[asyncio.AbstractServer, str]:
    server = await asyncio.start_server(behaviour, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def verification_status(session) -> int:
    """The status an event-hook verification GET gets: in forward mode it is relayed like every other call."""
    async with aiohttp.ClientSession() as http:
        async with http.get(session.local_url + "/e", headers={"X-Okta-Verification-Challenge": "c"}) as resp:
            return resp.status


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


async def call(session, path: str = "/tokenHook", headers: dict[str, str] | None = None) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.post(session.local_url + path, data=TOKEN_BODY,
                             headers={"Content-Type": "application/json", **(headers or {})}) as resp:
            return resp.status, await resp.json(content_type=None)


@pytest.mark.parametrize("fault, status, says", [
    ("refuses", 502, "nothing is listening"),
    ("hangs", 504, "did not answer within 0.2 s"),
    ("resets", 502, "reset the connection"),
    ("garbage", 502, "answered with something that is not HTTP"),
    ("half_answer", 502, "did not send a usable HTTP answer"),
])
async def test_forward_upstream_faults_are_answered_and_recorded(tmp_path, test_over, fault, status, says):
    behaviours = {"hangs": hanging(test_over), "resets": reset, "garbage": garbage, "half_answer": half_answer}
    server = None
    if fault == "refuses":
        upstream = closed_port()
    else:
        server, upstream = await raw_server(behaviours[fault])
    try:
        # Only a hung upstream may meet the timeout; every other fault is answered at once however busy the
        # machine is, so it gets a timeout no load can reach.
        responses = {"forward": upstream, "forward_timeout": 0.2 if fault == "hangs" else 60}
        async with live_session(tmp_path, responses=responses) as session:
            got, payload = await call(session)
            assert got == status and "the service behind hookdev did not answer" in payload["error"]
            assert upstream not in json.dumps(payload)  # the caller may be a stranger: no local URL
            [ex] = session.store.list(Filter(path="/tokenHook"))
            assert (ex.status, ex.source) == (status, "forward") and says in ex.error
            assert session.counters.errors == 1
            assert (await call(session, "/again"))[0] == status  # still answering the same way
            assert await verification_status(session) == status  # relayed, so it meets the same fault
            assert session.store.count() == 3
    finally:
        if server is not None:
            server.close()


async def key_set_server(kind: str, test_over: asyncio.Event) -> tuple[asyncio.AbstractServer | None, str]:
    if kind == "refuses":
        return None, closed_port()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if kind == "hangs":
            await test_over.wait()
            writer.close()
            return
        bodies = {"error_500": (500, b"oops"), "not_json": (200, b"<html>"), "no_keys": (200, b'{"keys": "x"}')}
        code, body = bodies[kind]
        writer.write(
            b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (code, len(body), body)
        )
        await writer.drain()
        writer.close()

    return await raw_server(answer)


@pytest.mark.parametrize("kind", ["refuses", "hangs", "error_500", "not_json", "no_keys"])
async def test_key_set_fetch_faults_refuse_the_call_clearly(tmp_path, test_over, kind):
    server, base = await key_set_server(kind, test_over)
    try:
        auth = {"mode": "oauth", "issuer": base + "/oauth2/default"}
        async with live_session(tmp_path, auth=auth) as session:
            good, _ = mint_token(session.settings.authserver, KeyStore.in_memory(), base + "/oauth2/default",
                                 "okta-hooks", ["okta.hooks"])
            status, payload = await call(session, headers={"Authorization": "Bearer " + good})
            assert status == 401 and payload["reason"] == "jwks_unavailable"
            [ex] = session.store.list()
            assert not ex.auth.ok and ex.auth.reason == "jwks_unavailable" and ex.auth.detail
            assert (await call(session))[0] == 401  # and a call without a token is still refused, not crashed
            assert session.store.count() == 2
    finally:
        if server is not None:
            server.close()
