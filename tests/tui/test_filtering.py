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
def test_filter_words_select_the_right_calls(store, text, expected):
    # As the inspector filters: the store's query (words through its text index), then the predicate on the rows.
    flt = parse_filter(text)
    assert flt.active
    found = {ex.id for _, ex in store.summaries(flt.store_filter(), limit=100) if flt.matches(ex)}
    assert found == expected


@pytest.fixture
def store(tmp_path):
    from hookdev.receiver.store import Store

    s = Store(tmp_path / "store.db")
    s.add_many(ALL)
    yield s
    s.close()


def test_empty_filter_is_inactive():
    assert not parse_filter("   ").active


def test_list_cells_are_the_path_as_sent_never_markup():
    from hookdev.models import RequestSnapshot
    from hookdev.tui.rows import cells, layout

    ex = make_exchange(request=RequestSnapshot(method="POST", path="/hooks/[bold]x[/bold]"))
    texts = [text.strip() for text, _ in cells(ex, layout(140))]
    assert "/hooks/[bold]x[/bold]" in texts, "a path is shown as sent, never read as markup"
