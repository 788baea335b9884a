"""Okta's Management API error objects turned into one message that says what went wrong and what to do."""

from __future__ import annotations

from typing import Any

from hookdev.errors import OktaError

SCOPES_HELP = ("grant okta.inlineHooks.manage, okta.eventHooks.manage and okta.logs.read on the service app's "
               "Okta API Scopes tab, and give it an admin role that may manage hooks")


def _fix(status: int, code: str | None, text: str, credentials: str, www_authenticate: str) -> str:
    lowered = text.lower()
    if status == 401:
        if credentials.startswith("API token"):
            return ("the API token is wrong, revoked or expired (tokens unused for 30 days expire): create one under "
                    "Security > API > Tokens in the Admin Console and set OKTA_API_TOKEN or [okta] api_token")
        return "the service app's access token was refused: check [okta] client_id and private_key"
    if status == 403:
        if "insufficient_scope" in www_authenticate or "scope" in lowered:
            return SCOPES_HELP
        if credentials.startswith("API token"):
            return ("the admin who made this API token may not manage hooks: make the token as a Super Admin "
                    "(or an admin with a role that may manage inline and event hooks)")
        return SCOPES_HELP
    if status == 404:
        return ("it is not in the org any more (deleted in the Admin Console?): `hookdev okta connect` "
                "creates what is missing")
    if status == 429:
        return "Okta's rate limit for this endpoint stayed exhausted; wait a minute and run the command again"
    if status == 400 and ("limit" in lowered or "maximum" in lowered or "only one" in lowered):
        # Okta's limits: 50 inline hooks (createInlineHook), 25 active and verified event hooks (concepts/event-hooks),
        # one password import hook and one active telephony hook per org (their create operations).
        return ("the org has as many hooks of this kind as Okta allows (50 inline hooks in all, 25 active event "
                "hooks, one password import hook, one active telephony hook): under Workflow in the Admin Console "
                "delete an inline hook you no longer use (deactivate it first) or deactivate an event or telephony "
                "hook, or reuse the org's own with `hookdev okta connect --adopt`")
    if status == 400 and ("https" in lowered or "uri" in lowered or "url" in lowered):
        return "Okta calls only public https:// URLs: start serve with --tunnel, or pass --url https://..."
    if status == 400 and "verif" in lowered:
        return ("Okta's verification GET did not get its challenge back: is `hookdev serve --tunnel` running, "
                "and does the tunnel reach it? `hookdev list` shows whether the GET arrived")
    if status >= 500:
        return "Okta failed on its side; try again in a moment (status.okta.com lists incidents)"
    return ""


def okta_error(status: int, body: Any, *, what: str, credentials: str, headers: Any = None) -> OktaError:
    """An OktaError from an HTTP status and Okta's error object (errorCode, errorSummary, errorCauses)."""
    data = body if isinstance(body, dict) else {}
    code = data.get("errorCode") if isinstance(data.get("errorCode"), str) else None
    summary = data.get("errorSummary") if isinstance(data.get("errorSummary"), str) else None
    causes = tuple(str(c["errorSummary"]) for c in data.get("errorCauses") or []
                   if isinstance(c, dict) and c.get("errorSummary"))
    www = str((headers or {}).get("WWW-Authenticate", ""))
    request_id = (headers or {}).get("X-Okta-Request-Id")
    said = summary or (data.get("error_description") if isinstance(data.get("error_description"), str) else None)
    message = f"Okta answered {what} with HTTP {status}" + (f" {code}" if code else "") + (f": {said}" if said else "")
    if causes:
        message += " (" + "; ".join(causes) + ")"
    fix = _fix(status, code, " ".join((summary or "", *causes)), credentials, www)
    return OktaError(message, status=status, code=code, summary=summary, causes=causes, request_id=request_id,
                     fix=fix)
