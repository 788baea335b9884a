"""SAML assertion inline hook: add an attribute to the assertion of users found in your own data store.

Okta calls this before it sends a SAML assertion (Okta guide: "SAML assertion inline hook").
Point the hook at <your hookdev URL>/samlHook.
Try it:  hookdev send saml --to http://127.0.0.1:8080/samlHook
"""

from typing import Any

from hookdev import HookRequest

# Stands in for your own data store: login -> patient id.
PATIENTS = {
    "nia.patel@example.com": "1234",
    "omar.haddad@example.com": "5678",
}


def saml(request: HookRequest) -> dict[str, Any] | None:
    login = request.get("data.context.user.profile.login")
    patient_id = PATIENTS.get(login)
    if patient_id is None:
        print(f"{login or 'no user'}: not a patient, assertion unchanged")
        return None  # 204: Okta sends the assertion as it is

    print(f"{login}: adding extPatientId={patient_id}")
    return {
        "commands": [
            {
                "type": "com.okta.assertion.patch",
                "value": [
                    {
                        "op": "add",
                        "path": "/claims/extPatientId",
                        "value": {
                            "attributes": {"NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"},
                            "attributeValues": [{"attributes": {"xsi:type": "xs:integer"}, "value": patient_id}],
                        },
                    }
                ],
            }
        ]
    }
