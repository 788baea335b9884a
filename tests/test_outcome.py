"""The effect of an answer in one word, per kind: ALLOW/DENY, VERIFIED, LINK_USER, the claims patched."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookdev.okta.outcome import outcome
from tests.conftest import SAMPLES


def sample_answer(name: str) -> bytes:
    return (SAMPLES / "responses" / name).read_bytes()


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def update(**value: str) -> bytes:
    return body({"commands": [{"type": "com.okta.action.update", "value": value}]})


@pytest.mark.parametrize(("kind", "name", "label", "in_detail"), [
    ("registration", "registration-allow.json", "ALLOW", "sets customerId, locale"),
    ("registration", "registration-deny.json", "DENY", "Registration is limited to example.com addresses."),
    ("registration", "registration-progressive.json", "ALLOW", "sets employeeNumber, department"),
    ("password_import", "password-import.json", "VERIFIED", "Okta stores the password"),
    ("user_import", "user-import.json", "LINK_USER", "links user 00uSofiaBerg5Kt8Wn1d7"),
    ("telephony", "telephony.json", "SUCCESSFUL", "EXAMPLE_SMS_GATEWAY"),
    ("token", "token.json", "3 claims", "id token: add /claims/extPatientId"),
    ("saml", "saml.json", "1 claim", "assertion: add /claims/extPatientId"),
])
def test_the_sample_answers(kind: Any, name: str, label: str, in_detail: str) -> None:
    effect = outcome(kind, 200, sample_answer(name))
    assert effect.label == label
    assert in_detail in effect.detail


@pytest.mark.parametrize(("kind", "label"), [
    ("registration", "ALLOW"), ("token", "NO CHANGE"), ("saml", "NO CHANGE"), ("user_import", "NO CHANGE"),
    ("password_import", "UNVERIFIED"),
])
def test_no_content_is_the_kinds_default(kind: Any, label: str) -> None:
    assert outcome(kind, 204, b"").label == label
    assert outcome(kind, 200, b"{}").label == label


def test_an_error_object_denies_a_registration_and_is_an_error_elsewhere() -> None:
    error = body({"error": {"errorSummary": "Use your work address"}})
    assert outcome("registration", 200, error).label == "DENY"
    assert outcome("token", 200, error).label == "ERROR"
    assert outcome("token", 200, error).detail == "error object: Use your work address"


def test_explicit_verdicts() -> None:
    assert outcome("registration", 200, update(registration="DENY")).label == "DENY"
    assert outcome("password_import", 200, update(credential="UNVERIFIED")).label == "UNVERIFIED"
    assert outcome("user_import", 200, update(result="CREATE_USER")).label == "CREATE_USER"
    profile = body({"commands": [{"type": "com.okta.user.profile.update", "value": {"title": "x"}}]})
    assert outcome("user_import", 200, profile).label == "UPDATE"


def test_kinds_without_a_choice_and_unreadable_answers_have_no_label() -> None:
    assert outcome("event", 200, b"").label == ""
    assert outcome("unknown", 200, b"{}").label == ""
    assert outcome("token", 500, b"{}").label == ""
    assert outcome("registration", 200, b"not json").label == ""
    assert outcome("telephony", 204, b"").label == ""  # no 204 for telephony: validation says so
    assert outcome("token", 200, body([1, 2])).label == ""
    odd = body({"commands": [{"type": "com.okta.telephony.action", "value": "x"}]})
    assert outcome("telephony", 200, odd).label == ""


def test_the_verification_echo_is_verified() -> None:
    assert outcome("event_verification", 200, body({"verification": "abc"})).label == "VERIFIED"


def test_validation_carries_the_outcome_of_an_accepted_answer_only() -> None:
    from hookdev.models import ResponseSnapshot, Validation
    from hookdev.okta.validate import validate

    accepted = validate("registration", ResponseSnapshot(200, body=sample_answer("registration-deny.json")), None, 3.0)
    assert accepted.ok and accepted.outcome == "DENY"
    assert Validation.from_json(accepted.to_json()).outcome == "DENY"
    reserved = body({"commands": [{"type": "com.okta.identity.patch",
                                   "value": [{"op": "replace", "path": "/claims/iss", "value": "x"}]}]})
    rejected = validate("token", ResponseSnapshot(200, body=reserved), None, 3.0)
    assert not rejected.ok and rejected.outcome == "" and "outcome" not in rejected.to_json()
