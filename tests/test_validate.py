"""Answer validation: every rule flags what it should; answers shaped as Okta documents them, and the samples, pass."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookdev.models import ResponseSnapshot
from hookdev.okta.defaults import DEFAULT_ANSWERS
from hookdev.okta.validate import check_answer, review, validate
from tests.conftest import SAMPLES

CHALLENGE = "Zq3yA7bXq0Vd2m8tLs4wKp9Fh1cJ6nRe"
SSR = {
    "eventType": "com.okta.user.pre-registration",
    "requestType": "self.service.registration",
    "data": {"userProfile": {}},
}
PROGRESSIVE = {
    "eventType": "com.okta.user.pre-registration",
    "requestType": "progressive.profile",
    "data": {"userProfileUpdate": {}},
}
CLASSIC_PROGRESSIVE = {"eventType": "com.okta.user.pre-registration", "data": {"userProfileUpdate": {"a": 1}}}
TOKEN_BOTH = {
    "eventType": "com.okta.oauth2.tokens.transform",
    "data": {
        "identity": {
            "claims": {"sub": "00u1", "email": "a@example.com"},
            "token": {"lifetime": {"expiration": 3600}},
        },
        "access": {
            "claims": {"sub": "a@example.com", "cid": "0oa1", "tier": "silver"},
            "token": {"lifetime": {"expiration": 3600}},
        },
    },
}
TOKEN_ACCESS_ONLY = {
    "eventType": "com.okta.oauth2.tokens.transform",
    "data": {"access": {"claims": {"sub": "x"}}},
}
TOKEN_ID_ONLY = {
    "eventType": "com.okta.oauth2.tokens.transform",
    "data": {"identity": {"claims": {"sub": "x"}}},
}

# One answer per kind shaped as Okta documents it, each with the call it answers where the rules depend on one.
DOCUMENTED_ANSWERS: list[tuple[str, str, Any, Any]] = [
    (
        "password-import",
        "password_import",
        {"commands": [{"type": "com.okta.action.update", "value": {"credential": "VERIFIED"}}]},
        None,
    ),
    (
        "registration-progressive",
        "registration",
        {
            "commands": [
                {
                    "type": "com.okta.user.progressive.profile.update",
                    "value": {"employeeNumber": "4821", "mobilePhone": "+15555550142"},
                }
            ]
        },
        PROGRESSIVE,
    ),
    (
        "registration-ssr-deny",
        "registration",
        {
            "commands": [{"type": "com.okta.action.update", "value": {"registration": "DENY"}}],
            "error": {
                "errorSummary": "Incorrect email address. Please contact your admin.",
                "errorCauses": [
                    {
                        "errorSummary": "Only example.com emails can register.",
                        "reason": "INVALID_EMAIL_DOMAIN",
                        "locationType": "body",
                        "location": "data.userProfile.email",
                        "domain": "end-user",
                    }
                ],
            },
        },
        SSR,
    ),
    (
        "registration-ssr",
        "registration",
        {
            "commands": [
                {"type": "com.okta.action.update", "value": {"registration": "ALLOW"}},
                {
                    "type": "com.okta.user.profile.update",
                    "value": {"customerId": "CUST-004217", "locale": "en_US"},
                },
            ],
            "debugContext": {"contextMessage": '{"rule":"allowed-domain","domain":"example.com"}'},
        },
        SSR,
    ),
    (
        "saml",
        "saml",
        {
            "commands": [
                {
                    "type": "com.okta.assertion.patch",
                    "value": [
                        {
                            "op": "add",
                            "path": "/claims/extPatientId",
                            "value": {
                                "attributes": {
                                    "NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"
                                },
                                "attributeValues": [
                                    {"attributes": {"xsi:type": "xs:integer"}, "value": "1235"}
                                ],
                            },
                        },
                        {
                            "op": "replace",
                            "path": "/claims/groups/attributeValues/1/value",
                            "value": "Patients-West",
                        },
                        {"op": "add", "path": "/authentication/sessionLifetime", "value": 3600},
                    ],
                }
            ]
        },
        None,
    ),
    (
        "telephony",
        "telephony",
        {
            "commands": [
                {
                    "type": "com.okta.telephony.action",
                    "value": [
                        {
                            "status": "SUCCESSFUL",
                            "provider": "EXAMPLE_SMS_GATEWAY",
                            "transactionId": "SMf3b1c2d4e5f60718293a4b5c6d7e8f90",
                            "transactionMetadata": "Duration=240ms",
                        }
                    ],
                }
            ]
        },
        None,
    ),
    (
        "token",
        "token",
        {
            "commands": [
                {
                    "type": "com.okta.identity.patch",
                    "value": [
                        {"op": "add", "path": "/claims/extPatientId", "value": "1235"},
                        {"op": "replace", "path": "/token/lifetime/expiration", "value": 1800},
                    ],
                },
                {
                    "type": "com.okta.access.patch",
                    "value": [
                        {
                            "op": "add",
                            "path": "/claims/external_guid",
                            "value": "F0384685-F87D-474B-848D-2058AC5655A7",
                        },
                        {"op": "add", "path": "/claims/patient_tier", "value": "gold"},
                        {"op": "replace", "path": "/token/lifetime/expiration", "value": 900},
                    ],
                },
            ],
            "debugContext": {"patientLookup": "hit"},
        },
        TOKEN_BOTH,
    ),
    (
        "user-import",
        "user_import",
        {
            "commands": [
                {"type": "com.okta.action.update", "value": {"result": "LINK_USER"}},
                {"type": "com.okta.user.update", "value": {"id": "00uSallyExisting0001d7"}},
                {"type": "com.okta.appUser.profile.update", "value": {"accountType": "ENTERPRISE"}},
            ]
        },
        None,
    ),
]


def answer(status: int = 200, body: Any = b"") -> ResponseSnapshot:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ResponseSnapshot(status=status, body=raw)


def cmd(kind_type: str, value: Any) -> dict[str, Any]:
    return {"commands": [{"type": kind_type, "value": value}]}


def token_ops(*ops: dict[str, Any], which: str = "identity") -> dict[str, Any]:
    return cmd(f"com.okta.{which}.patch", list(ops))


def saml_ops(*ops: dict[str, Any]) -> dict[str, Any]:
    return cmd("com.okta.assertion.patch", list(ops))


@pytest.mark.parametrize(
    ("name", "kind", "body", "request_body"), DOCUMENTED_ANSWERS, ids=[r[0] for r in DOCUMENTED_ANSWERS]
)
def test_documented_answers_are_valid(name: str, kind: str, body: Any, request_body: Any) -> None:
    assert check_answer(kind, answer(200, body), request_body) == ()
    assert check_answer(kind, answer(200, body), None) == ()


# Each answer in sample_payloads/responses/, with the sample calls it answers (as its README says)...
SAMPLE_ANSWERS: dict[str, tuple[str, list[str]]] = {
    "registration-allow.json": ("registration", ["registration-ssr.json", "registration-classic.json"]),
    "registration-deny.json": ("registration", ["registration-ssr.json", "registration-classic.json"]),
    "registration-progressive.json": ("registration", ["registration-progressive.json"]),
    "token.json": ("token", ["token.json", "token-refresh.json"]),
    "saml.json": ("saml", ["saml.json"]),
    "telephony.json": ("telephony", ["telephony-sms.json", "telephony-voice.json"]),
    "password-import.json": ("password_import", ["password-import.json"]),
    "user-import.json": ("user_import", ["user-import-match.json", "user-import.json"]),
}
# ...and calls it is not meant for: the rules that depend on the call see the difference, as a problem (Okta
# would not take it) or a warning (Okta's reference does not say what it does).
SAMPLE_MISMATCHES: list[tuple[str, str, str, str, str]] = [
    ("registration-progressive.json", "registration", "registration-ssr.json", "meant for progressive", "warning"),
    ("registration-allow.json", "registration", "registration-progressive.json", "progressive.profile.update",
     "problem"),
    ("token.json", "token", "token-access-only.json", "that token was not requested", "problem"),
]


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def test_every_sample_answer_is_covered() -> None:
    assert sorted(p.name for p in (SAMPLES / "responses").glob("*.json")) == sorted(SAMPLE_ANSWERS)


@pytest.mark.parametrize("name", sorted(SAMPLE_ANSWERS))
def test_sample_answers_are_valid_for_the_calls_they_answer(name: str) -> None:
    kind, requests = SAMPLE_ANSWERS[name]
    body = (SAMPLES / "responses" / name).read_bytes()
    for request in requests:
        assert review(kind, answer(200, body), sample(request)) == ((), ()), request  # no problem, no warning


@pytest.mark.parametrize(("name", "kind", "request_name", "says", "verdict"), SAMPLE_MISMATCHES)
def test_sample_answers_for_the_wrong_call_are_flagged(
    name: str, kind: str, request_name: str, says: str, verdict: str
) -> None:
    problems, warnings = review(kind, answer(200, (SAMPLES / "responses" / name).read_bytes()), sample(request_name))
    flagged = problems if verdict == "problem" else warnings
    assert any(says in p.message for p in flagged), (problems, warnings)


@pytest.mark.parametrize("kind", [k for k in DEFAULT_ANSWERS if k != "unknown"])
def test_default_answers_are_valid(kind: str) -> None:
    status, body = DEFAULT_ANSWERS[kind]
    raw = b"" if body is None else json.dumps(body).encode()
    assert check_answer(kind, ResponseSnapshot(status, body=raw)) == ()


# fmt: off
# (id, kind, status, body, request_body, path fragment, message fragment)
RULES: list[tuple[str, str, int, Any, Any, str, str]] = [
    # event hook verification; request_body is the challenge string
    ("verify-wrong-status", "event_verification", 204, b"", CHALLENGE, "status", "must be HTTP 200"),
    ("verify-not-json", "event_verification", 200, b"Zq3y", CHALLENGE, "$", "not JSON"),
    ("verify-no-key", "event_verification", 200, {"challenge": CHALLENGE}, CHALLENGE, "$", '{"verification"'),
    ("verify-wrong-value", "event_verification", 200, {"verification": "other"}, CHALLENGE, "$.verification", "not the challenge"),
    ("verify-empty-value", "event_verification", 200, {"verification": ""}, None, "$.verification", "challenge string"),
    # event hook delivery
    ("event-5xx", "event", 503, b"", None, "status", "delivery failed"),
    ("event-4xx", "event", 401, b"", None, "status", "delivery failed"),
    ("event-redirect", "event", 302, b"", None, "status", "redirect"),
    ("event-202", "event", 202, b"", None, "status", "200 or 204"),
    # envelope of inline answers
    ("inline-5xx", "saml", 500, b"", None, "status", "HTTP 500"),
    ("inline-4xx", "token", 400, {"error": {"errorSummary": "x"}}, None, "status", "status 200 and an error object"),
    ("inline-redirect", "registration", 301, b"", None, "status", "redirect"),
    ("inline-201", "password_import", 201, {}, None, "status", "200 or 204"),
    ("telephony-204", "telephony", 204, b"", None, "status", "no 204"),
    ("telephony-201", "telephony", 201, b"", None, "status", "expects 200 from"),
    ("204-with-body", "token", 204, token_ops({"op": "add", "path": "/claims/a", "value": 1}), None, "$", "204 answer carries no body"),
    ("200-empty", "token", 200, b"", None, "$", "send 204"),
    ("200-empty-telephony", "telephony", 200, b"  ", None, "$", "telephony.action"),
    ("not-json", "registration", 200, b"{'commands': []}", None, "$", "not JSON"),
    ("not-object", "registration", 200, [1, 2], None, "$", "not an array"),
    ("too-big", "user_import", 200, {"debugContext": {"pad": "x" * (256 * 1024)}}, None, "$", "under 256 KB"),
    ("unknown-top-key", "token", 200, {"command": []}, None, "$.command", "unknown top-level key"),
    ("commands-not-array", "token", 200, {"commands": {"type": "com.okta.identity.patch"}}, None, "$.commands", "must be an array"),
    ("debug-not-object", "saml", 200, {"debugContext": "hello"}, None, "$.debugContext", "must be an object"),
    # command envelope
    ("command-not-object", "saml", 200, {"commands": ["com.okta.assertion.patch"]}, None, "$.commands[0]", "must be an object"),
    ("command-no-type", "saml", 200, {"commands": [{"value": []}]}, None, "$.commands[0].type", "no type"),
    ("command-no-value", "saml", 200, {"commands": [{"type": "com.okta.assertion.patch"}]}, None, "$.commands[0].value", "has no value"),
    ("command-extra-key", "password_import", 200, {"commands": [{"type": "com.okta.action.update", "value": {"credential": "VERIFIED"}, "op": "x"}]}, None, "$.commands[0].op", "unknown command key"),
    ("wrong-kind-command", "token", 200, cmd("com.okta.assertion.patch", []), None, "$.commands[0].type", "not a token command"),
    ("doc-typo-command", "registration", 200, cmd("com.action.update", {"registration": "ALLOW"}), None, "$.commands[0].type", "com.okta.action.update"),
    ("refresh-token-patch", "token", 200, cmd("com.okta.refresh_token.patch", []), None, "$.commands[0].type", "no refresh token patch"),
    # registration
    ("registration-bad-action", "registration", 200, cmd("com.okta.action.update", {"registration": "MAYBE"}), None, "$.commands[0].value.registration", "'MAYBE' is not one of ALLOW, DENY"),
    ("registration-action-string", "registration", 200, cmd("com.okta.action.update", "ALLOW"), None, "$.commands[0].value", "not a string"),
    ("registration-action-missing", "registration", 200, cmd("com.okta.action.update", {}), None, "$.commands[0].value.registration", "missing 'registration'"),
    ("registration-action-extra", "registration", 200, cmd("com.okta.action.update", {"registration": "ALLOW", "credential": "VERIFIED"}), None, "$.commands[0].value.credential", "unknown key"),
    ("ssr-update-in-progressive", "registration", 200, cmd("com.okta.user.profile.update", {"a": "b"}), PROGRESSIVE, "$.commands[0].type", "use com.okta.user.progressive.profile.update"),
    ("ssr-update-in-classic-progressive", "registration", 200, cmd("com.okta.user.profile.update", {"a": "b"}), CLASSIC_PROGRESSIVE, "$.commands[0].type", "progressive profile call"),
    ("profile-update-not-object", "registration", 200, cmd("com.okta.user.profile.update", ["a"]), SSR, "$.commands[0].value", "object of attribute"),
    ("registration-sets-password", "registration", 200, cmd("com.okta.user.profile.update", {"password": "x"}), SSR, "$.commands[0].value.password", "never set the password"),
    ("registration-allow-with-error", "registration", 200, {**cmd("com.okta.action.update", {"registration": "ALLOW"}), "error": {"errorSummary": "no"}}, SSR, "$.commands[0]", "also has an error object"),
    # password import
    ("password-bad-credential", "password_import", 200, cmd("com.okta.action.update", {"credential": "verified"}), None, "$.commands[0].value.credential", "not one of VERIFIED, UNVERIFIED"),
    ("password-wrong-key", "password_import", 200, cmd("com.okta.action.update", {"registration": "ALLOW"}), None, "$.commands[0].value.credential", "missing 'credential'"),
    ("password-verified-with-error", "password_import", 200, {**cmd("com.okta.action.update", {"credential": "VERIFIED"}), "error": {"errorSummary": "x"}}, None, "$.commands[0]", "also has an error object"),
    # user import
    ("import-bad-result", "user_import", 200, cmd("com.okta.action.update", {"result": "MERGE"}), None, "$.commands[0].value.result", "not one of CREATE_USER, LINK_USER"),
    ("import-link-without-user", "user_import", 200, cmd("com.okta.action.update", {"result": "LINK_USER"}), None, "$.commands[0].value.result", "LINK_USER needs a com.okta.user.update"),
    (
        "import-user-update-bad-id",
        "user_import",
        200,
        {"commands": [{"type": "com.okta.action.update", "value": {"result": "LINK_USER"}}, {"type": "com.okta.user.update", "value": {"id": 42}}]},
        None,
        "$.commands[1].value.id",
        "must be the id of the Okta user",
    ),
    ("import-user-update-extra", "user_import", 200, cmd("com.okta.user.update", {"id": "00u1", "login": "x"}), None, "$.commands[0].value.login", "takes only id"),
    ("import-app-profile-not-object", "user_import", 200, cmd("com.okta.appUser.profile.update", "x"), None, "$.commands[0].value", "object of attribute"),
    ("import-registration-command", "user_import", 200, cmd("com.okta.user.progressive.profile.update", {}), None, "$.commands[0].type", "not a user_import command"),
    # telephony
    ("telephony-value-object", "telephony", 200, cmd("com.okta.telephony.action", {"status": "SUCCESSFUL"}), None, "$.commands[0].value", "must be an array"),
    ("telephony-value-empty", "telephony", 200, cmd("com.okta.telephony.action", []), None, "$.commands[0].value", "is empty"),
    ("telephony-bad-status", "telephony", 200, cmd("com.okta.telephony.action", [{"status": "SENT"}]), None, "$.commands[0].value[0].status", "SUCCESSFUL, PENDING, FAILED"),
    ("telephony-no-status", "telephony", 200, cmd("com.okta.telephony.action", [{"provider": "x"}]), None, "$.commands[0].value[0].status", "got missing"),
    ("telephony-number-field", "telephony", 200, cmd("com.okta.telephony.action", [{"status": "PENDING", "transactionId": 42}]), None, "$.commands[0].value[0].transactionId", "must be a string"),
    ("telephony-extra-field", "telephony", 200, cmd("com.okta.telephony.action", [{"status": "PENDING", "sid": "x"}]), None, "$.commands[0].value[0].sid", "unknown key"),
    ("telephony-entry-not-object", "telephony", 200, cmd("com.okta.telephony.action", ["SUCCESSFUL"]), None, "$.commands[0].value[0]", "must be an object"),
    ("telephony-no-action", "telephony", 200, {"debugContext": {}}, None, "$.commands", "needs a com.okta.telephony.action"),
    ("telephony-success-with-error", "telephony", 200, {**cmd("com.okta.telephony.action", [{"status": "SUCCESSFUL"}]), "error": {"errorSummary": "x"}}, None, "$.commands[0]", "also has an error object"),
    # token patches
    ("token-value-not-array", "token", 200, cmd("com.okta.identity.patch", {"op": "add"}), None, "$.commands[0].value", "must be an array"),
    ("token-op-not-object", "token", 200, cmd("com.okta.identity.patch", ["add"]), None, "$.commands[0].value[0]", "must be an object"),
    ("token-bad-op", "token", 200, token_ops({"op": "move", "path": "/claims/a", "value": 1}), None, "$.commands[0].value[0].op", "one of add, replace, remove"),
    ("token-no-path", "token", 200, token_ops({"op": "add", "value": 1}), None, "$.commands[0].value[0].path", "must be a string"),
    ("token-bad-root", "token", 200, token_ops({"op": "add", "path": "/scopes/a", "value": 1}), None, "$.commands[0].value[0].path", "must be /claims/<name>"),
    ("token-empty-claim", "token", 200, token_ops({"op": "add", "path": "/claims/", "value": 1}), None, "$.commands[0].value[0].path", "must be /claims/<name>"),
    ("token-empty-claim-step", "token", 200, token_ops({"op": "add", "path": "/claims//a", "value": 1}), None, "$.commands[0].value[0].path", "must be /claims/<name>"),
    ("token-other-token-path", "token", 200, token_ops({"op": "replace", "path": "/token/lifetime", "value": 600}), None, "$.commands[0].value[0].path", "only /token/lifetime/expiration"),
    ("lifetime-add", "token", 200, token_ops({"op": "add", "path": "/token/lifetime/expiration", "value": 600}), None, "$.commands[0].value[0].op", "only takes op replace"),
    ("lifetime-too-short", "token", 200, token_ops({"op": "replace", "path": "/token/lifetime/expiration", "value": 299}), None, "$.commands[0].value[0].value", "from 300 to 86400"),
    ("lifetime-too-long", "token", 200, token_ops({"op": "replace", "path": "/token/lifetime/expiration", "value": 86401}), None, "$.commands[0].value[0].value", "from 300 to 86400"),
    ("lifetime-string", "token", 200, token_ops({"op": "replace", "path": "/token/lifetime/expiration", "value": "600"}), None, "$.commands[0].value[0].value", "integer number of seconds"),
    ("reserved-claim", "token", 200, token_ops({"op": "replace", "path": "/claims/iss", "value": "x"}), None, "$.commands[0].value[0].path", "'iss' is a reserved claim"),
    ("reserved-claim-groups", "token", 200, token_ops({"op": "add", "path": "/claims/groups", "value": ["a"]}, which="access"), None, "$.commands[0].value[0].path", "'groups' is a reserved claim"),
    ("sub-in-id-token", "token", 200, token_ops({"op": "replace", "path": "/claims/sub", "value": "x"}), None, "$.commands[0].value[0].path", "access tokens only"),
    ("aud-in-id-token", "token", 200, token_ops({"op": "replace", "path": "/claims/aud", "value": "x"}), None, "$.commands[0].value[0].path", "'aud' is a reserved claim"),
    ("remove-with-value", "token", 200, token_ops({"op": "remove", "path": "/claims/a", "value": "x"}), None, "$.commands[0].value[0].value", "remove takes no value"),
    ("add-without-value", "token", 200, token_ops({"op": "add", "path": "/claims/a"}), None, "$.commands[0].value[0].value", "add needs a value"),
    ("token-op-extra-key", "token", 200, token_ops({"op": "add", "path": "/claims/a", "value": 1, "from": "/claims/b"}), None, "$.commands[0].value[0].from", "unknown key"),
    ("token-bad-escape", "token", 200, token_ops({"op": "add", "path": "/claims/a~2b", "value": 1}), None, "$.commands[0].value[0].path", "bad escape"),
    ("token-uri-claim", "token", 200, token_ops({"op": "add", "path": "/claims/https://example.com/roles", "value": 1}), None, "$.commands[0].value[0].path", "'/claims/https:~1~1example.com~1roles'"),
    ("access-patch-not-requested", "token", 200, token_ops({"op": "add", "path": "/claims/a", "value": 1}, which="access"), TOKEN_ID_ONLY, "$.commands[0].type", "data.access: that token was not requested"),
    ("identity-patch-not-requested", "token", 200, token_ops({"op": "add", "path": "/claims/a", "value": 1}), TOKEN_ACCESS_ONLY, "$.commands[0].type", "data.identity"),
    ("replace-missing-claim", "token", 200, token_ops({"op": "replace", "path": "/claims/tier2", "value": "gold"}, which="access"), TOKEN_BOTH, "$.commands[0].value[0].path", "only work on claims already in the token"),
    ("add-inside-missing-claim", "token", 200, token_ops({"op": "add", "path": "/claims/profile/tier", "value": "gold"}, which="access"), TOKEN_BOTH, "$.commands[0].value[0].path", "cannot add inside 'profile'"),
    ("token-patch-with-error", "token", 200, {**token_ops({"op": "add", "path": "/claims/a", "value": 1}), "error": {"errorSummary": "x"}}, None, "$.commands[0]", "also has an error object"),
    # SAML patches
    ("saml-value-not-array", "saml", 200, cmd("com.okta.assertion.patch", {}), None, "$.commands[0].value", "must be an array"),
    ("saml-remove", "saml", 200, saml_ops({"op": "remove", "path": "/claims/a"}), None, "$.commands[0].value[0].op", "SAML patches cannot remove"),
    ("saml-bad-root", "saml", 200, saml_ops({"op": "replace", "path": "/lifetime/expiration", "value": 60}), None, "$.commands[0].value[0].path", "/subject/, /authentication/"),
    ("saml-bare-root", "saml", 200, saml_ops({"op": "add", "path": "/claims/", "value": {}}), None, "$.commands[0].value[0].path", "name something under it"),
    ("saml-bad-escape", "saml", 200, saml_ops({"op": "replace", "path": "/claims/a~b/attributeValues/0/value", "value": "x"}), None, "$.commands[0].value[0].path", "bad escape"),
    (
        "saml-uri-unescaped",
        "saml",
        200,
        saml_ops({"op": "replace", "path": "/claims/http://schemas.xmlsoap.org/ws/2005/05/identity/claims/foo/attributeValues/0/value", "value": "x"}),
        None,
        "$.commands[0].value[0].path",
        "'/claims/http:~1~1schemas.xmlsoap.org~1ws~12005~105~1identity~1claims~1foo/attributeValues/0/value'",
    ),
    ("saml-no-value", "saml", 200, saml_ops({"op": "replace", "path": "/subject/nameId"}), None, "$.commands[0].value[0].value", "replace needs a value"),
    ("saml-new-attribute-string", "saml", 200, saml_ops({"op": "add", "path": "/claims/dept", "value": "Sales"}), None, "$.commands[0].value[0].value", "new attribute must be an object"),
    ("saml-new-attribute-no-values", "saml", 200, saml_ops({"op": "add", "path": "/claims/dept", "value": {"attributes": {}}}), None, "$.commands[0].value[0].value.attributeValues", "non-empty attributeValues"),
    ("saml-new-attribute-bad-item", "saml", 200, saml_ops({"op": "add", "path": "/claims/dept", "value": {"attributeValues": [{"attributes": {}}]}}), None, "$.commands[0].value[0].value.attributeValues[0]", "with a value"),
    # error object
    ("error-array", "telephony", 200, {"error": [{"errorSummary": "x"}]}, None, "$.error", "documentation bug"),
    ("error-string", "saml", 200, {"error": "nope"}, None, "$.error", "not a string"),
    ("error-extra-key", "token", 200, {"error": {"errorSummary": "x", "message": "y"}}, None, "$.error.message", "unknown key"),
    ("error-causes-object", "registration", 200, {"error": {"errorSummary": "x", "errorCauses": {"reason": "y"}}}, None, "$.error.errorCauses", "must be an array"),
    ("error-cause-not-object", "registration", 200, {"error": {"errorSummary": "x", "errorCauses": ["y"]}}, None, "$.error.errorCauses[0]", "must be an object"),
    ("error-cause-number", "registration", 200, {"error": {"errorSummary": "x", "errorCauses": [{"reason": 3}]}}, None, "$.error.errorCauses[0].reason", "must be a string"),
    ("error-cause-extra", "user_import", 200, {"error": {"errorSummary": "x", "errorCauses": [{"field": "a"}]}}, None, "$.error.errorCauses[0].field", "unknown key"),
]
# fmt: on


@pytest.mark.parametrize(
    ("name", "kind", "status", "body", "request_body", "path", "message"), RULES, ids=[r[0] for r in RULES]
)
def test_rule_flags_problem(
    name: str, kind: str, status: int, body: Any, request_body: Any, path: str, message: str
) -> None:
    problems = check_answer(kind, answer(status, body), request_body)
    assert problems, f"{name}: expected a problem"
    matching = [p for p in problems if p.path.startswith(path) and message in p.message]
    assert matching, f"{name}: no problem at {path!r} with {message!r} in {[str(p) for p in problems]}"
    assert all(p.consequence for p in problems), "every problem says what Okta would do"


# fmt: off
# Answers that look odd but Okta accepts.
ACCEPTED: list[tuple[str, str, int, Any, Any]] = [
    ("java-sdk-nulls", "password_import", 200, {"commands": [{"type": "com.okta.action.update", "value": {"credential": "VERIFIED"}}], "error": None, "debugContext": None}, None),
    ("commands-null", "token", 200, {"commands": None}, None),
    ("empty-object", "user_import", 200, {}, None),
    ("no-content", "registration", 204, b"", None),
    ("event-200-empty", "event", 200, b"", None),
    ("event-204", "event", 204, b"", None),
    ("verification-shape-only", "event_verification", 200, {"verification": "abc"}, None),
    ("verification-challenge-bytes", "event_verification", 200, {"verification": "abc"}, b"abc"),
    ("unknown-kind", "unknown", 500, b"oops", None),
    ("sub-and-aud-in-access-token", "token", 200, token_ops({"op": "replace", "path": "/claims/sub", "value": "x"}, {"op": "replace", "path": "/claims/aud", "value": "y"}, which="access"), TOKEN_BOTH),
    ("remove-with-null", "token", 200, token_ops({"op": "remove", "path": "/claims/tier", "value": None}, which="access"), TOKEN_BOTH),
    ("add-array-append", "token", 200, token_ops({"op": "add", "path": "/claims/roles/-", "value": "admin"}), None),
    ("escaped-uri-claim", "token", 200, token_ops({"op": "add", "path": "/claims/https:~1~1example.com~1roles", "value": 1}), None),
    ("saml-escaped-uri", "saml", 200, saml_ops({"op": "replace", "path": "/claims/http:~1~1schemas.xmlsoap.org~1ws~12005~105~1identity~1claims~1foo/attributeValues/0/value", "value": "x"}), None),
    ("saml-urn-attribute", "saml", 200, saml_ops({"op": "replace", "path": "/claims/urn:oid:2.5.4.42/attributeValues/0/value", "value": "x"}), None),
    ("registration-profile-without-request", "registration", 200, cmd("com.okta.user.profile.update", {"a": "b"}), None),
    ("registration-deny-with-error", "registration", 200, {**cmd("com.okta.action.update", {"registration": "DENY"}), "error": {"errorSummary": "no"}}, PROGRESSIVE),
    ("telephony-error-only", "telephony", 200, {"error": {"errorSummary": "provider down", "errorCauses": [{"errorSummary": "x", "reason": "y", "location": "z"}]}}, None),
    ("telephony-failed-with-error", "telephony", 200, {**cmd("com.okta.telephony.action", [{"status": "FAILED"}]), "error": {"errorSummary": "x"}}, None),
    ("import-create-user", "user_import", 200, cmd("com.okta.action.update", {"result": "CREATE_USER"}), None),
    ("event-body-is-only-a-warning", "event", 200, {"ok": True}, None),
]
# fmt: on


@pytest.mark.parametrize(
    ("name", "kind", "status", "body", "request_body"), ACCEPTED, ids=[r[0] for r in ACCEPTED]
)
def test_accepted_answers(name: str, kind: str, status: int, body: Any, request_body: Any) -> None:
    assert check_answer(kind, answer(status, body), request_body) == ()


def test_consequence_names_the_flow() -> None:
    body = cmd("com.okta.action.update", {"registration": "NO"})
    (ssr,) = check_answer("registration", answer(200, body), SSR)
    (progressive,) = check_answer("registration", answer(200, body), PROGRESSIVE)
    assert "denies the registration" in ssr.consequence
    assert "denies the profile update" in progressive.consequence


def test_inline_5xx_consequence_says_whether_okta_retries() -> None:
    (token,) = check_answer("token", answer(502))
    (saml,) = check_answer("saml", answer(502))
    assert token.consequence.startswith("no retry") and "issued unmodified" in token.consequence
    assert saml.consequence.startswith("Okta retries once") and "original assertion" in saml.consequence


def test_event_retry_depends_on_status_class() -> None:
    (server_error,) = check_answer("event", answer(500))
    (client_error,) = check_answer("event", answer(404))
    assert "retries the delivery once" in server_error.consequence
    assert "does not retry" in client_error.consequence


def test_several_problems_are_all_reported() -> None:
    body = {
        "commands": [
            {"type": "com.okta.identity.patch", "value": [{"op": "add", "path": "/claims/iat", "value": 1}]},
            {"type": "com.okta.access.patch", "value": [{"op": "remove", "path": "/claims/a", "value": 1}]},
        ],
        "extra": 1,
    }
    paths = {p.path for p in check_answer("token", answer(200, body))}
    assert paths == {"$.extra", "$.commands[0].value[0].path", "$.commands[1].value[0].value"}


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b"1",
        b'"x"',
        b"\xff\xfe",
        b"[" * 5000,
        json.dumps({"commands": [None, 1, [], {"type": 5}]}).encode(),
    ],
)
@pytest.mark.parametrize(
    "kind", ["registration", "token", "saml", "telephony", "password_import", "user_import"]
)
def test_odd_bodies_give_problems_not_exceptions(kind: str, body: bytes) -> None:
    problems = check_answer(kind, ResponseSnapshot(200, body=body))
    assert problems and all(p.path.startswith("$") for p in problems)


def test_validate_combines_problems_and_timing() -> None:
    good = answer(204)
    assert validate("token", good, None, 12.0).ok
    late = validate("token", good, None, 3000.0)
    assert not late.ok and late.problems == () and late.timing is not None and late.timing.grade == "timeout"
    slow = validate("token", good, None, 2500.0)
    assert slow.ok and slow.timing is not None and slow.timing.grade == "slow"
    bad = validate("telephony", answer(204), None, 5.0)
    assert not bad.ok and bad.problems[0].path == "status"
    assert bad.to_json()["problems"][0]["consequence"].endswith("through its own provider")


def test_a_remembered_review_follows_the_call_it_answers() -> None:
    """The same answer given call after call is reviewed once; what the verdict depends on in the call still counts:
    the registration flow, whether the call is known, the tokens a token hook asked for, and the time taken."""
    profile = json.dumps({"commands": [{"type": "com.okta.user.profile.update", "value": {"x": "1"}}]}).encode()
    answer = ResponseSnapshot(200, (("Content-Type", "application/json"),), profile)
    for _ in range(3):  # alternating, so each verdict comes from the memory after the first pair
        assert validate("registration", answer, SSR, 5.0).ok
        assert not validate("registration", answer, PROGRESSIVE, 5.0).ok
        assert validate("registration", answer, None, 5.0).ok
    slow = validate("registration", answer, SSR, 3500.0)
    assert not slow.ok and slow.timing is not None and slow.timing.grade == "timeout" and slow.outcome == ""

    id_patch = json.dumps({"commands": [{"type": "com.okta.identity.patch", "value": [
        {"op": "add", "path": "/claims/extra", "value": "x"}]}]}).encode()
    token_answer = ResponseSnapshot(200, (("Content-Type", "application/json"),), id_patch)
    for _ in range(2):
        assert validate("token", token_answer, TOKEN_BOTH, 5.0).ok
        assert not validate("token", token_answer, TOKEN_ACCESS_ONLY, 5.0).ok  # no ID token was requested
