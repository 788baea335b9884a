"""The key-set cache against a real key server: Cache-Control, unknown-kid refetch and cooldown, shared fetches."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from hookdev.auth.jwks import KeySetCache, ttl_from_cache_control
from tests.auth.authkit import FakeClock, KeyServer
from tests.conftest import until


def cache_for(ks: KeyServer, clock: FakeClock, **kw: Any) -> KeySetCache:
    return KeySetCache(ks.issuer + "/v1/keys", clock=clock, **kw)


@pytest.mark.parametrize(
    "header, ttl",
    [
        (None, 300), ("max-age=120, must-revalidate", 120), ("max-age=5", 60), ("public, max-age=999999", 86400),
        ("no-store", 300),
    ],
)
def test_ttl_from_cache_control_is_clamped(header: str | None, ttl: float) -> None:
    assert ttl_from_cache_control(header) == ttl


async def test_cache_control_max_age_is_honoured(key_server: KeyServer) -> None:
    key_server.cache_control = "max-age=120, must-revalidate"
    clock = FakeClock()
    cache = cache_for(key_server, clock)
    try:
        assert (await cache.get("kid-main")).key is not None
        clock.now += 119
        await cache.get("kid-main")
        within = key_server.fetches
        clock.now += 2
        await cache.get("kid-main")
    finally:
        await cache.close()
    assert (within, key_server.fetches) == (1, 2)


async def test_tiny_max_age_is_raised_to_a_minute(key_server: KeyServer) -> None:
    key_server.cache_control = "max-age=1"
    clock = FakeClock()
    cache = cache_for(key_server, clock)
    try:
        for _ in range(5):
            clock.now += 10
            await cache.get("kid-main")
    finally:
        await cache.close()
    assert key_server.fetches == 1


async def test_unknown_kid_refetches_once_then_cools_down(key_server: KeyServer) -> None:
    clock = FakeClock()
    cache = cache_for(key_server, clock, cooldown=30)
    try:
        await cache.get("kid-main")  # warm, fresh for 5 minutes
        first = await cache.get("forged-1")  # fresh cache, but the first unknown kid always refetches
        after_first = key_server.fetches
        flood = [await cache.get(f"forged-{i}") for i in range(2, 50)]
        after_flood = key_server.fetches
        clock.now += 31
        await cache.get("forged-99")
    finally:
        await cache.close()
    assert first.reason == "unknown_kid"
    assert all(r.reason == "unknown_kid" for r in flood)
    assert (after_first, after_flood, key_server.fetches) == (2, 2, 3)


async def test_concurrent_misses_share_one_fetch(key_server: KeyServer, rsa_keys) -> None:
    key_server.gate = asyncio.Event()
    clock = FakeClock()
    cache = cache_for(key_server, clock)
    try:
        waiting = asyncio.gather(*(cache.get("kid-main") for _ in range(20)))
        await until(lambda: key_server.fetches == 1, "the first key set request")
        key_server.gate.set()  # every caller is waiting on that one request by now
        cold = await waiting
        key_server.keys.append(rsa_keys["next"].jwk())
        misses = await asyncio.gather(*(cache.get("kid-next") for _ in range(20)))
    finally:
        await cache.close()
    assert all(r.key is not None for r in cold + misses)
    assert key_server.fetches == 2


def serve_json(data: object) -> Any:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(data)

    return handler


async def test_unreachable_key_set_is_a_value_and_recovers(unused_tcp_port: int, rsa_keys) -> None:
    port = unused_tcp_port
    cache = KeySetCache(f"http://127.0.0.1:{port}/v1/keys")
    try:
        down = await cache.get("kid-main")
        app = web.Application()
        app.router.add_get("/v1/keys", serve_json({"keys": [rsa_keys["main"].jwk()]}))
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            up = await cache.get("kid-main")
        finally:
            await runner.cleanup()
    finally:
        await cache.close()
    assert down.key is None and down.reason == "jwks_unavailable" and "cannot reach" in down.detail
    assert up.key is not None


async def test_stale_keys_keep_working_while_the_issuer_is_down(aiohttp_server, rsa_keys) -> None:
    state = {"up": True}

    async def keys(request: web.Request) -> web.Response:
        if not state["up"]:
            return web.Response(status=503)
        return web.json_response({"keys": [rsa_keys["main"].jwk()]}, headers={"Cache-Control": "max-age=60"})

    app = web.Application()
    app.router.add_get("/v1/keys", keys)
    server = await aiohttp_server(app)
    clock = FakeClock()
    cache = KeySetCache(str(server.make_url("/v1/keys")), clock=clock)
    try:
        await cache.get("kid-main")
        state["up"] = False
        clock.now += 61
        stale = await cache.get("kid-main")
    finally:
        await cache.close()
    assert stale.key is not None


async def test_discovery_document_is_used_when_v1_keys_is_missing(aiohttp_server, rsa_keys) -> None:
    app = web.Application()

    async def discovery(request: web.Request) -> web.Response:
        return web.json_response({"jwks_uri": str(request.url.with_path("/.well-known/jwks.json"))})

    app.router.add_get("/.well-known/openid-configuration", discovery)
    app.router.add_get("/.well-known/jwks.json", serve_json({"keys": [rsa_keys["main"].jwk()]}))
    server = await aiohttp_server(app)
    issuer = str(server.make_url("")).rstrip("/")
    cache = KeySetCache(
        issuer + "/oauth2/v1/keys",
        discovery_uris=(
            issuer + "/.well-known/oauth-authorization-server", issuer + "/.well-known/openid-configuration"
        ),
    )
    try:
        found = await cache.get("kid-main")
    finally:
        await cache.close()
    assert found.key is not None and cache.uri.endswith("/.well-known/jwks.json")


async def test_symmetric_keys_in_a_key_set_are_ignored(aiohttp_server) -> None:
    app = web.Application()
    app.router.add_get("/v1/keys", serve_json({"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}]}))
    server = await aiohttp_server(app)
    cache = KeySetCache(str(server.make_url("/v1/keys")))
    try:
        found = await cache.get("k")
    finally:
        await cache.close()
    assert found.key is None and found.reason == "jwks_unavailable" and "no usable signing keys" in found.detail
