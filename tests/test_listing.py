"""`hookdev list` and `hookdev show`: text and JSON views of the store, filters, prefixes, masking."""

from __future__ import annotations

import json

import pytest

from hookdev.cli import main
from hookdev.models import AuthVerdict, Problem, ResponseSnapshot, Validation
from hookdev.receiver.store import Store
from tests.conftest import make_exchange


def fill(tmp_path):
    store = Store(tmp_path / "s.db")
    ok = make_exchange(id="aaaa00000001t")
    refused = make_exchange(id="bbbb00000002t", kind="registration", response=ResponseSnapshot(status=401),
                            auth=AuthVerdict(scheme="basic", ok=False, reason="bad_credentials",
                                             detail="wrong password for admin"))
    invalid = make_exchange(id="cccc00000003t", replay_of="aaaa00000001t",
                            validation=Validation(ok=False, problems=(Problem("$.commands[0].type", "not allowed",
                                                                              "the token is issued unmodified"),)))
    pw = make_exchange(id="dddd00000004t", kind="password_import",
                       body={"eventType": "com.okta.user.credential.password.import",
                             "data": {"context": {"credential": {"username": "a@example.com",
                                                                 "password": "hunter2-secret"}}}})
    for ex in (ok, refused, invalid, pw):
        store.add_now(ex)
    store.close()
    return str(tmp_path / "s.db")


def test_list_json_prints_the_exchange_objects_oldest_first(tmp_path, capsys):
    store = fill(tmp_path)
    assert main(["list", "--store", store, "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["id"] for e in lines] == ["aaaa00000001t", "bbbb00000002t", "cccc00000003t", "dddd00000004t"]
    assert lines[1]["auth"] == {"scheme": "basic", "ok": False, "reason": "bad_credentials",
                                "detail": "wrong password for admin"}
    assert lines[2]["replay_of"] == "aaaa00000001t"
    assert "event" not in lines[0]
    assert lines[0]["time"].endswith("Z")


def test_list_filters_and_last(tmp_path, capsys):
    store = fill(tmp_path)
    main(["list", "--store", store, "--rejected"])
    out = capsys.readouterr().out
    assert "bbbb00000002t" in out and "aaaa00000001t" not in out and "basic bad_credentials" in out
    main(["list", "--store", store, "--invalid"])
    assert "cccc00000003t" in capsys.readouterr().out
    main(["list", "--store", store, "--kind", "password_import", "--json"])
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ["dddd00000004t"]
    main(["list", "--store", store, "--last", "2", "--json"])
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ["cccc00000003t", "dddd00000004t"]
    main(["list", "--store", store, "--kind", "saml"])
    assert "no exchanges recorded matching the filter" in capsys.readouterr().out


def test_show_masks_secrets_unless_revealed(tmp_path, capsys):
    store = fill(tmp_path)
    assert main(["show", "dddd", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "hunter2-secret" not in out and "YWRtaW46c3VwZXJzZWNyZXQ=" not in out
    assert "Authorization: Basic" in out
    assert main(["show", "dddd", "--store", store, "--reveal"]) == 0
    out = capsys.readouterr().out
    assert "hunter2-secret" in out and "YWRtaW46c3VwZXJzZWNyZXQ=" in out


def test_show_json_has_request_response_and_verdicts(tmp_path, capsys):
    store = fill(tmp_path)
    assert main(["show", "cccc00000003t", "--store", store, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["validation"]["problems"][0]["consequence"] == "the token is issued unmodified"
    assert data["request"]["method"] == "POST" and data["response"]["status"] == 204
    assert ["Authorization", "Basic ••••••"] in data["request"]["headers"]


def test_show_unknown_id_and_missing_store_exit_1_with_a_hint(tmp_path, capsys):
    store = fill(tmp_path)
    assert main(["show", "zzzz9999", "--store", store]) == 1
    assert "hookdev list" in capsys.readouterr().err
    assert main(["list", "--store", str(tmp_path / "none.db")]) == 1
    assert "nothing recorded yet" in capsys.readouterr().err


def test_show_ambiguous_prefix_is_a_usage_error_naming_the_ids(tmp_path, capsys):
    s = Store(tmp_path / "s.db")
    s.add_now(make_exchange(id="eeee00000001t"))
    s.add_now(make_exchange(id="eeee00000002t"))
    s.close()
    assert main(["show", "eeee", "--store", str(tmp_path / "s.db")]) == 2
    err = capsys.readouterr().err
    assert "'eeee' matches more than one exchange" in err and "eeee00000001t, eeee00000002t" in err
    assert main(["show", "eeee00000002", "--store", str(tmp_path / "s.db")]) == 0


def test_list_text_has_a_header_row_over_aligned_columns(tmp_path, capsys):
    store = fill(tmp_path)
    assert main(["list", "--store", store]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["time", "id", "request", "kind", "auth", "status", "took", "answer"]
    assert len(rows) == 4
    for name in ("kind", "auth", "status"):
        assert all(row[header.index(name) - 1] == " " for row in rows), f"{name} column out of line"
    assert "password_import" in rows[3], "kinds are spelled as JSON spells them"


def test_list_json_has_no_header(tmp_path, capsys):
    store = fill(tmp_path)
    main(["list", "--store", store, "--json"])
    assert all(line.startswith("{") for line in capsys.readouterr().out.splitlines())


@pytest.mark.parametrize("spelling", ["password-import", "password_import", "pw-import"])
def test_list_kind_takes_either_spelling(tmp_path, capsys, spelling):
    store = fill(tmp_path)
    assert main(["list", "--store", store, "--kind", spelling, "--json"]) == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ["dddd00000004t"]


def test_list_kind_nonsense_is_a_usage_error(tmp_path, capsys):
    store = fill(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(["list", "--store", store, "--kind", "nonsense"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "'nonsense' is not a hook kind" in err and "password_import" in err


def test_show_with_a_too_short_prefix_says_so(tmp_path, capsys):
    store = fill(tmp_path)
    assert main(["show", "aaa", "--store", store]) == 2
    assert "too short" in capsys.readouterr().err
    assert main(["show", "aaaa", "--store", store]) == 0
    assert main(["show", "zzzz", "--store", store]) == 1
    assert "no exchange 'zzzz'" in capsys.readouterr().err
