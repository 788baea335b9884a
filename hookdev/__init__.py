"""hookdev: receive, verify, answer, validate, record and replay Okta hooks on your laptop."""

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["HookRequest", "__version__", "hook"]

if TYPE_CHECKING:
    from hookdev.answers.request import HookRequest, hook
else:

    def __getattr__(name: str) -> object:
        # `from hookdev import hook, HookRequest` in a handler file; imported on first use so `import hookdev`
        # stays light. Type checkers read the imports above instead.
        if name in ("HookRequest", "hook"):
            from hookdev.answers import request

            return getattr(request, name)
        raise AttributeError(f"module 'hookdev' has no attribute {name!r}")
