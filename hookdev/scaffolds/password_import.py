"""Password import inline hook: check an imported user's password against your old system.

Okta calls this at an imported user's first sign-in (Okta guide: "Password import inline hook").
Point the hook at <your hookdev URL>/passwordImport.
Try it:  hookdev send password-import --to http://127.0.0.1:8080/passwordImport
"""

import hmac
from typing import Any

from hookdev import HookRequest

# Stands in for your legacy user store: username -> password. Never keep real passwords like this.
LEGACY_USERS = {
    "marta.silva@example.com": "Tr0ub4dor&3-legacy",
    "lena.okafor@example.com": "correct-horse-battery",
}


def password_import(request: HookRequest) -> dict[str, Any] | tuple[dict[str, Any], int] | None:
    credential = request.get("data.context.credential", {})
    username = credential.get("username")
    password = credential.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return {"error": {"errorSummary": "username and password are required"}}, 400

    known = LEGACY_USERS.get(username)
    if known is not None and hmac.compare_digest(known.encode(), password.encode()):
        print(f"{username}: password verified, Okta stores it")
        return {"commands": [{"type": "com.okta.action.update", "value": {"credential": "VERIFIED"}}]}

    print(f"{username}: password not verified")
    return None  # 204: UNVERIFIED, the sign-in fails and Okta asks again next time
