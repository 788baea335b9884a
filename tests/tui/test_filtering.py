"""The inspector's filter words: parsed into a store query and a predicate that agree."""

from __future__ import annotations

import pytest

from hookdev.models import AuthVerdict, ResponseSnapshot, Validation
from hookdev.tui.filtering import parse_filter
from tests.conftest import make_exchange

TOKEN_OK = make_exchange(id="t0000000000ok")
EXPIRED = make_exchange(id="t000000expire", response=ResponseSnapshot(status=401),
                        auth=AuthVerdict(scheme="oauth", ok=False, reason="expired", detail="expired"))
REG_INVALID = make_exchange(id="r0000000inval", kind="registration", validation=Validation(ok=False),
                            body={"eventType": "com.okta.user.pre-registration", "who": "rosa.diaz@example.com"})
REPLAY = make_exchange(id="t0000000replay", replay_of="t0000000000ok")
PW = make_exchange(id="p000000000pw1", kind="password_import", response=ResponseSnapshot(status=500))
ALL = (TOKEN_OK, EXPIRED, REG_INVALID, REPLAY, PW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("token", {"t0000000000ok", "t000000expire", "t0000000replay"}),
        ("kind:registration", {"r0000000inval"}),
        ("pw-import", {"p000000000pw1"}),
        ("expired", {"t000000expire"}),
        ("rejected", {"t000000expire"}),
        ("401", {"t000000expire"}),
        ("5xx", {"p000000000pw1"}),
        ("invalid", {"r0000000inval"}),
        ("replay", {"t0000000replay"}),
        ("/tokenHook", {e.id for e in ALL}),
        ("/registrationHook", set()),
        ("rosa.diaz", {"r0000000inval"}),
        ("token 2xx", {"t0000000000ok", "t0000000replay"}),
        ("auth:ok token", {"t0000000000ok", "t0000000replay"}),
        ("nothing-matches-this", set()),
    ],
)
def test_filter_words_select_the_right_calls(text, expected):
    flt = parse_filter(text)
    assert flt.active
    assert {ex.id for ex in ALL if flt.matches(ex)} == expected


def test_the_store_query_never_excludes_a_match():
    # Older calls come from the store: its query must be at least as wide as the predicate.
    for text in ("token", "expired", "401", "invalid", "/tokenHook", "rosa.diaz", "kind:registration"):
        flt = parse_filter(text)
        query = flt.store_filter()
        for ex in ALL:
            if flt.matches(ex):
                assert query.kind in (None, ex.kind) and query.path in (None, ex.request.path)
                assert query.status in (None, ex.status) and query.auth_ok in (None, ex.auth.ok)


def test_empty_filter_is_inactive():
    assert not parse_filter("   ").active


def test_list_cells_are_plain_text_not_markup():
    from rich.text import Text

    from hookdev.models import RequestSnapshot
    from hookdev.tui.format import row_cells

    ex = make_exchange(request=RequestSnapshot(method="POST", path="/hooks/[bold]x[/bold]"))
    cells = row_cells(ex)
    assert all(isinstance(c, Text) for c in cells)
    assert "/hooks/[bold]x[/bold]" in [c.plain for c in cells], "a path is shown as sent, never read as markup"
