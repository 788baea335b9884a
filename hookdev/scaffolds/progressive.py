"""Registration inline hook, progressive profile: check the employee number a user adds to their profile.

Okta calls this when a signed-in user submits extra profile fields (Okta guide: "Registration inline
hook", progressive profile enrollment). Point the hook at <your hookdev URL>/registrationHookPP.
Try it:  hookdev send registration-progressive --to http://127.0.0.1:8080/registrationHookPP
"""

import re
from typing import Any

from hookdev import HookRequest, hook


@hook("/registrationHookPP")  # the guide's path; named registration, it answers registration calls on any path too
def registration(request: HookRequest) -> dict[str, Any]:
    if request.request_type != "progressive.profile" and "userProfileUpdate" not in request.data:
        return allow()  # a new sign-up: this example only checks profile updates

    employee_number = str(request.get("data.userProfileUpdate.employeeNumber", ""))
    if re.fullmatch(r"\d{4}", employee_number):
        print(f"employee number {employee_number} accepted")
        return {
            "commands": [
                {
                    "type": "com.okta.user.progressive.profile.update",
                    "value": {"employeeNumber": employee_number},
                }
            ]
        }

    print(f"employee number {employee_number!r} refused")
    return {
        "error": {
            "errorSummary": "Incorrect employee number. Enter an employee number with 4 digits.",
            "errorCauses": [
                {
                    "errorSummary": "Employee numbers have 4 digits.",
                    "reason": "INVALID_EMPLOYEE_NUMBER",
                    "locationType": "body",
                    "location": "data.userProfileUpdate.employeeNumber",
                    "domain": "end-user",
                }
            ],
        }
    }


def allow() -> dict[str, Any]:
    return {"commands": [{"type": "com.okta.action.update", "value": {"registration": "ALLOW"}}]}
