"""The receiver: every kind answered and recorded, bad input refused clearly, the server keeps serving."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession

from hookdev import jsontext
from hookdev.answers.responders import DefaultResponder
from hookdev.models import Answer, AuthVerdict, HookCall, RequestSnapshot
from hookdev.receiver.server import HookServer, Receiver, bind_socket, create_app
from hookdev.receiver.store import Store
from tests.conftest import SAMPLES

INLINE_SAMPLES = {
    "registration-ssr.json": ("registration", 200),
    "token.json": ("token", 204),
    "saml.json": ("saml", 204),
    "telephony-sms.json": ("telephony", 200),
    "password-import.json": ("password_import", 200),
    "user-import.json": ("user_import", 204),
    "event-batch.json": ("event", 200),
}


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "hookdev.db")
    s.start()
    yield s
    s.close()


@pytest.fixture
async def client(aiohttp_client, store):
    return await aiohttp_client(create_app(Receiver(store=store, responder=DefaultResponder(), max_body=64 * 1024)))


@pytest.mark.parametrize("sample", sorted(INLINE_SAMPLES))
async def test_every_kind_is_recognised_answered_and_recorded(client, store, sample):
    kind, status = INLINE_SAMPLES[sample]
    resp = await client.post("/anyPath/" + sample, data=(SAMPLES / sample).read_bytes(),
                             headers={"Content-Type": "application/json"})
    assert resp.status == status
    ex = store.get(resp.headers["X-Hookdev-Exchange"])
    assert ex is not None and ex.kind == kind and ex.status == status
    assert ex.request.body == (SAMPLES / sample).read_bytes()
    assert ex.request.path == "/anyPath/" + sample


async def test_telephony_default_is_a_command_not_204(client):
    resp = await client.post("/telephonyHook", data=(SAMPLES / "telephony-sms.json").read_bytes())
    body = await resp.json()
    assert body["commands"][0]["type"] == "com.okta.telephony.action"
    assert body["commands"][0]["value"][0]["status"] == "SUCCESSFUL"


async def test_verification_challenge_is_echoed_in_the_body(client, store):
    resp = await client.get("/userDeactivated?x=1", headers={"x-okta-verification-challenge": "Zq3yA7b"})
    assert resp.status == 200
    assert await resp.json() == {"verification": "Zq3yA7b"}
    ex = store.get(resp.headers["X-Hookdev-Exchange"])
    assert ex.kind == "event_verification" and ex.request.path == "/userDeactivated" and ex.request.query == "x=1"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty body"),
        (b"{not json", "not valid JSON"),
        (b'{"a": "\xff\xfe"}', "not valid UTF-8"),
        (b"[" * 3000 + b"]" * 3000, "nested too deeply"),
        (b'{"n": ' + b"9" * 10_000 + b"}", "not valid JSON"),
    ],
    ids=["empty", "malformed", "bad-utf8", "deep", "huge-number"],
)
async def test_bad_bodies_get_400_with_a_reason_and_are_recorded(client, store, body, fragment):
    resp = await client.post("/registrationHook", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert fragment in (await resp.json())["error"]
    ex = store.get(resp.headers["X-Hookdev-Exchange"])
    assert ex.status == 400 and ex.error and ex.request.body == body


def nested(levels: int) -> bytes:
    """A registration call whose data goes `levels` arrays and objects deep in all."""
    inner = b"[" * (levels - 2) + b"1" + b"]" * (levels - 2)
    return b'{"eventType": "com.okta.user.pre-registration", "data": {"x": ' + inner + b"}}"


async def test_the_depth_limit_is_hookdevs_own_and_the_same_on_every_interpreter(client, store):
    # 3.11's parser gives up near 1,000 levels and 3.13's far deeper; hookdev decides at MAX_DEPTH on both.
    at_limit = await client.post("/registrationHook", data=nested(jsontext.MAX_DEPTH))
    assert at_limit.status == 200
    assert store.get(at_limit.headers["X-Hookdev-Exchange"]).kind == "registration"
    for levels in (jsontext.MAX_DEPTH + 1, 3000):
        over = await client.post("/registrationHook", data=nested(levels))
        assert over.status == 400
        assert "nested too deeply" in (await over.json())["error"]
        assert store.get(over.headers["X-Hookdev-Exchange"]).request.body == nested(levels)


async def test_oversized_body_gets_413_and_keeps_its_start(client, store):
    big = b'{"x": "' + b"a" * 200_000 + b'"}'
    resp = await client.post("/tokenHook", data=big)
    assert resp.status == 413
    assert str(64 * 1024) in (await resp.json())["error"]
    ex = store.get(resp.headers["X-Hookdev-Exchange"])
    assert ex.request.truncated and big.startswith(ex.request.body) and ex.request.body


async def test_oversized_chunked_body_without_length_gets_413(client, store):
    async def chunks():
        for _ in range(100):
            yield b"x" * 1000

    resp = await client.post("/tokenHook", data=chunks())
    assert resp.status == 413
    assert store.get(resp.headers["X-Hookdev-Exchange"]).request.truncated


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_methods_okta_never_uses_get_405(client, store, method):
    resp = await client.request(method, "/tokenHook", data=b"{}")
    assert resp.status == 405
    assert resp.headers["Allow"] == "GET, POST"
    assert store.get(resp.headers["X-Hookdev-Exchange"]).request.method == method


async def test_get_without_challenge_is_explained(client):
    resp = await client.get("/userDeactivated")
    assert resp.status == 400
    assert "X-Okta-Verification-Challenge" in (await resp.json())["error"]


async def test_unknown_event_type_is_answered_without_5xx(client, store):
    resp = await client.post("/somewhere", json={"eventType": "com.example.other", "data": {}})
    assert resp.status == 200
    assert store.get(resp.headers["X-Hookdev-Exchange"]).kind == "unknown"


async def test_server_keeps_serving_after_bad_input(client):
    await client.post("/x", data=b"{broken")
    await client.put("/x", data=b"{}")
    resp = await client.post("/tokenHook", data=(SAMPLES / "token.json").read_bytes())
    assert resp.status == 204


class _Refusing:
    async def verify(self, request: RequestSnapshot) -> AuthVerdict:
        return AuthVerdict(scheme="basic", ok=False, reason="bad_credentials", detail="wrong password for admin")


class _Crashing:
    async def respond(self, call: HookCall) -> Answer:
        raise RuntimeError("boom")


async def test_refused_auth_gets_401_when_enforcing_and_is_recorded(aiohttp_client, store):
    client = await aiohttp_client(create_app(Receiver(store=store, responder=DefaultResponder(), verifier=_Refusing())))
    resp = await client.post("/tokenHook", data=(SAMPLES / "token.json").read_bytes())
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Basic")
    assert await resp.json() == {"error": "unauthorized", "reason": "bad_credentials"}
    ex = store.get(resp.headers["X-Hookdev-Exchange"])
    assert ex.auth.reason == "bad_credentials" and ex.kind == "token" and "wrong password" in ex.auth.detail


async def test_not_enforcing_records_the_verdict_and_answers_anyway(aiohttp_client, store):
    receiver = Receiver(store=store, responder=DefaultResponder(), verifier=_Refusing(), enforce=False)
    client = await aiohttp_client(create_app(receiver))
    resp = await client.post("/tokenHook", data=(SAMPLES / "token.json").read_bytes())
    assert resp.status == 204
    assert store.get(resp.headers["X-Hookdev-Exchange"]).auth.ok is False


async def test_a_crashing_responder_gives_500_with_traceback_recorded(aiohttp_client, store):
    client = await aiohttp_client(create_app(Receiver(store=store, responder=_Crashing())))
    resp = await client.post("/tokenHook", data=(SAMPLES / "token.json").read_bytes())
    assert resp.status == 500
    assert (await resp.json()) == {"error": "hookdev could not answer this call; the details are in hookdev, "
                                            "with this exchange"}
    ex = store.get(resp.headers["X-Hookdev-Exchange"])
    assert "RuntimeError: boom" in ex.log and ex.error == "RuntimeError: boom"
    ok = await client.post("/registrationHook", data=(SAMPLES / "registration-ssr.json").read_bytes())
    assert ok.status == 500  # still alive, still answering


async def test_replay_header_links_the_new_exchange(client, store):
    resp = await client.post("/tokenHook", data=(SAMPLES / "token.json").read_bytes(),
                             headers={"X-Hookdev-Replay-Of": "orig00000001"})
    assert store.get(resp.headers["X-Hookdev-Exchange"]).replay_of == "orig00000001"


async def test_500_concurrent_posts_on_a_real_port_are_all_stored(store):
    receiver = Receiver(store=store, responder=DefaultResponder())
    server = HookServer(create_app(receiver), bind_socket("127.0.0.1", 0))
    await server.start()
    body = (SAMPLES / "registration-ssr.json").read_bytes()
    try:
        async with ClientSession() as http:
            async def post(i: int) -> str:
                async with http.post(f"http://127.0.0.1:{server.port}/r{i}", data=body) as resp:
                    assert resp.status == 200
                    return resp.headers["X-Hookdev-Exchange"]

            ids = await asyncio.gather(*(post(i) for i in range(500)))
    finally:
        await server.stop()
    assert len(set(ids)) == 500
    assert store.count() == 500
    assert {e.request.path for e in store.list()} == {f"/r{i}" for i in range(500)}


async def test_auth_is_decided_before_the_body_is_read_as_json(aiohttp_client, store):
    client = await aiohttp_client(create_app(Receiver(store=store, responder=DefaultResponder(), verifier=_Refusing())))
    resp = await client.post("/tokenHook", data=b"{not json")
    assert resp.status == 401
    ex = store.get(resp.headers["X-Hookdev-Exchange"])
    assert ex.auth.reason == "bad_credentials" and ex.request.body == b"{not json"


async def test_a_refused_call_still_shows_its_kind(aiohttp_client, store):
    client = await aiohttp_client(create_app(Receiver(store=store, responder=DefaultResponder(), verifier=_Refusing())))
    resp = await client.post("/tokenHook", data=(SAMPLES / "saml.json").read_bytes())
    assert store.get(resp.headers["X-Hookdev-Exchange"]).kind == "saml"
