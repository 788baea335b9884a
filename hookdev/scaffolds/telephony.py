"""Telephony inline hook: send the one-time code through your own provider (here: printed to the log).

Okta calls this when it needs to send an SMS or voice OTP (Okta guide: "Telephony inline hook").
Point the hook at <your hookdev URL>/telephonyHook.
Try it:  hookdev send telephony-sms --to http://127.0.0.1:8080/telephonyHook
"""

import uuid
from typing import Any

from hookdev import HookRequest


def telephony(request: HookRequest) -> dict[str, Any]:
    message = request.get("data.messageProfile", {})
    phone = message.get("phoneNumber")
    code = message.get("otpCode")
    channel = message.get("deliveryChannel", "SMS")
    # Replace this print with a call to your SMS or voice provider.
    print(f"[{channel}] to {phone}: your verification code is {code}")
    return {
        "commands": [
            {
                "type": "com.okta.telephony.action",
                "value": [
                    {
                        "status": "SUCCESSFUL",  # or PENDING (sent, delivery not confirmed) or FAILED
                        "provider": "hookdev-console",
                        "transactionId": uuid.uuid4().hex,
                    }
                ],
            }
        ]
    }
