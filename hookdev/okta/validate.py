"""Check an answer against what Okta accepts for its hook kind: status, body, commands, error, timing."""

from __future__ import annotations

from typing import Any

from hookdev import jsontext
from hookdev.models import INLINE_KINDS, Kind, Problem, ResponseSnapshot, Validation
from hookdev.okta.commands import ALLOWED, ERROR_EFFECT, Call, check_commands, fails_for, member, type_name
from hookdev.okta.kinds import registration_flavour
from hookdev.okta.outcome import outcome
from hookdev.okta.patches import PATCH_RULES
from hookdev.okta.timing import grade

MAX_ANSWER_BYTES = 256 * 1024
"""Okta takes inline hook answers under 256 KB."""
TOP_LEVEL_KEYS = ("commands", "error", "debugContext")
NO_CONTENT_KINDS: tuple[Kind, ...] = ("registration", "token", "saml", "password_import", "user_import")
ERROR_CAUSE_FIELDS = ("errorSummary", "reason", "locationType", "location", "domain")
RETRIED_KINDS: tuple[Kind, ...] = ("registration", "saml", "password_import", "user_import")

VERIFY_FAILS = (
    "verification fails: Okta retries once, then the verify call returns 400 and the hook stays unverified"
)


def review(
    kind: Kind, response: ResponseSnapshot, request_body: Any | None = None
) -> tuple[tuple[Problem, ...], tuple[Problem, ...]]:
    """(problems, warnings) of `response` as an answer to a call of `kind`.

    Problems are every reason Okta would not take the answer as intended; warnings are what Okta tolerates but
    is likely a mistake (a body on an event-hook 200, a user id that does not look like one). `request_body` is
    the parsed JSON of the call (None when unknown) so rules can depend on it: self-service vs progressive
    registration, which tokens were requested. For `event_verification` it is instead the challenge string
    from the X-Okta-Verification-Challenge header (None: only the shape is checked). Kind `unknown` has no
    rules.
    """
    if kind == "event_verification":
        found = _check_verification(response, request_body)
    elif kind == "event":
        found = _check_event(response)
    elif kind in INLINE_KINDS:
        found = _check_inline(Call(kind, request_body, fails_for(kind, request_body)), response)
    else:
        found = []
    return (
        tuple(p for p in found if not p.tolerated),
        tuple(p for p in found if p.tolerated),
    )


def check_answer(
    kind: Kind, response: ResponseSnapshot, request_body: Any | None = None
) -> tuple[Problem, ...]:
    """Every reason Okta would not take `response` as intended for a call of `kind`; () when it would.

    Warnings are left out: see `review`.
    """
    return review(kind, response, request_body)[0]


def validate(
    kind: Kind, response: ResponseSnapshot, request_body: Any | None, duration_ms: float
) -> Validation:
    """The problems and warnings of `review` plus the latency grade; ok only with no problem and no timeout."""
    key = _review_key(kind, response, request_body)
    reviewed = _REVIEWED.get(key) if key is not None else None
    if reviewed is None:
        problems, warnings = review(kind, response, request_body)
        reviewed = problems, warnings, outcome(kind, response.status, response.body).label
        if key is not None:
            if len(_REVIEWED) >= REVIEWED_MAX:
                _REVIEWED.clear()
            _REVIEWED[key] = reviewed
    problems, warnings, effect = reviewed
    timing = grade(kind, duration_ms, response.status)
    ok = not problems and timing.grade != "timeout"
    return Validation(ok=ok, problems=problems, timing=timing, warnings=warnings, outcome=effect if ok else "")


REVIEWED_MAX = 256
"""Reviews remembered: a template or a handler gives the same answer to call after call."""
_REVIEWED: dict[tuple[Any, ...], tuple[tuple[Problem, ...], tuple[Problem, ...], str]] = {}
_REMEMBERED_KINDS = (frozenset(INLINE_KINDS) - {"token"}) | {"event"}
"""The kinds whose rules read no more of the call than a registration's flow. Not a token hook (its patches are
checked against the claims requested), nor a verification (its echo against the challenge)."""


def _review_key(kind: Kind, response: ResponseSnapshot, request_body: Any) -> tuple[Any, ...] | None:
    """What the review of a small answer (one jsontext.loads_shared remembers) depends on, for the kinds in
    _REMEMBERED_KINDS; None for the others and for big answers."""
    if kind not in _REMEMBERED_KINDS or len(response.body) > jsontext.SHARED_MAX:
        return None
    flow = registration_flavour(request_body) if kind == "registration" and request_body is not None else None
    return kind, flow, response.status, response.body


def _check_verification(response: ResponseSnapshot, challenge: Any) -> list[Problem]:
    if isinstance(challenge, bytes):
        challenge = challenge.decode("utf-8", errors="replace")
    if response.status != 200:
        return [
            Problem(
                "status", f"the verification answer must be HTTP 200, not {response.status}", VERIFY_FAILS
            )
        ]
    body, problem = _parse(response, VERIFY_FAILS)
    if problem:
        return [problem]
    shape = '{"verification": "<the X-Okta-Verification-Challenge header value>"}'
    if not isinstance(body, dict) or "verification" not in body:
        return [Problem("$", f"the body must be {shape}", VERIFY_FAILS)]
    echoed = body["verification"]
    if not isinstance(echoed, str) or not echoed:
        return [
            Problem(
                "$.verification", f"verification must be the challenge string, not {echoed!r}", VERIFY_FAILS
            )
        ]
    if isinstance(challenge, str) and echoed != challenge:
        return [
            Problem(
                "$.verification",
                f"{echoed!r} is not the challenge Okta sent ({challenge!r}); echo the header value exactly",
                VERIFY_FAILS,
            )
        ]
    return []


def _check_event(response: ResponseSnapshot) -> list[Problem]:
    status = response.status
    if status in (200, 204):
        if response.body.strip():
            # Okta's event hook concept page (developer.okta.com/docs/concepts/event-hooks/, "Your service's
            # responses to event delivery requests"): the answer "should be empty", with 200 or 204.
            return [
                Problem(
                    "$",
                    f"an event hook answer should have an empty body, and this one has {len(response.body)} "
                    "bytes (Express's res.sendStatus(200) sends the text OK; res.status(200).end() sends nothing)",
                    "Okta ignores the body and counts the delivery as done",
                    tolerated=True,
                )
            ]
        return []
    if status >= 500:
        return [
            Problem(
                "status",
                f"HTTP {status} tells Okta the delivery failed",
                "Okta retries the delivery once, then logs it as failed",
            )
        ]
    if status >= 400:
        return [
            Problem(
                "status",
                f"HTTP {status} tells Okta the delivery failed",
                "Okta does not retry a 4xx: these events are not delivered again",
            )
        ]
    if 300 <= status < 400:
        return [
            Problem(
                "status",
                f"HTTP {status} is a redirect, which Okta does not follow",
                "the delivery is logged as failed",
            )
        ]
    return [
        Problem(
            "status",
            f"Okta expects 200 or 204 for an event delivery, not {status}",
            "the delivery may be logged as failed",
        )
    ]


def _check_inline(call: Call, response: ResponseSnapshot) -> list[Problem]:
    status_problem = _check_inline_status(call, response)
    if status_problem or response.status == 204:
        return status_problem
    if len(response.body) >= MAX_ANSWER_BYTES:
        size = f"{len(response.body) / 1024:.0f} KB"
        return [Problem("$", f"the answer is {size}; Okta takes answers under 256 KB", call.fails)]
    if not response.body.strip():
        hint = (
            "send a com.okta.telephony.action command"
            if call.kind == "telephony"
            else "send 204 for no change, or a JSON object"
        )
        return [Problem("$", f"200 with an empty body: {hint}", call.fails)]
    body, problem = _parse(response, call.fails)
    if problem:
        return [problem]
    if not isinstance(body, dict):
        return [
            Problem(
                "$",
                f"the body must be a JSON object with commands / error / debugContext, not {type_name(body)}",
                call.fails,
            )
        ]
    return _check_body(call, body)


def _check_inline_status(call: Call, response: ResponseSnapshot) -> list[Problem]:
    status = response.status
    if status == 200:
        return []
    if status == 204:
        if call.kind not in NO_CONTENT_KINDS:
            return [
                Problem(
                    "status",
                    f"{call.kind} hooks have no 204 answer; "
                    "send 200 with a com.okta.telephony.action command",
                    call.fails,
                )
            ]
        if response.body.strip():
            return [
                Problem(
                    "$",
                    "a 204 answer carries no body; send 200 if these commands should apply",
                    "Okta ignores the body and takes the default action",
                )
            ]
        return []
    retry = "Okta retries once, then " if call.kind in RETRIED_KINDS else "no retry: "
    if status >= 500:
        message = f"HTTP {status} tells Okta the hook failed"
        consequence = retry + call.fails
    elif status >= 400:
        message = (
            f"HTTP {status} tells Okta the hook failed; reject with status 200 and an error object instead"
        )
        consequence = "no retry: " + call.fails
    elif status >= 300:
        message, consequence = f"HTTP {status} is a redirect, which Okta does not follow", call.fails
    else:
        allowed = "200 or 204" if call.kind in NO_CONTENT_KINDS else "200"
        message, consequence = f"Okta expects {allowed} from a {call.kind} hook, not {status}", call.fails
    return [Problem("status", message, consequence)]


def _parse(response: ResponseSnapshot, fails: str) -> tuple[Any, Problem | None]:
    try:
        return jsontext.loads_shared(response.body), None  # read only, never changed
    except ValueError as exc:
        return None, Problem("$", f"the body is not JSON ({exc}); send a JSON object", fails)


def _check_body(call: Call, body: dict[str, Any]) -> list[Problem]:
    problems = [
        Problem(
            member("$", key),
            f"unknown top-level key {key!r}; Okta reads only commands, error and debugContext",
            "Okta ignores it",
        )
        for key in body
        if key not in TOP_LEVEL_KEYS
    ]
    commands = body.get("commands")
    if commands is not None and not isinstance(commands, list):
        problems.append(
            Problem("$.commands", f"commands must be an array, not {type_name(commands)}", call.fails)
        )
        commands = None
    if commands:
        problems += check_commands(call, commands, PATCH_RULES)
    error = body.get("error")
    if error is not None:
        problems += _check_error(call, error)
        problems += _ignored_with_error(call, commands or [])
    debug = body.get("debugContext")
    if debug is not None and not isinstance(debug, dict):
        problems.append(
            Problem(
                "$.debugContext",
                f"debugContext must be an object, not {type_name(debug)}",
                "Okta does not copy it to the System Log",
            )
        )
    if (
        call.kind == "telephony"
        and error is None
        and not _has_type(commands or [], "com.okta.telephony.action")
    ):
        problems.append(
            Problem(
                "$.commands",
                "a telephony answer needs a com.okta.telephony.action command "
                "saying whether the OTP was sent",
                call.fails,
            )
        )
    return problems


def _check_error(call: Call, error: Any) -> list[Problem]:
    if isinstance(error, list):
        return [
            Problem(
                "$.error",
                'error must be an object {"errorSummary": ...}, not an array '
                "(an Okta spec example shows an array; that is a documentation bug)",
                call.fails,
            )
        ]
    if not isinstance(error, dict):
        return [
            Problem(
                "$.error",
                f'error must be an object {{"errorSummary": ...}}, not {type_name(error)}',
                call.fails,
            )
        ]
    effect = ERROR_EFFECT[call.kind]
    problems = [
        Problem(
            member("$.error", key),
            f"unknown key {key!r}; error has errorSummary and errorCauses",
            "Okta ignores it",
        )
        for key in error
        if key not in ("errorSummary", "errorCauses")
    ]
    summary = error.get("errorSummary")
    if not isinstance(summary, str) or not summary:
        # Tolerated: Okta's registration reference says an error object fails the registration "even if the
        # top-level errorSummary and the errorCauses objects are omitted" (RegistrationResponse.error).
        got = "" if "errorSummary" not in error else " (got an empty string)" if summary == "" else (
            f" (got {type_name(summary)})"
        )
        problems.append(
            Problem(
                "$.error.errorSummary",
                f"error has no errorSummary string{got}, so users and the System Log get only Okta's generic "
                "message",
                f"the error still applies: {effect}",
                tolerated=True,
            )
        )
    causes = error.get("errorCauses")
    if causes is not None and not isinstance(causes, list):
        problems.append(
            Problem(
                "$.error.errorCauses",
                f"errorCauses must be an array of objects, not {type_name(causes)}",
                effect,
            )
        )
    for index, cause in enumerate(causes if isinstance(causes, list) else []):
        problems += _check_error_cause(cause, f"$.error.errorCauses[{index}]", effect)
    return problems


def _check_error_cause(cause: Any, here: str, effect: str) -> list[Problem]:
    if not isinstance(cause, dict):
        return [Problem(here, f"each error cause must be an object, not {type_name(cause)}", effect)]
    problems = []
    for key, value in cause.items():
        if key not in ERROR_CAUSE_FIELDS:
            problems.append(
                Problem(
                    member(here, key),
                    f"unknown key {key!r}; allowed: {', '.join(ERROR_CAUSE_FIELDS)}",
                    "Okta ignores it",
                )
            )
        elif not isinstance(value, str):
            problems.append(
                Problem(member(here, key), f"{key} must be a string, not {type_name(value)}", effect)
            )
    return problems


def _ignored_with_error(call: Call, commands: list[Any]) -> list[Problem]:
    """Commands that cannot take effect because the answer also carries an error object."""
    if call.kind == "user_import":
        return []  # what an error does to the rest of a user import answer is not documented
    problems = []
    for index, command in enumerate(commands):
        if not isinstance(command, dict) or command.get("type") not in ALLOWED[call.kind]:
            continue
        if _agrees_with_error(command.get("value")):
            continue
        problems.append(
            Problem(
                f"$.commands[{index}]",
                f"{command['type']} has no effect: the answer also has an error object",
                ERROR_EFFECT[call.kind],
            )
        )
    return problems


def _agrees_with_error(value: Any) -> bool:
    """A command that asks for the same outcome as the error (DENY, UNVERIFIED, a failed send)."""
    if isinstance(value, dict):
        return value.get("registration") == "DENY" or value.get("credential") == "UNVERIFIED"
    if isinstance(value, list) and value:
        return all(isinstance(item, dict) and item.get("status") == "FAILED" for item in value)
    return False


def _has_type(commands: list[Any], wanted: str) -> bool:
    return any(isinstance(c, dict) and c.get("type") == wanted for c in commands)
