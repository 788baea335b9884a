"""A call hookdev refused itself gets the `skipped` verdict: a refusal is an auth or input problem, not an invalid
answer, so it is not counted, listed or advised as one."""

from __future__ import annotations

import pytest

from hookdev.answers.responders import DefaultResponder
from hookdev.models import AuthVerdict, RequestSnapshot, Validation
from hookdev.okta.validate import validate
from hookdev.receiver.server import Receiver, create_app
from hookdev.receiver.session import Counters
from hookdev.receiver.store import Filter, Store
from tests.conftest import SAMPLES


class _Refusing:
    async def verify(self, request: RequestSnapshot) -> AuthVerdict:
        return AuthVerdict(scheme="oauth", ok=False, reason="expired", detail="the token expired 40 s ago")


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "hookdev.db")
    s.start()
    yield s
    s.close()


async def _client(aiohttp_client, store, **kwargs):
    receiver = Receiver(store=store, responder=DefaultResponder(), validator=validate, max_body=4096, **kwargs)
    return await aiohttp_client(create_app(receiver))


async def test_an_auth_refusal_is_skipped_with_advice_about_the_credential(aiohttp_client, store):
    client = await _client(aiohttp_client, store, verifier=_Refusing())
    resp = await client.post("/tokenHook", data=(SAMPLES / "token.json").read_bytes())
    assert resp.status == 401
    ex = store.get(resp.headers["X-Hookdev-Exchange"])
    assert ex.validation.ok and ex.validation.problems == ()
    assert ex.validation.skipped is not None and "credential" in ex.validation.skipped
    assert "expired" in ex.validation.skipped
    assert "error object" not in ex.validation.skipped  # no advice about how to answer: the answer is hookdev's
    shape = ex.to_json()["validation"]
    assert shape["ok"] is True and shape["problems"] == [] and shape["skipped"] == ex.validation.skipped


@pytest.mark.parametrize(("method", "body", "status"), [
    ("POST", b"{broken", 400), ("PUT", b"{}", 405), ("POST", b'{"x": "' + b"a" * 8000 + b'"}', 413),
])
async def test_input_refusals_are_skipped(aiohttp_client, store, method, body, status):
    client = await _client(aiohttp_client, store)
    resp = await client.request(method, "/registrationHook", data=body)
    assert resp.status == status
    validation = store.get(resp.headers["X-Hookdev-Exchange"]).validation
    assert validation.ok and validation.skipped and f"({status})" in validation.skipped


async def test_refusals_are_neither_counted_nor_listed_as_invalid_answers(aiohttp_client, store):
    client = await _client(aiohttp_client, store, verifier=_Refusing())
    await client.post("/tokenHook", data=(SAMPLES / "token.json").read_bytes())
    await client.post("/tokenHook", data=b"{broken")
    counters = Counters()
    for ex in store.list():
        counters.count(ex)
    assert (counters.calls, counters.rejected, counters.invalid) == (2, 2, 0)
    assert store.count(Filter(valid_ok=False)) == 0


async def test_an_answer_sent_despite_failed_auth_is_still_judged(aiohttp_client, store):
    """With enforce = false the hook's own answer goes out, so it is validated as any other."""
    client = await _client(aiohttp_client, store, verifier=_Refusing(), enforce=False)
    resp = await client.post("/tokenHook", data=(SAMPLES / "token.json").read_bytes())
    validation = store.get(resp.headers["X-Hookdev-Exchange"]).validation
    assert validation.skipped is None and validation.timing is not None


def test_skipped_round_trips_through_json():
    v = Validation(ok=True, skipped="hookdev refused the call (401, auth missing): fix the credential")
    assert Validation.from_json(v.to_json()) == v
    assert "skipped" not in Validation().to_json()
