"""What the command line says to someone who typed it wrong: usage errors exit 2 and say what works, a missing
exchange exits 1, and kinds, ids and URLs are read the same way by every command."""

from __future__ import annotations

import pytest

from hookdev.cli import main
from hookdev.receiver.store import Store
from tests.conftest import make_exchange


@pytest.fixture
def store(tmp_path):
    """Two exchanges whose ids share their first 8 characters, and one more."""
    s = Store(tmp_path / "s.db")
    for ident in ("eeee00000001t", "eeee00000002t", "ffff00000003t"):
        s.add_now(make_exchange(id=ident))
    s.close()
    return str(tmp_path / "s.db")


@pytest.mark.parametrize("argv", [
    ["show"], ["replay", "--to", "http://127.0.0.1:9"], ["export", "--format", "curl"],
])
def test_an_id_prefix_under_4_characters_is_a_usage_error(argv, store, capsys):
    assert main([*argv, "eee", "--store", store]) == 2
    assert "'eee' is too short to pick one exchange: give at least 4 characters" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["show"], ["replay", "--to", "http://127.0.0.1:9"], ["export", "--format", "curl"],
    ["send", "--to", "http://127.0.0.1:9"],
])
def test_a_prefix_of_several_ids_is_a_usage_error_naming_them(argv, store, capsys):
    assert main([*argv, "eeee0000", "--store", store]) == 2
    err = capsys.readouterr().err
    assert "'eeee0000' matches more than one exchange (eeee00000001t, eeee00000002t); give more characters" in err


@pytest.mark.parametrize("argv", [["show"], ["replay", "--to", "http://127.0.0.1:9"], ["export", "--format", "curl"]])
def test_an_id_the_store_does_not_hold_exits_1(argv, store, capsys):
    assert main([*argv, "zzzz", "--store", store]) == 1
    err = capsys.readouterr().err
    assert "no exchange 'zzzz'" in err and "`hookdev list`" in err


def test_a_unique_prefix_works_everywhere(store, capsys):
    assert main(["show", "ffff", "--store", store]) == 0
    assert main(["export", "ffff", "eeee00000002", "--format", "curl", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "ffff00000003t" in out and out.count("curl ") == 2


@pytest.mark.parametrize("to", ["127.0.0.1:8080", "localhost:8080/tokenHook", "ftp://127.0.0.1"])
def test_export_refuses_a_to_that_is_not_an_http_url(to, store, capsys):
    assert main(["export", "--format", "curl", "--to", to, "--store", store]) == 2
    err = capsys.readouterr().err
    assert "--to must be an http:// or https:// URL" in err
    if "://" not in to:
        assert f"did you mean http://{to}?" in err


def test_replay_refuses_a_to_without_a_scheme_before_anything_else(store, capsys):
    assert main(["replay", "eeee00000001t", "--to", "127.0.0.1:8080", "--store", store]) == 2
    assert "did you mean http://127.0.0.1:8080?" in capsys.readouterr().err


def test_send_says_what_is_missing(tmp_path, capsys):
    assert main(["send", "--to", "http://127.0.0.1:9", "--store", str(tmp_path / "s.db")]) == 2
    assert "hookdev send: PAYLOAD is missing: give a file, a sample name" in capsys.readouterr().err
    assert main(["send", "token", "--to", "http://127.0.0.1:9", "--timeout", "0"]) == 2
    assert "hookdev send: --timeout must be more than 0 seconds" in capsys.readouterr().err
    assert main(["send", "token", "--verify-event-hook", "--to", "http://127.0.0.1:9"]) == 2
    assert "--verify-event-hook takes no PAYLOAD" in capsys.readouterr().err


@pytest.mark.parametrize("typed", ["nonsense", "event_verifications", "pw"])
def test_okta_preview_refuses_what_is_not_an_inline_kind_before_calling_okta(typed, tmp_path, capsys,
                                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)  # no [okta] settings here: the kind is refused before they are needed
    assert main(["okta", "preview", typed]) == 2
    err = capsys.readouterr().err
    assert f"'{typed}' is not an inline hook kind; use one of registration, token" in err
    assert "password_import" in err


def test_okta_preview_says_event_hooks_are_verified_instead(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["okta", "preview", "Event"]) == 2
    assert "Okta's execute API runs inline hooks only" in capsys.readouterr().err


@pytest.mark.parametrize("typed", ["pw-import", "PASSWORD-IMPORT", "password_import", "user-import"])
def test_okta_preview_takes_every_spelling_of_a_kind(typed, tmp_path, capsys, monkeypatch):
    # The kind is read, then the missing org stops it: exit 2 naming the setting, not the kind.
    monkeypatch.chdir(tmp_path)
    assert main(["okta", "preview", typed]) == 2
    err = capsys.readouterr().err
    assert "okta.org_url" in err and "inline hook kind" not in err


def test_okta_connect_kinds_take_aliases_and_refuse_nonsense():
    from hookdev.errors import ConfigError
    from hookdev.okta_api.connect import parse_kinds

    assert parse_kinds("pw-import, Token,user-import,token", "--kinds") == ["password_import", "token", "user_import"]
    with pytest.raises(ConfigError, match="'tokens' is not a hook kind; use registration, token"):
        parse_kinds("token,tokens", "--kinds")


@pytest.mark.parametrize("typed", ["verify", "verification", "event-verification", "EVENT_VERIFICATION"])
def test_list_kind_takes_the_aliases_of_the_verification_kind(typed, tmp_path, capsys):
    s = Store(tmp_path / "s.db")
    s.add_now(make_exchange(id="gggg00000001t", kind="event_verification"))
    s.add_now(make_exchange(id="hhhh00000002t"))
    s.close()
    assert main(["list", "--kind", typed, "--store", str(tmp_path / "s.db")]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [row.split()[1] for row in rows] == ["gggg00000001t"]
    assert "event_verification" in rows[0], "printed as JSON spells it, whatever was typed"
