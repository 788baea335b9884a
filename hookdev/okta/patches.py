"""Rules for the JSON-Patch-like values of token (identity/access) and SAML assertion patch commands."""

from __future__ import annotations

import re
from typing import Any

from hookdev.models import Problem
from hookdev.okta.commands import Call, Rule, member, type_name

# Claims a token hook can never add, change or remove (docs/okta-hooks.md, "Token").
RESERVED_CLAIMS = frozenset(
    "acr active aid amr app_id app_type as_uri at_hash aud auth_time authorization_details c_hash cid "
    "client_id client_ip client_req_id client_type client_user_agent cnf device_compliance device_id "
    "device_known device_managed device_name device_trust did dst exp group groups hotk iat idp idp_iss "
    "iss jti mac_key may_act nonce oid okta_emailVerified okta_lastUpdated orig permissions purpose "
    "pwd_exp_days pwd_exp_time rid role rpt rsi scope scopes scp sid sub term token_type uid user_ip "
    "username ver".split()
)
ACCESS_TOKEN_MAY_CHANGE = frozenset({"aud", "sub"})

LIFETIME_PATH = "/token/lifetime/expiration"
LIFETIME_RANGE = (300, 86400)
SAML_ROOTS = ("subject", "authentication", "conditions", "claims")
OP_KEYS = ("op", "path", "value")

_BAD_ESCAPE = re.compile(r"~(?![01])")
_URI_START = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:/")
# Steps that may follow a SAML attribute name: they are path, not part of the name.
_ATTRIBUTE_TAIL = re.compile(
    r"(/attributeValues(/(\d+|-)(/(value|attributes(/[^/]*)?))?)?|/attributes(/[^/]*)?)\Z"
)


def unescape(step: str) -> str:
    """One JSON Pointer step with ~1 and ~0 decoded (RFC 6901 order)."""
    return step.replace("~1", "/").replace("~0", "~")


def escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def check_token_patch(call: Call, value: Any, path: str, kind_type: str) -> list[Problem]:
    """com.okta.identity.patch / com.okta.access.patch: [{op, path, value}] on claims and the lifetime."""
    token = "identity" if kind_type == "com.okta.identity.patch" else "access"
    not_requested = _unrequested_token(call, token, path, kind_type)
    if not_requested:
        return [not_requested]
    if not isinstance(value, list):
        return [
            Problem(
                path,
                f"{kind_type} value must be an array of {{op, path, value}}, not {type_name(value)}",
                call.fails,
            )
        ]
    fails = "the whole patch fails and the token is issued unmodified"
    claims = _request_claims(call, token)
    problems: list[Problem] = []
    for index, op in enumerate(value):
        problems += _check_token_op(op, f"{path}[{index}]", token, claims, fails)
    return problems


def _unrequested_token(call: Call, token: str, path: str, kind_type: str) -> Problem | None:
    data = call.data
    if data is None or not ("identity" in data or "access" in data):
        return None  # the request does not say which tokens are being minted
    if data.get(token) is not None:
        return None
    name = "an ID token" if token == "identity" else "an access token"
    return Problem(
        path.removesuffix(".value") + ".type",
        f"{kind_type} patches {name}, but the request has no data.{token}: that token was not requested",
        call.fails,
    )


def _request_claims(call: Call, token: str) -> dict[str, Any] | None:
    data = call.data
    section = data.get(token) if data else None
    claims = section.get("claims") if isinstance(section, dict) else None
    return claims if isinstance(claims, dict) else None


def _check_token_op(
    op: Any, here: str, token: str, claims: dict[str, Any] | None, fails: str
) -> list[Problem]:
    shape = _check_op_shape(op, here, ("add", "replace", "remove"), fails)
    if shape is not None:
        return shape
    kind_op, target = op["op"], op["path"]
    problems = _unknown_op_keys(op, here)
    if target == LIFETIME_PATH:
        return problems + _check_lifetime(op, here, fails)
    if target == "/token" or target.startswith("/token/"):
        return problems + [
            Problem(
                f"{here}.path", f"only {LIFETIME_PATH} can be changed under /token, not {target!r}", fails
            )
        ]
    if not target.startswith("/claims/") or target.startswith("/claims//") or target == "/claims/":
        return problems + [
            Problem(
                f"{here}.path", f"path must be /claims/<name>[/...] or {LIFETIME_PATH}, not {target!r}", fails
            )
        ]
    pointer = _check_pointer(target, "/claims/", f"{here}.path", fails)
    if pointer:
        return problems + pointer
    steps = target[len("/claims/") :].split("/")
    name = unescape(steps[0])
    if name in RESERVED_CLAIMS and not (token == "access" and name in ACCESS_TOKEN_MAY_CHANGE):
        where = " (aud and sub may change in access tokens only)" if name in ACCESS_TOKEN_MAY_CHANGE else ""
        return problems + [
            Problem(f"{here}.path", f"{name!r} is a reserved claim and cannot be changed{where}", fails)
        ]
    problems += _check_op_value(op, here, fails)
    # aud and sub are in every access token, whether or not the request lists them.
    listed = claims is not None and (name in claims or name in ACCESS_TOKEN_MAY_CHANGE)
    if claims is not None and not listed and (kind_op != "add" or len(steps) > 1):
        reason = (
            "replace and remove only work on claims already in the token"
            if kind_op != "add"
            else (f"cannot add inside {name!r}: the token has no such claim")
        )
        problems.append(
            Problem(f"{here}.path", f"{reason}; the request's data.{token}.claims has no {name!r}", fails)
        )
    return problems


def _check_lifetime(op: dict[str, Any], here: str, fails: str) -> list[Problem]:
    problems = []
    if op["op"] != "replace":
        problems.append(
            Problem(f"{here}.op", f"{LIFETIME_PATH} only takes op replace, not {op['op']!r}", fails)
        )
    seconds = op.get("value")
    low, high = LIFETIME_RANGE
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not low <= seconds <= high:
        problems.append(
            Problem(
                f"{here}.value",
                f"the token lifetime must be an integer number of seconds from {low} to {high}, "
                f"got {seconds!r}",
                fails,
            )
        )
    return problems


def check_saml_patch(call: Call, value: Any, path: str, kind_type: str) -> list[Problem]:
    """com.okta.assertion.patch: [{op: add|replace, path, value}] under subject, authentication, ..."""
    if not isinstance(value, list):
        return [
            Problem(
                path,
                f"{kind_type} value must be an array of {{op, path, value}}, not {type_name(value)}",
                call.fails,
            )
        ]
    fails = "the patch is not applied and Okta sends the original assertion"
    problems: list[Problem] = []
    for index, op in enumerate(value):
        problems += _check_saml_op(op, f"{path}[{index}]", fails)
    return problems


def _check_saml_op(op: Any, here: str, fails: str) -> list[Problem]:
    shape = _check_op_shape(op, here, ("add", "replace"), fails)
    if shape is not None:
        return shape
    target = op["path"]
    problems = _unknown_op_keys(op, here)
    root = target.split("/")[1] if target.startswith("/") else ""
    if root not in SAML_ROOTS or len(target) <= len(root) + 2:
        roots = ", ".join(f"/{r}/" for r in SAML_ROOTS)
        return problems + [
            Problem(
                f"{here}.path",
                f"path must start with one of {roots} and name something under it, not {target!r}",
                fails,
            )
        ]
    pointer = _check_pointer(target, f"/{root}/", f"{here}.path", fails)
    if pointer:
        return problems + pointer
    problems += _check_op_value(op, here, fails)
    new_attribute = root == "claims" and op["op"] == "add" and target.count("/") == 2
    if new_attribute and "value" in op:
        problems += _check_attribute_statement(op["value"], f"{here}.value", fails)
    return problems


def _check_attribute_statement(value: Any, here: str, fails: str) -> list[Problem]:
    """A new SAML attribute: {attributes: {NameFormat}, attributeValues: [{attributes, value}]}."""
    expected = '{attributes: {NameFormat}, attributeValues: [{attributes: {"xsi:type": ...}, value}]}'
    if not isinstance(value, dict):
        return [Problem(here, f"a new attribute must be an object {expected}, not {type_name(value)}", fails)]
    values = value.get("attributeValues")
    if not isinstance(values, list) or not values:
        return [
            Problem(
                f"{here}.attributeValues",
                f"a new attribute needs a non-empty attributeValues array: {expected}",
                fails,
            )
        ]
    return [
        Problem(
            f"{here}.attributeValues[{index}]", "each attribute value must be an object with a value", fails
        )
        for index, item in enumerate(values)
        if not isinstance(item, dict) or "value" not in item
    ]


def _check_op_shape(op: Any, here: str, ops: tuple[str, ...], fails: str) -> list[Problem] | None:
    """Problems that stop any further check of one operation, or None when it has an op and a path."""
    if not isinstance(op, dict):
        return [
            Problem(here, f"each operation must be an object {{op, path, value}}, not {type_name(op)}", fails)
        ]
    problems = []
    if op.get("op") not in ops:
        extra = "; SAML patches cannot remove" if op.get("op") == "remove" else ""
        problems.append(
            Problem(f"{here}.op", f"op must be one of {', '.join(ops)}, got {op.get('op')!r}{extra}", fails)
        )
    if not isinstance(op.get("path"), str):
        problems.append(Problem(f"{here}.path", f"path must be a string, got {op.get('path')!r}", fails))
    return problems or None


def _unknown_op_keys(op: dict[str, Any], here: str) -> list[Problem]:
    return [
        Problem(
            member(here, key),
            f"unknown key {key!r}; an operation has only op, path and value",
            "Okta ignores it",
        )
        for key in op
        if key not in OP_KEYS
    ]


def _check_op_value(op: dict[str, Any], here: str, fails: str) -> list[Problem]:
    if op["op"] == "remove":
        if op.get("value") is not None:
            return [Problem(f"{here}.value", "remove takes no value (leave it out or set it to null)", fails)]
        return []
    if "value" not in op:
        return [Problem(f"{here}.value", f"{op['op']} needs a value", fails)]
    return []


def _check_pointer(target: str, prefix: str, here: str, fails: str) -> list[Problem]:
    """Bad ~ escapes, and URI-style names whose / were not escaped as ~1."""
    bad = _BAD_ESCAPE.search(target)
    if bad:
        return [
            Problem(
                here,
                f"bad escape at character {bad.start()} of {target!r}: "
                "'~' must be followed by 0 (for ~) or 1 (for /)",
                fails,
            )
        ]
    rest = target[len(prefix) :]
    if not _URI_START.match(rest):
        return []
    tail = _ATTRIBUTE_TAIL.search(rest) if prefix == "/claims/" else None
    name = rest[: tail.start()] if tail else rest
    suggestion = prefix + escape(name) + (tail.group(0) if tail else "")
    return [
        Problem(
            here,
            f"the name {name!r} looks like a URI but its '/' are not escaped, "
            "so Okta reads them as path steps; "
            f"write {suggestion!r}",
            fails,
        )
    ]


PATCH_RULES: dict[str, Rule] = {
    "com.okta.identity.patch": check_token_patch,
    "com.okta.access.patch": check_token_patch,
    "com.okta.assertion.patch": check_saml_patch,
}
