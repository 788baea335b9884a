"""The errors a user can act on; expected negatives (bad tokens, invalid answers) are values, not these."""

from __future__ import annotations


class HookdevError(Exception):
    """Root of hookdev's errors; str() is a message fit to show the user."""


class ConfigError(HookdevError):
    """A setting is missing or wrong; names the key and the problem."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class UsageError(HookdevError):
    """The command line asks for something that cannot be: an unknown name, a malformed URL (exit 2)."""


class StoreError(HookdevError):
    """The exchange store cannot be opened, read or written."""


class TunnelError(HookdevError):
    """The ngrok tunnel could not start or died; carries the advice to fix it."""

    def __init__(self, message: str, *, code: str | None = None, fix: str = "") -> None:
        super().__init__(message + (f" — {fix}" if fix else ""))
        self.code = code
        self.fix = fix


class JwksError(HookdevError):
    """The issuer's key set could not be fetched or read."""


class SendError(HookdevError):
    """Sending a call as Okta failed before any answer came back."""


class ResponseTemplateError(HookdevError):
    """An answer template on disk is not usable."""


class OktaError(HookdevError):
    """The Okta org refused or failed a Management API request: Okta's error object, and what to do about it."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        summary: str | None = None,
        causes: tuple[str, ...] = (),
        request_id: str | None = None,
        fix: str = "",
    ) -> None:
        super().__init__(message + (f" — {fix}" if fix else ""))
        self.status = status
        self.code = code
        self.summary = summary
        self.causes = causes
        self.request_id = request_id
        self.fix = fix
