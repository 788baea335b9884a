"""What `send` sends: files, sample names, request descriptions, stored exchanges, and --set edits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookdev.errors import ConfigError, HookdevError
from hookdev.models import RequestSnapshot
from hookdev.receiver.store import Store
from hookdev.send.payloads import apply_sets, from_exchange, load, set_path, verification
from tests.conftest import SAMPLES, make_exchange


def test_a_sample_name_loads_the_sample_byte_for_byte(tmp_path: Path) -> None:
    payload = load("token", cwd=tmp_path)
    assert payload.method == "POST" and payload.kind == "token"
    assert payload.body == (SAMPLES / "token.json").read_bytes()


def test_a_sample_in_the_working_folder_wins(tmp_path: Path) -> None:
    (tmp_path / "sample_payloads").mkdir()
    (tmp_path / "sample_payloads" / "token.json").write_text('{"eventType": "com.okta.saml.tokens.transform"}')
    assert load("token", cwd=tmp_path).kind == "saml"


def test_the_verification_sample_is_a_request_description(tmp_path: Path) -> None:
    payload = load(str(SAMPLES / "event-verification.json"), cwd=tmp_path)
    assert payload.method == "GET" and payload.body == b"" and payload.kind == "event_verification"
    assert dict(payload.headers)["X-Okta-Verification-Challenge"] == "Gk7vR2mQ9xW4tB1nZ8cL5pJ3hY6dF0sA"


def test_a_random_challenge_each_time() -> None:
    a, b = verification(), verification()
    assert a.headers != b.headers and a.kind == "event_verification"


def test_a_stored_exchange_id_prefix_loads_its_request_without_credentials(tmp_path: Path) -> None:
    ex = make_exchange()
    store = Store(tmp_path / "s.db")
    store.add_now(ex)
    store.close()
    payload = load(ex.id[:8], store_path=tmp_path / "s.db", cwd=tmp_path)
    assert payload.body == ex.request.body and payload.replay_of == ex.id
    assert all(k.lower() != "authorization" for k, _ in payload.headers)


def test_an_unknown_payload_names_the_samples(tmp_path: Path) -> None:
    with pytest.raises(HookdevError, match="registration-ssr"):
        load("nope", store_path=tmp_path / "missing.db", cwd=tmp_path)


def test_set_edits_nested_fields_lists_and_parses_json_values(tmp_path: Path) -> None:
    payload = apply_sets(load("registration-ssr", cwd=tmp_path), [
        "data.userProfile.email=x@y.com",
        "data.userProfile.age=42",
        "data.extra.flag=true",
        'data.list=[1, 2]',
        "data.list.1=three",
    ])
    body = json.loads(payload.body)
    assert body["data"]["userProfile"]["email"] == "x@y.com"
    assert body["data"]["userProfile"]["age"] == 42 and body["data"]["extra"]["flag"] is True
    assert body["data"]["list"] == [1, "three"]
    assert payload.kind == "registration"


def test_set_can_change_the_kind() -> None:
    payload = apply_sets(verification(), [])
    assert payload.kind == "event_verification"
    ex = make_exchange()
    edited = apply_sets(from_exchange(ex), ["eventType=com.okta.saml.tokens.transform"])
    assert edited.kind == "saml"


@pytest.mark.parametrize("item", ["novalue", "data..x=1", "data.list.5=1"])
def test_bad_set_items_say_what_is_wrong(item: str) -> None:
    ex = make_exchange(body={"eventType": "com.okta.oauth2.tokens.transform", "data": {"list": [1]}})
    with pytest.raises(ConfigError):
        apply_sets(from_exchange(ex), [item])


def test_set_path_refuses_to_descend_into_a_string() -> None:
    with pytest.raises(ConfigError, match="not an object"):
        set_path({"a": "text"}, "a.b", 1)


def test_a_get_exchange_keeps_its_challenge() -> None:
    ex = make_exchange(kind="event_verification", request=RequestSnapshot(
        method="GET", path="/v", headers=(("X-Okta-Verification-Challenge", "abc"), ("Host", "x"))))
    payload = from_exchange(ex)
    assert payload.kind == "event_verification" and dict(payload.headers) == {"X-Okta-Verification-Challenge": "abc"}
