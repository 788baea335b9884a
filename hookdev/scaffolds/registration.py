"""Registration inline hook: only people with an example.com email address may sign up.

Okta calls this during self-service registration (Okta guide: "Registration inline hook").
Point the hook at <your hookdev URL>/registrationHook. Save this file and hookdev reloads it.
Try it:  hookdev send registration-ssr --to http://127.0.0.1:8080/registrationHook
"""

from typing import Any

from hookdev import HookRequest

ALLOWED_DOMAIN = "example.com"


def registration(request: HookRequest) -> dict[str, Any]:
    if request.request_type == "progressive.profile":
        return allow()  # this example only checks new sign-ups

    email = request.get("data.userProfile.email") or request.get("data.userProfile.login") or ""
    if email.lower().endswith("@" + ALLOWED_DOMAIN):
        print(f"allowing {email}")
        return allow()

    print(f"denying {email}: not an {ALLOWED_DOMAIN} address")
    return {
        "commands": [{"type": "com.okta.action.update", "value": {"registration": "DENY"}}],
        "error": {
            "errorSummary": "Incorrect email address. Please contact your admin.",
            "errorCauses": [
                {
                    "errorSummary": f"Only {ALLOWED_DOMAIN} emails can register.",
                    "reason": "INVALID_EMAIL_DOMAIN",
                    "locationType": "body",
                    "location": "data.userProfile.email",
                    "domain": "end-user",
                }
            ],
        },
    }


def allow() -> dict[str, Any]:
    return {"commands": [{"type": "com.okta.action.update", "value": {"registration": "ALLOW"}}]}
