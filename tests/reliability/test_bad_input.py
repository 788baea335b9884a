"""A corpus of bad input against a live receiver.

Each input is answered with a clear error or dropped, and recorded, and the server stays alive.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from hookdev.receiver.store import Filter
from tests.conftest import until
from tests.reliability.live import (
    TOKEN_BODY,
    host_port,
    live_session,
    post_bytes,
    raw_exchange,
    status_of,
    still_answers,
)

DEEP = b"[" * 100_000 + b"]" * 100_000
BODIES = {
    "malformed": (b'{"eventType": "com.okta.oauth2.tokens.transform",, }', "not valid JSON"),
    "truncated": (TOKEN_BODY[: len(TOKEN_BODY) // 2], "not valid JSON"),
    "invalid_utf8": (b'{"data": {"name": "\xff\xfe\xc3"}}', "UTF-8"),
    "deep_nesting": (DEEP, "nested too deeply"),
    "huge_number": (b'{"n": ' + b"7" * 10_000 + b"}", "not valid JSON"),
    "empty": (b"", "empty body"),
    "whitespace": (b"   \r\n ", "empty body"),
    "form_encoded": (b"a=1&b=2", "not valid JSON"),
}


@pytest.mark.parametrize("case", sorted(BODIES))
async def test_bad_bodies_get_a_clear_400_and_are_recorded(tmp_path, case):
    body, says = BODIES[case]
    async with live_session(tmp_path) as session:
        raw = await raw_exchange(session, post_bytes(f"/bad/{case}", body))
        assert status_of(raw) == 400, raw[:300]
        error = json.loads(raw.split(b"\r\n\r\n", 1)[1])["error"]
        assert says in error
        stored = session.store.list(Filter(path=f"/bad/{case}"))
        kept = [(e.status, e.request.body == body[: 64 * 1024] or e.request.body == body) for e in stored]
        assert kept == [(400, True)]
        assert await still_answers(session)


async def test_wrong_content_type_is_still_read_as_json_and_recorded(tmp_path):
    async with live_session(tmp_path) as session:
        raw = await raw_exchange(session, post_bytes("/tokenHook", TOKEN_BODY, content_type="text/plain"))
        assert status_of(raw) == 204
        [ex] = session.store.list(Filter(path="/tokenHook"))
        assert ex.kind == "token" and ("Content-Type", "text/plain") in ex.request.headers


async def test_body_over_the_limit_is_413_and_its_start_is_kept(tmp_path):
    async with live_session(tmp_path, server={"max_body": 10_000}) as session:
        raw = await raw_exchange(session, post_bytes("/big", b'{"x": "' + b"a" * 50_000 + b'"}'))
        assert status_of(raw) == 413 and b"server.max_body" in raw
        [ex] = session.store.list(Filter(path="/big"))
        assert ex.request.truncated and ex.status == 413
        assert await still_answers(session)


@pytest.mark.parametrize("headers", [
    [f"X-Huge: {'h' * 100_000}"],
    [f"X-Many-{i}: {i}" for i in range(5_000)],
])
async def test_oversized_headers_are_refused_at_the_http_layer(tmp_path, headers):
    async with live_session(tmp_path) as session:
        raw = await raw_exchange(session, post_bytes("/headers", TOKEN_BODY, *headers))
        # aiohttp's parser refuses before any hook code runs: a 4xx, or the connection closed
        assert raw == b"" or 400 <= status_of(raw) < 500, raw[:200]
        assert await still_answers(session)


async def test_garbage_request_line_and_wrong_method(tmp_path):
    async with live_session(tmp_path) as session:
        raw = await raw_exchange(session, b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
        assert raw == b"" or status_of(raw) == 400
        raw = await raw_exchange(session, b"DELETE /tokenHook HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status_of(raw) == 405 and b"Allow: GET, POST" in raw
        assert [e.status for e in session.store.list(Filter(path="/tokenHook"))] == [405]
        assert await still_answers(session)


async def test_slow_client_trickling_its_body_does_not_hold_up_others(tmp_path):
    async with live_session(tmp_path) as session:
        reader, writer = await asyncio.open_connection(*host_port(session))
        writer.write(post_bytes("/slow", TOKEN_BODY)[: -len(TOKEN_BODY)])
        answered = 0
        for i in range(10):  # one byte at a time, each followed by a whole other call that comes and goes
            writer.write(TOKEN_BODY[i : i + 1])
            await writer.drain()
            answered += await still_answers(session)
        assert answered == 10  # all answered while the slow body was still incomplete
        writer.write(TOKEN_BODY[10:])  # the slow call completes and is answered too
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert status_of(head) == 204
        writer.close()
        assert [e.status for e in session.store.list(Filter(path="/slow"))] == [204]


async def test_client_gone_mid_body_is_dropped_cleanly(tmp_path):
    async with live_session(tmp_path) as session:
        for _ in range(5):
            reader, writer = await asyncio.open_connection(*host_port(session))
            writer.write(post_bytes("/gone", TOKEN_BODY)[:-100])
            await writer.drain()
            writer.transport.abort()
        assert await still_answers(session)
        # Nobody is left to answer, but each call did arrive: recorded, marked truncated, with what came

        def recorded() -> list:
            found = session.store.list(Filter(path="/gone"))
            return found if len(found) == 5 else []

        stored = await until(recorded, "the five cut-off calls to be recorded")
        assert all(ex.request.truncated and ex.request.body == TOKEN_BODY[:-100] for ex in stored)


async def test_many_bad_connections_at_once_leave_the_server_alive(tmp_path):
    async with live_session(tmp_path) as session:
        cases = [post_bytes(f"/burst/{i}", body) for i, (body, _) in enumerate(BODIES.values()) if body is not DEEP]
        results = await asyncio.gather(*(raw_exchange(session, c) for c in cases * 10))
        assert {status_of(r) for r in results} == {400}
        assert session.store.count() == len(cases) * 10
        async with aiohttp.ClientSession() as http:
            async with http.get(session.local_url + "/hook", headers={"X-Okta-Verification-Challenge": "abc"}) as r:
                assert r.status == 200 and (await r.json()) == {"verification": "abc"}
