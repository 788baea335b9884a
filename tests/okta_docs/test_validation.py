"""Answers taken from Okta's developer docs and its Management OpenAPI spec, checked as Okta documents them.

Each case names its source: a page of developer.okta.com (repo okta/okta-developer-docs) or a schema or example
of the Okta Management OpenAPI spec (repo okta/okta-management-openapi-spec, dist/current/management-minimal.yaml).
A warning is what Okta tolerates but is likely a mistake: it never makes the answer invalid.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookdev.models import ResponseSnapshot, Validation
from hookdev.okta.validate import check_answer, review, validate

SSR_CALL = {
    "eventType": "com.okta.user.pre-registration",
    "requestType": "self.service.registration",
    "data": {"context": {}, "action": "ALLOW", "userProfile": {"email": "ann@example.com"}},
}
PROGRESSIVE_CALL = {
    "eventType": "com.okta.user.pre-registration",
    "requestType": "progressive.profile",
    "data": {"context": {"user": {"id": "00u1"}}, "action": "ALLOW", "userProfileUpdate": {"employeeNumber": "1"}},
}


def answer(status: int, body: Any = b"", content_type: str = "application/json") -> ResponseSnapshot:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ResponseSnapshot(status=status, headers=(("Content-Type", content_type),), body=raw)


# --- Item 1: the answer to an event delivery -------------------------------------------------------------------
# developer.okta.com/docs/concepts/event-hooks/, "Your service's responses to event delivery requests": the
# responses "should be empty and have an HTTP status code of 200 (OK) or 204 (No Content)". Okta's own event hook
# guides (docs/guides/event-hook-implementation, nodejs/parse-request.md; docs/guides/event-hook-ngrok, sample app)
# answer with Express's response.sendStatus(200), which sends the text "OK" as the body.
EVENT_ANSWERS_OKTA_TAKES = [
    ("express-sendStatus-200", answer(200, b"OK", "text/plain; charset=utf-8"), 1),
    ("json-body", answer(200, {"received": True}), 1),
    ("empty-200", answer(200), 0),
    ("empty-204", answer(204), 0),
]


@pytest.mark.parametrize(("name", "response", "warnings"), EVENT_ANSWERS_OKTA_TAKES,
                         ids=[c[0] for c in EVENT_ANSWERS_OKTA_TAKES])
def test_an_event_answer_with_a_body_is_valid_with_a_warning(name: str, response: ResponseSnapshot,
                                                             warnings: int) -> None:
    verdict = validate("event", response, None, 5.0)
    assert verdict.ok and verdict.problems == ()
    assert len(verdict.warnings) == warnings
    for warning in verdict.warnings:
        assert warning.path == "$" and "empty body" in warning.message
        assert "counts the delivery as done" in warning.consequence
        assert "Okta would not" not in str(warning)


def test_the_express_warning_says_how_to_send_nothing() -> None:
    (warning,) = review("event", answer(200, b"OK", "text/plain"), None)[1]
    assert "res.status(200).end() sends nothing" in warning.message and "has 2 bytes" in warning.message


# --- Item 4: stricter than Okta documents ----------------------------------------------------------------------
def cmd(kind_type: str, value: Any) -> dict[str, Any]:
    return {"type": kind_type, "value": value}


# OpenAPI example UserImportMatchExample (and the retired reference docs/reference/import-hook, "Specifying that
# the user is a match"): LINK_USER with com.okta.user.update {"id": "00garwpuyxHaWOkdV0g3"}; the id Okta's own
# example uses does not start 00u, and the reference only asks for "the ID of the Okta user".
USER_IMPORT_MATCH_EXAMPLE = {"commands": [cmd("com.okta.action.update", {"result": "LINK_USER"}),
                                          cmd("com.okta.user.update", {"id": "00garwpuyxHaWOkdV0g3"})]}
# OpenAPI schema RegistrationResponse, property Error: "If you include an error object in your response, no
# commands are executed and the registration fails. This holds true even if the top-level errorSummary and the
# errorCauses objects are omitted."
REGISTRATION_ERROR_WITHOUT_SUMMARY = {"error": {"errorCauses": [
    {"errorSummary": "Only example.com emails can register.", "reason": "INVALID_EMAIL_DOMAIN",
     "locationType": "body", "location": "data.userProfile.email", "domain": "end-user"}]}}
# OpenAPI schema RegistrationResponse, commands: com.okta.user.progressive.profile.update is described as "Change
# attribute values in the user's Okta Progressive Profile", with no restriction to one flow (unlike
# com.okta.user.profile.update, "For SSR only").
PROGRESSIVE_UPDATE_IN_SSR = {"commands": [cmd("com.okta.user.progressive.profile.update", {"employeeNumber": "7"})]}

TOLERATED = [
    ("user-update-id-from-okta-example", "user_import", USER_IMPORT_MATCH_EXAMPLE, None, "$.commands[1].value.id",
     "does not look like an Okta user id"),
    ("error-summary-omitted", "registration", REGISTRATION_ERROR_WITHOUT_SUMMARY, SSR_CALL, "$.error.errorSummary",
     "no errorSummary string"),
    ("error-summary-a-number", "saml", {"error": {"errorSummary": 500}}, None, "$.error.errorSummary",
     "(got a number)"),
    ("error-summary-an-object", "user_import", {"error": {"errorSummary": {"text": "x"}}}, None,
     "$.error.errorSummary", "(got an object)"),
    ("progressive-update-in-self-service", "registration", PROGRESSIVE_UPDATE_IN_SSR, SSR_CALL,
     "$.commands[0].type", "meant for progressive profile calls"),
]


@pytest.mark.parametrize(("name", "kind", "body", "request_body", "path", "message"), TOLERATED,
                         ids=[c[0] for c in TOLERATED])
def test_what_okta_tolerates_is_a_warning_not_a_problem(name: str, kind: str, body: Any, request_body: Any,
                                                        path: str, message: str) -> None:
    problems, warnings = review(kind, answer(200, body), request_body)
    assert problems == ()
    assert [(w.path, message in w.message) for w in warnings] == [(path, True)]
    verdict = validate(kind, answer(200, body), request_body, 5.0)
    assert verdict.ok and len(verdict.warnings) == 1


def test_an_error_without_summary_still_says_what_okta_does() -> None:
    (warning,) = review("registration", answer(200, REGISTRATION_ERROR_WITHOUT_SUMMARY), SSR_CALL)[1]
    assert "no commands run and Okta denies the registration" in warning.consequence


def test_a_user_update_without_a_usable_id_is_still_a_problem() -> None:
    for value in ({}, {"id": ""}, {"id": 42}):
        link = cmd("com.okta.action.update", {"result": "LINK_USER"})
        body = {"commands": [link, cmd("com.okta.user.update", value)]}
        problems, warnings = review("user_import", answer(200, body), None)
        assert [p.path for p in problems] == ["$.commands[1].value.id"] and warnings == ()


# --- Item 5: not strict enough ---------------------------------------------------------------------------------
# OpenAPI schema RegistrationResponse, commands (and the retired docs/reference/registration-hook, "Supported
# commands"): com.okta.user.profile.update is "For SSR only. Invalid if used with a Progressive Profile response."
# An answer that carries com.okta.user.progressive.profile.update is a progressive profile response.
PROGRESSIVE_AND_PROFILE_UPDATE = {"commands": [
    cmd("com.okta.user.progressive.profile.update", {"employeeNumber": "4821"}),
    cmd("com.okta.user.profile.update", {"customerId": "CUST-004217"}),
]}


@pytest.mark.parametrize("request_body", [None, SSR_CALL, PROGRESSIVE_CALL], ids=["no-request", "ssr", "progressive"])
def test_a_profile_update_in_a_progressive_answer_is_invalid(request_body: Any) -> None:
    problems = check_answer("registration", answer(200, PROGRESSIVE_AND_PROFILE_UPDATE), request_body)
    assert [p.path for p in problems] == ["$.commands[1].type"]
    assert "com.okta.user.profile.update" in problems[0].message
    assert "denies" in problems[0].consequence


def test_either_profile_command_alone_is_fine_without_the_request() -> None:
    for kind_type in ("com.okta.user.profile.update", "com.okta.user.progressive.profile.update"):
        assert review("registration", answer(200, {"commands": [cmd(kind_type, {"a": "b"})]}), None) == ((), ())


# --- Warnings travel with the verdict --------------------------------------------------------------------------
def test_warnings_are_sentences_naming_their_path_and_survive_the_store() -> None:
    verdict = validate("event", answer(200, b"OK", "text/plain"), None, 5.0)
    as_json = verdict.to_json()
    assert as_json["ok"] is True and as_json["problems"] == []
    (sentence,) = as_json["warnings"]
    assert isinstance(sentence, str) and sentence.startswith("$: an event hook answer should have an empty body")
    again = Validation.from_json(json.loads(json.dumps(as_json)))
    assert [str(w) for w in again.warnings] == [sentence] and again.ok
