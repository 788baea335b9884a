"""Token inline hook: add a claim to the tokens of users found in your own data store.

Okta calls this when a custom authorization server mints tokens (Okta guide: "Token inline hook").
Point the hook at <your hookdev URL>/tokenHook.
Try it:  hookdev send token --to http://127.0.0.1:8080/tokenHook
"""

from typing import Any

from hookdev import HookRequest

# Stands in for your own data store: login -> patient id.
PATIENTS = {
    "nia.patel@example.com": "1234",
    "omar.haddad@example.com": "5678",
}


def token(request: HookRequest) -> dict[str, Any] | None:
    login = request.get("data.context.user.profile.login")
    patient_id = PATIENTS.get(login)
    if patient_id is None:
        print(f"{login or 'no user'}: not a patient, tokens unchanged")
        return None  # 204: Okta issues the tokens unmodified

    claim = [{"op": "add", "path": "/claims/extPatientId", "value": patient_id}]
    commands = []
    if "identity" in request.data:  # only patch the tokens that were requested
        commands.append({"type": "com.okta.identity.patch", "value": claim})
    if "access" in request.data:
        commands.append({"type": "com.okta.access.patch", "value": claim})
    print(f"{login}: adding extPatientId={patient_id}")
    return {"commands": commands}
