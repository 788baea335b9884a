"""User import inline hook: link imported app users to the Okta users they match, create the others.

Okta calls this for each user of an app-to-Okta import ("User import inline hook").
Point the hook at <your hookdev URL>/userImport.
Try it:  hookdev send user-import-match --to http://127.0.0.1:8080/userImport
"""

from typing import Any

from hookdev import HookRequest


def user_import(request: HookRequest) -> dict[str, Any]:
    matches = request.get("data.context.matches") or []
    email = request.get("data.appUser.profile.email")
    if len(matches) == 1:
        okta_id = matches[0]["id"]
        print(f"{email}: linking to existing user {okta_id}")
        return {
            "commands": [
                {"type": "com.okta.action.update", "value": {"result": "LINK_USER"}},
                {"type": "com.okta.user.update", "value": {"id": okta_id}},  # LINK_USER needs the user's id
            ]
        }

    print(f"{email}: creating a new user ({len(matches)} matches)")
    return {
        "commands": [
            {"type": "com.okta.action.update", "value": {"result": "CREATE_USER"}},
            {"type": "com.okta.user.profile.update", "value": {"login": email, "email": email}},
        ]
    }
