"""Hook kind recognition: classify, classify_body and registration_flavour over every case."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookdev.models import INLINE_KINDS, KINDS, RequestSnapshot
from hookdev.okta.kinds import EVENT_TYPE_OF, EVENT_TYPES, classify, classify_body, registration_flavour

CHALLENGE = "Gk7vR2mQ9xW4tB1nZ8cL5pJ3hY6dF0sA"


def post(body: Any) -> RequestSnapshot:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RequestSnapshot(method="POST", path="/hook", headers=(("Content-Type", "application/json"),), body=raw)


def get(*headers: tuple[str, str]) -> RequestSnapshot:
    return RequestSnapshot(method="GET", path="/userDeactivated", headers=headers)


def envelope(event_type: Any) -> dict[str, Any]:
    return {"eventType": event_type, "eventTypeVersion": "1.0", "data": {}}


BODY_CASES = [
    ("com.okta.event_hook", "event"),
    ("com.okta.user.pre-registration", "registration"),
    ("com.okta.oauth2.tokens.transform", "token"),
    ("com.okta.saml.tokens.transform", "saml"),
    ("com.okta.telephony.provider", "telephony"),
    ("com.okta.user.credential.password.import", "password_import"),
    ("com.okta.import.transform", "user_import"),
    ("com.okta.user.pre-registration.v2", "unknown"),
    ("user.lifecycle.deactivate", "unknown"),
    ("COM.OKTA.EVENT_HOOK", "unknown"),
    ("", "unknown"),
]


@pytest.mark.parametrize(("event_type", "kind"), BODY_CASES)
def test_classify_body_by_event_type(event_type: str, kind: str) -> None:
    assert classify_body(envelope(event_type)) == kind


@pytest.mark.parametrize(("event_type", "kind"), BODY_CASES)
def test_classify_post_by_event_type(event_type: str, kind: str) -> None:
    assert classify(post(envelope(event_type))) == kind


def test_every_kind_but_verification_and_unknown_has_an_event_type() -> None:
    named = set(EVENT_TYPES.values())
    assert named == set(KINDS) - {"event_verification", "unknown"}
    assert set(INLINE_KINDS) <= named
    for kind, event_type in EVENT_TYPE_OF.items():
        assert EVENT_TYPES[event_type] == kind


@pytest.mark.parametrize(
    "name",
    [
        "X-Okta-Verification-Challenge", "x-okta-verification-challenge", "X-OKTA-VERIFICATION-CHALLENGE",
        "x-OkTa-VeRiFiCaTiOn-ChAlLeNgE",
    ],
)
def test_get_with_challenge_header_in_any_case_is_verification(name: str) -> None:
    request = get(("Accept", "application/json"), (name, CHALLENGE))
    assert classify(request) == "event_verification"


def test_get_with_empty_challenge_is_still_verification() -> None:
    assert classify(get(("X-Okta-Verification-Challenge", ""))) == "event_verification"


def test_get_without_challenge_is_unknown() -> None:
    request = get(("Accept", "application/json"), ("Authorization", "Basic YWRtaW46c3VwZXJzZWNyZXQ="))
    assert classify(request) == "unknown"


def test_get_without_challenge_but_with_a_hook_body_goes_by_the_body() -> None:
    request = RequestSnapshot(method="GET", path="/hook", body=json.dumps(envelope("com.okta.event_hook")).encode())
    assert classify(request) == "event"


def test_post_with_challenge_header_goes_by_the_body() -> None:
    request = RequestSnapshot(
        method="POST",
        path="/hook",
        headers=(("X-Okta-Verification-Challenge", CHALLENGE),),
        body=json.dumps(envelope("com.okta.oauth2.tokens.transform")).encode(),
    )
    assert classify(request) == "token"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   ",
        b"eventType=com.okta.event_hook",
        b"<xml/>",
        b'{"eventType": "com.okta.event_hook"',
        b'{"eventType": "com.okta.oauth2.tokens.transform", "data": {"context": ',
        b"\xff\xfe\x00{",
        b"[" * 200_000,
    ],
    ids=["empty", "blank", "form", "xml", "unclosed", "cut-short", "bad-utf8", "too-deep"],
)
def test_non_json_body_is_unknown(raw: bytes) -> None:
    assert classify(post(raw)) == "unknown"


@pytest.mark.parametrize(
    "value",
    [[], [envelope("com.okta.event_hook")], "com.okta.event_hook", 42, 3.5, True, None],
    ids=["empty-list", "list-of-envelope", "string", "int", "float", "bool", "null"],
)
def test_json_that_is_not_an_object_is_unknown(value: Any) -> None:
    assert classify(post(value)) == "unknown"
    assert classify_body(value) == "unknown"


@pytest.mark.parametrize(
    "body",
    [
        {}, {"data": {}}, envelope(None), envelope(7), envelope(["com.okta.event_hook"]),
        {"eventtype": "com.okta.event_hook"},
    ],
    ids=["empty", "no-event-type", "null-type", "number-type", "list-type", "wrong-key-case"],
)
def test_object_without_a_string_event_type_is_unknown(body: dict[str, Any]) -> None:
    assert classify_body(body) == "unknown"


def test_already_parsed_body_is_used_instead_of_the_raw_one() -> None:
    request = post(b"not json at all")
    assert classify(request, envelope("com.okta.saml.tokens.transform")) == "saml"


def registration(request_type: str | None, data: dict[str, Any]) -> dict[str, Any]:
    body = envelope("com.okta.user.pre-registration")
    if request_type is not None:
        body["requestType"] = request_type
    body["data"] = data
    return body


SSR_DATA = {"userProfile": {"login": "omar.haddad@example.com"}, "action": "ALLOW"}
PP_DATA = {"context": {"user": {"id": "00uOmarHaddad2Jf8Rz1d7"}}, "userProfileUpdate": {"employeeNumber": "7302"}}
CLASSIC_DATA = {"userProfile": {"login": "lena.okafor@example.com"}, "action": None}


@pytest.mark.parametrize(
    ("body", "flavour"),
    [
        (registration("self.service.registration", SSR_DATA), "self.service.registration"),
        (registration("progressive.profile", PP_DATA), "progressive.profile"),
        (registration("progressive.profile", {}), "progressive.profile"),
        (registration(None, CLASSIC_DATA), "self.service.registration"),
        (registration(None, PP_DATA), "progressive.profile"),
        (registration(None, {}), "self.service.registration"),
        (registration("self.service.registration", PP_DATA), "self.service.registration"),
        ({"requestType": None, "data": None}, "self.service.registration"),
        ([], "self.service.registration"),
        (None, "self.service.registration"),
    ],
    ids=["ssr", "progressive", "progressive-empty", "classic", "progressive-no-type", "classic-empty",
         "explicit-ssr-wins", "null-data", "list", "none"],
)
def test_registration_flavour(body: Any, flavour: str) -> None:
    assert registration_flavour(body) == flavour


def test_classic_registration_without_request_type_is_registration() -> None:
    body = registration(None, CLASSIC_DATA)
    assert "requestType" not in body
    assert classify(post(body)) == "registration"
    assert registration_flavour(body) == "self.service.registration"
