"""The inspector's `/` filter: words like `token`, `expired`, `401`, `4xx`, `/tokenHook`, `invalid`, or any text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict, get_args

from hookdev.io.render import KIND_LABELS
from hookdev.models import KINDS, AuthReason, Exchange
from hookdev.receiver.store import Filter

REASONS = frozenset(get_args(AuthReason))
LABEL_TO_KIND = {label: kind for kind, label in KIND_LABELS.items()} | {k: k for k in KINDS}
HELP = ("kind (token, saml, pw-import…), verdict (ok, rejected, expired…), status (401, 4xx), "
        "path (/tokenHook), invalid, replay, or any text in the bodies")


@dataclass(frozen=True, slots=True)
class ExchangeFilter:
    """A parsed filter: the store query for older calls, and a predicate for live ones (always applied)."""

    text: str = ""
    kind: str | None = None
    path: str | None = None
    status: int | None = None
    status_class: int | None = None
    auth_ok: bool | None = None
    reason: str | None = None
    valid_ok: bool | None = None
    replay: bool = False
    words: tuple[str, ...] = field(default=())

    @property
    def active(self) -> bool:
        return bool(self.text.strip())

    def store_filter(self) -> Filter:
        """The part the store answers (the words through its text index); `matches` narrows the rest."""
        return Filter(kind=self.kind, path=self.path, status=self.status, auth_ok=self.auth_ok,
                      valid_ok=self.valid_ok, text=" ".join(self.words) or None)

    def matches(self, ex: Exchange) -> bool:
        """What the store cannot answer, on a row it returned (a summary: the words were matched there)."""
        checks = (
            self.kind is None or ex.kind == self.kind,
            self.path is None or ex.request.path == self.path,
            self.status is None or ex.status == self.status,
            self.status_class is None or ex.status // 100 == self.status_class,
            self.auth_ok is None or ex.auth.ok == self.auth_ok,
            self.reason is None or ex.auth.reason == self.reason,
            self.valid_ok is None or ex.validation.ok == self.valid_ok,
            not self.replay or ex.replay_of is not None,
        )
        return all(checks)


class _Fields(TypedDict, total=False):
    """The ExchangeFilter fields a filter's words set."""

    kind: str
    path: str
    status: int
    status_class: int
    auth_ok: bool
    reason: str
    valid_ok: bool
    replay: bool


def parse_filter(text: str) -> ExchangeFilter:
    """Read the filter words; `key:value` forms (kind:, path:, status:, auth:) work too."""
    values: _Fields = {}
    words: list[str] = []
    for raw in text.split():
        key, sep, value = raw.partition(":")
        word = value if sep and key in ("kind", "path", "status", "auth", "verdict") else raw
        low = word.lower()
        if low in LABEL_TO_KIND and key != "path":
            values["kind"] = LABEL_TO_KIND[low]
        elif low in REASONS:
            values["auth_ok"], values["reason"] = False, low
        elif low in ("rejected", "refused", "denied"):
            values["auth_ok"] = False
        elif low in ("ok", "accepted") and key in ("auth", "verdict"):
            values["auth_ok"] = True
        elif low in ("invalid", "problems"):
            values["valid_ok"] = False
        elif low == "valid":
            values["valid_ok"] = True
        elif low in ("replay", "replays"):
            values["replay"] = True
        elif len(low) == 3 and low.isdigit():
            values["status"] = int(low)
        elif len(low) == 3 and low[0].isdigit() and low[1:] == "xx":
            values["status_class"] = int(low[0])
        elif word.startswith("/"):
            values["path"] = word
        else:
            words.append(word)
    return ExchangeFilter(text=text.strip(), words=tuple(words), **values)
