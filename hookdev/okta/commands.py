"""Per-kind rules for the `commands` of an inline hook answer: allowed types and the shape of each value."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hookdev.models import Kind, Problem
from hookdev.okta.kinds import registration_flavour

# What Okta does when it cannot use an answer at all (docs/okta-hooks.md, "Timeouts and retries").
FAILS: dict[Kind, str] = {
    "registration": "Okta stops the flow and denies the registration",
    "token": "the hook is skipped and the token is issued unmodified",
    "saml": "the hook is skipped and Okta sends the original assertion",
    "telephony": "the hook operation is skipped and Okta sends the OTP through its own provider",
    "password_import": "the sign-in fails and the password is not imported",
    "user_import": "the hook is skipped; the import continues and the user is created without its changes",
}

# What a well-formed `error` object makes Okta do, per kind (docs/okta-hooks.md, "Each inline hook type").
ERROR_EFFECT: dict[Kind, str] = {
    "registration": "no commands run and Okta denies the registration",
    "token": "no token is issued; the client gets error=server_error with the errorSummary",
    "saml": "Okta denies the SAML request and shows the errorSummary",
    "telephony": "Okta falls back to its own provider to send the OTP and shows the error to the user",
    "password_import": "the password is not verified and the sign-in fails",
    "user_import": "Okta logs a failure event with the errorSummary in the System Log",
}

ALLOWED: dict[Kind, tuple[str, ...]] = {
    "registration": (
        "com.okta.action.update",
        "com.okta.user.profile.update",
        "com.okta.user.progressive.profile.update",
    ),
    "token": ("com.okta.identity.patch", "com.okta.access.patch"),
    "saml": ("com.okta.assertion.patch",),
    "telephony": ("com.okta.telephony.action",),
    "password_import": ("com.okta.action.update",),
    "user_import": (
        "com.okta.appUser.profile.update",
        "com.okta.user.profile.update",
        "com.okta.action.update",
        "com.okta.user.update",
    ),
}

# Commands people reach for that do not exist, with what to do instead.
MISTAKES: dict[str, str] = {
    "com.action.update": "the spec examples drop 'okta.'; the real command is com.okta.action.update",
    "com.okta.refresh_token.patch": "Okta has no refresh token patch; a hook cannot change refresh tokens",
    "com.okta.idToken.patch": "the ID token command is com.okta.identity.patch",
    "com.okta.accessToken.patch": "the access token command is com.okta.access.patch",
}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def member(path: str, key: str) -> str:
    """JSON path of `key` inside the object at `path`."""
    return f"{path}.{key}" if _IDENT.match(key) else f"{path}[{key!r}]"


def type_name(value: Any) -> str:
    """The JSON name of a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


@dataclass(frozen=True, slots=True)
class Call:
    """What a rule may know about the call being answered."""

    kind: Kind
    request: Any
    """The parsed request body, or None when unknown."""
    fails: str
    """The consequence when Okta cannot use (part of) the answer."""

    @property
    def data(self) -> dict[str, Any] | None:
        data = self.request.get("data") if isinstance(self.request, dict) else None
        return data if isinstance(data, dict) else None


def fails_for(kind: Kind, request: Any) -> str:
    """The consequence of an unusable answer, worded for the call when the request tells which flow it is."""
    if kind == "registration" and request is not None:
        if registration_flavour(request) == "progressive.profile":
            return "Okta stops the flow and denies the profile update"
    return FAILS.get(kind, "Okta cannot use the answer")


Rule = Callable[[Call, Any, str, str], list[Problem]]
"""rule(call, value, path of the value, command type) -> problems with that command's value."""


def check_commands(call: Call, commands: list[Any], patch_rules: Mapping[str, Rule]) -> list[Problem]:
    """Problems with the `commands` array of an answer for `call.kind`; `patch_rules` check patch values."""
    problems: list[Problem] = []
    for index, command in enumerate(commands):
        problems += _check_command(call, command, f"$.commands[{index}]", patch_rules)
    problems += _check_cross_rules(call, commands)
    return problems


def _check_command(call: Call, command: Any, path: str, patch_rules: Mapping[str, Rule]) -> list[Problem]:
    if not isinstance(command, dict):
        return [
            Problem(
                path,
                f'a command must be an object {{"type": ..., "value": ...}}, not {type_name(command)}',
                call.fails,
            )
        ]
    problems = [
        Problem(
            member(path, key),
            f"unknown command key {key!r}; a command has only type and value",
            "Okta ignores it",
        )
        for key in command
        if key not in ("type", "value")
    ]
    kind_type = command.get("type")
    if not isinstance(kind_type, str):
        return problems + [Problem(f"{path}.type", "the command has no type string", call.fails)]
    if kind_type not in ALLOWED[call.kind]:
        return problems + [Problem(f"{path}.type", _not_allowed(call, kind_type), call.fails)]
    if "value" not in command:
        return problems + [Problem(f"{path}.value", f"{kind_type} has no value", call.fails)]
    if call.kind == "registration":
        wrong_flow = _registration_flow_problem(call, kind_type, f"{path}.type")
        if wrong_flow and not wrong_flow.tolerated:
            return problems + [wrong_flow]
        problems += [wrong_flow] if wrong_flow else []
    rule = patch_rules.get(kind_type) or _value_rule(call.kind, kind_type)
    return problems + rule(call, command["value"], f"{path}.value", kind_type)


def _not_allowed(call: Call, kind_type: str) -> str:
    allowed = ", ".join(ALLOWED[call.kind])
    hint = MISTAKES.get(kind_type)
    hint = f" ({hint})" if hint else ""
    return f"{kind_type} is not a {call.kind} command{hint}; allowed: {allowed}"


def _registration_flow_problem(call: Call, kind_type: str, path: str) -> Problem | None:
    # Okta's registration hook reference (OpenAPI schema RegistrationResponse, commands): user.profile.update is
    # "For SSR only. Invalid if used with a Progressive Profile response"; progressive.profile.update carries no
    # such restriction, so using it in a self-service answer is only likely a mistake.
    if call.request is None:
        return None  # without the request either profile command may be right
    flavour = registration_flavour(call.request)
    if kind_type == "com.okta.user.profile.update" and flavour == "progressive.profile":
        return Problem(
            path,
            "com.okta.user.profile.update is for self-service registration; this is a progressive profile "
            "call, use com.okta.user.progressive.profile.update",
            call.fails,
        )
    if kind_type == "com.okta.user.progressive.profile.update" and flavour != "progressive.profile":
        return Problem(
            path,
            "com.okta.user.progressive.profile.update is meant for progressive profile calls; this is a "
            "self-service registration, where com.okta.user.profile.update sets the new user's attributes",
            "Okta's reference does not say what it does in a self-service answer",
            tolerated=True,
        )
    return None


def _value_rule(kind: Kind, kind_type: str) -> Rule:
    if kind_type == "com.okta.action.update":
        return _ACTION_RULES[kind]
    if kind_type == "com.okta.telephony.action":
        return _check_telephony_action
    if kind_type == "com.okta.user.update":
        return _check_user_update
    return _check_profile_update


def _enum_object(key: str, choices: tuple[str, ...]) -> Rule:
    """A rule for a value that must be exactly {key: one of choices}."""

    def rule(call: Call, value: Any, path: str, kind_type: str) -> list[Problem]:
        expected = f'{{"{key}": {" | ".join(choices)}}}'
        if not isinstance(value, dict):
            return [
                Problem(path, f"{kind_type} value must be {expected}, not {type_name(value)}", call.fails)
            ]
        problems = [
            Problem(
                member(path, extra), f"unknown key {extra!r}; the value must be {expected}", "Okta ignores it"
            )
            for extra in value
            if extra != key
        ]
        if key not in value:
            problems.append(
                Problem(member(path, key), f"missing {key!r}; the value must be {expected}", call.fails)
            )
        elif value[key] not in choices:
            problems.append(
                Problem(member(path, key), f"{value[key]!r} is not one of {', '.join(choices)}", call.fails)
            )
        return problems

    return rule


_ACTION_RULES: dict[Kind, Rule] = {
    "registration": _enum_object("registration", ("ALLOW", "DENY")),
    "password_import": _enum_object("credential", ("VERIFIED", "UNVERIFIED")),
    "user_import": _enum_object("result", ("CREATE_USER", "LINK_USER")),
}


def _check_profile_update(call: Call, value: Any, path: str, kind_type: str) -> list[Problem]:
    if not isinstance(value, dict):
        return [
            Problem(
                path,
                f"{kind_type} value must be an object of attribute: value, not {type_name(value)}",
                call.fails,
            )
        ]
    if call.kind == "registration" and "password" in value:
        return [
            Problem(member(path, "password"), "a registration hook can never set the password", call.fails)
        ]
    return []


def _check_user_update(call: Call, value: Any, path: str, kind_type: str) -> list[Problem]:
    if not isinstance(value, dict):
        return [
            Problem(path, f'{kind_type} value must be {{"id": "00u..."}}, not {type_name(value)}', call.fails)
        ]
    problems = [
        Problem(
            member(path, extra),
            f"unknown key {extra!r}; com.okta.user.update takes only id",
            "Okta ignores it",
        )
        for extra in value
        if extra != "id"
    ]
    user_id = value.get("id")
    if not isinstance(user_id, str) or not user_id:
        problems.append(
            Problem(
                f"{path}.id",
                f"id must be the id of the Okta user to link to (a string, e.g. 00u...), got {user_id!r}",
                call.fails,
            )
        )
    elif not user_id.startswith("00u"):
        # Tolerated: Okta's own user import example (OpenAPI example UserImportMatchExample) links to
        # "00garwpuyxHaWOkdV0g3"; the reference only asks for "the ID of the Okta user".
        problems.append(
            Problem(
                f"{path}.id",
                f"{user_id!r} does not look like an Okta user id (those start 00u); check it names the "
                "existing user to link to",
                "Okta links to whatever user has this id",
                tolerated=True,
            )
        )
    return problems


_TELEPHONY_STATUSES = ("SUCCESSFUL", "PENDING", "FAILED")
_TELEPHONY_FIELDS = ("status", "provider", "transactionId", "transactionMetadata")


def _check_telephony_action(call: Call, value: Any, path: str, kind_type: str) -> list[Problem]:
    if not isinstance(value, list):
        return [
            Problem(
                path,
                f"{kind_type} value must be an array of "
                f"{{status, provider, transactionId, transactionMetadata}}, not {type_name(value)}",
                call.fails,
            )
        ]
    if not value:
        return [Problem(path, f"{kind_type} value is empty; it needs one entry with a status", call.fails)]
    problems: list[Problem] = []
    for index, entry in enumerate(value):
        here = f"{path}[{index}]"
        if not isinstance(entry, dict):
            problems.append(
                Problem(
                    here, f"each entry must be an object with a status, not {type_name(entry)}", call.fails
                )
            )
            continue
        for key, field_value in entry.items():
            if key not in _TELEPHONY_FIELDS:
                problems.append(
                    Problem(
                        member(here, key),
                        f"unknown key {key!r}; allowed: {', '.join(_TELEPHONY_FIELDS)}",
                        "Okta ignores it",
                    )
                )
            elif key != "status" and not isinstance(field_value, str):
                problems.append(
                    Problem(
                        member(here, key), f"{key} must be a string, not {type_name(field_value)}", call.fails
                    )
                )
        status = entry.get("status")
        if status not in _TELEPHONY_STATUSES:
            got = "missing" if "status" not in entry else f"{status!r}"
            problems.append(
                Problem(
                    f"{here}.status",
                    f"status must be one of {', '.join(_TELEPHONY_STATUSES)} (got {got})",
                    call.fails,
                )
            )
    return problems


def _check_cross_rules(call: Call, commands: list[Any]) -> list[Problem]:
    """Rules about the commands together rather than one at a time."""
    if call.kind == "registration":
        return _profile_update_in_progressive_answer(call, commands)
    if call.kind != "user_import":
        return []
    link_at = None
    has_user_update = False
    for index, command in enumerate(commands):
        if not isinstance(command, dict):
            continue
        value = command.get("value")
        if (
            command.get("type") == "com.okta.action.update"
            and isinstance(value, dict)
            and value.get("result") == "LINK_USER"
        ):
            link_at = index
        has_user_update = has_user_update or command.get("type") == "com.okta.user.update"
    if link_at is not None and not has_user_update:
        return [
            Problem(
                f"$.commands[{link_at}].value.result",
                'LINK_USER needs a com.okta.user.update command {"id": "00u..."} in the same answer '
                "naming the user to link",
                call.fails,
            )
        ]
    return []


def _profile_update_in_progressive_answer(call: Call, commands: list[Any]) -> list[Problem]:
    """com.okta.user.profile.update beside com.okta.user.progressive.profile.update: the answer is a progressive
    one, where Okta's reference calls the profile update invalid (RegistrationResponse, commands)."""
    if call.request is not None and registration_flavour(call.request) == "progressive.profile":
        return []  # each such command is already flagged against the request itself
    types = [command.get("type") if isinstance(command, dict) else None for command in commands]
    if "com.okta.user.progressive.profile.update" not in types:
        return []
    return [
        Problem(
            f"$.commands[{index}].type",
            "com.okta.user.profile.update is invalid in a progressive profile answer, and this answer is one: "
            "it carries com.okta.user.progressive.profile.update; keep one of the two profile commands",
            call.fails,
        )
        for index, kind_type in enumerate(types)
        if kind_type == "com.okta.user.profile.update"
    ]
