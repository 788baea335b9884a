"""Event hook: log every user Okta deactivates.

Okta posts System Log events here (Okta guide: "Event hook", Display Deactivated Users).
Point the hook at <your hookdev URL>/userDeactivated, subscribed to "User deactivated"; hookdev
answers the one-time verification GET for you.
Try it:  hookdev send event --to http://127.0.0.1:8080/userDeactivated
"""

from hookdev import HookRequest


def event(request: HookRequest) -> None:
    for item in request.events:
        if item.get("eventType") != "user.lifecycle.deactivate":
            continue
        for target in item.get("target") or []:
            print(f"deactivated: {target.get('alternateId')} ({target.get('displayName')})")
    return None  # 204 at once; do slow work after answering: Okta waits only 3 s
