"""`hookdev validate`: exit codes, one problem per line, --request, --status and --json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hookdev.cli import main

PROGRESSIVE_REQUEST = {
    "eventType": "com.okta.user.pre-registration",
    "requestType": "progressive.profile",
    "data": {"context": {}, "action": "ALLOW", "userProfileUpdate": {"employeeNumber": "4821"}},
}
SSR_UPDATE = {"commands": [{"type": "com.okta.user.profile.update", "value": {"customerId": "C-1"}}]}


def write(tmp_path: Path, name: str, content: Any) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return str(path)


def test_valid_answer_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = write(
        tmp_path,
        "a.json",
        {"commands": [{"type": "com.okta.action.update", "value": {"credential": "VERIFIED"}}]},
    )
    assert main(["validate", answer, "--kind", "password_import"]) == 0
    assert capsys.readouterr().out.strip() == "valid: Okta accepts this password_import answer"


def test_invalid_answer_exits_1_with_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = {
        "commands": [
            {
                "type": "com.okta.identity.patch",
                "value": [
                    {"op": "add", "path": "/claims/iss", "value": "x"},
                    {"op": "replace", "path": "/token/lifetime/expiration", "value": 60},
                ],
            }
        ]
    }
    assert main(["validate", write(tmp_path, "a.json", body), "--kind", "token"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("$.commands[0].value[0].path: ") and "reserved claim" in lines[0]
    assert lines[1].startswith("$.commands[0].value[1].value: ") and "issued unmodified" in lines[1]


def test_non_json_file_is_invalid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", write(tmp_path, "a.json", b"<html>ok</html>"), "--kind", "saml"]) == 1
    assert "not JSON" in capsys.readouterr().out


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.json"), "--kind", "token"]) == 2
    captured = capsys.readouterr()
    assert "nope.json does not exist" in captured.err and captured.out == ""


def test_missing_request_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = write(tmp_path, "a.json", SSR_UPDATE)
    assert main(["validate", answer, "--kind", "registration", "--request", str(tmp_path / "r.json")]) == 2
    assert "request file" in capsys.readouterr().err


def test_request_of_another_kind_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = write(tmp_path, "a.json", SSR_UPDATE)
    request = write(tmp_path, "r.json", {"eventType": "com.okta.oauth2.tokens.transform", "data": {}})
    assert main(["validate", answer, "--kind", "registration", "--request", request]) == 2
    assert "--kind token" in capsys.readouterr().err


def test_request_makes_flow_rules_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = write(tmp_path, "a.json", SSR_UPDATE)
    assert main(["validate", answer, "--kind", "registration"]) == 0
    capsys.readouterr()
    request = write(tmp_path, "r.json", PROGRESSIVE_REQUEST)
    assert main(["validate", answer, "--kind", "registration", "--request", request]) == 1
    out = capsys.readouterr().out
    assert "$.commands[0].type" in out and "denies the profile update" in out


def test_status_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = write(tmp_path, "empty.txt", b"")
    assert main(["validate", empty, "--kind", "token", "--status", "204"]) == 0
    assert main(["validate", empty, "--kind", "telephony", "--status", "204"]) == 1
    assert "status: telephony hooks have no 204" in capsys.readouterr().out


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = write(tmp_path, "a.json", {"error": [{"errorSummary": "x"}]})
    assert main(["validate", answer, "--kind", "telephony", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["kind"] == "telephony"
    assert out["problems"][0]["path"] == "$.error"
    assert "own provider" in out["problems"][0]["consequence"]


def test_kind_must_be_an_inline_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = write(tmp_path, "a.json", {})
    with pytest.raises(SystemExit) as exc:
        main(["validate", answer, "--kind", "event"])
    assert exc.value.code == 2
    assert "'event' is not an inline hook kind; use one of registration, token" in capsys.readouterr().err


@pytest.mark.parametrize("spelling", ["password-import", "password_import", "PASSWORD-IMPORT"])
def test_kind_takes_either_spelling_and_reports_the_canonical_one(
    spelling: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = write(tmp_path, "a.json", {"commands": [{"type": "com.okta.action.update",
                                                      "value": {"credential": "VERIFIED"}}]})
    assert main(["validate", answer, "--kind", spelling, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "password_import"


def test_an_unknown_kind_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = write(tmp_path, "a.json", {})
    with pytest.raises(SystemExit) as exc:
        main(["validate", answer, "--kind", "tokens"])
    assert exc.value.code == 2
    assert "'tokens' is not an inline hook kind" in capsys.readouterr().err


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    assert "hookdev validate answer.json --kind token" in capsys.readouterr().out
