"""curl lines and payload files from recorded exchanges, and the export/import commands."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from hookdev.cli import main
from hookdev.io.export import from_har, to_curl, to_har, to_payload
from hookdev.io.redact import MASK
from hookdev.models import RequestSnapshot
from hookdev.receiver.store import Store
from hookdev.send.payloads import from_json
from tests.conftest import make_exchange


def test_curl_line_makes_the_same_call_with_secrets_masked() -> None:
    ex = make_exchange()
    line = to_curl(ex, redact=True, secret_header=None, base_url="http://127.0.0.1:8080")
    argv = shlex.split(line)
    assert argv[:4] == ["curl", "-X", "POST", "http://127.0.0.1:8080/tokenHook"]
    headers = [argv[i + 1] for i, a in enumerate(argv) if a == "-H"]
    assert "Content-Type: application/json" in headers
    assert any(h.startswith("Authorization: Basic") and MASK in h for h in headers)
    assert json.loads(argv[argv.index("--data-raw") + 1]) == json.loads(ex.request.body)
    assert "YWRtaW46c3VwZXJzZWNyZXQ=" in to_curl(ex, redact=False, secret_header=None, base_url="http://h")


def test_payload_of_a_post_is_its_body_and_of_a_get_a_request_description() -> None:
    ex = make_exchange()
    assert to_payload(ex, redact=True) == json.loads(ex.request.body)
    get = make_exchange(kind="event_verification", request=RequestSnapshot(
        "GET", "/v", headers=(("X-Okta-Verification-Challenge", "abc"), ("Authorization", "Basic x"))))
    desc = to_payload(get, redact=True)
    assert desc == {"method": "GET", "headers": {"X-Okta-Verification-Challenge": "abc"}}
    assert from_json(desc, "file").kind == "event_verification"


def test_payload_masks_the_imported_password_unless_unredacted() -> None:
    body = {"eventType": "com.okta.user.credential.password.import", "data": {"credential": {"password": "hunter2"}}}
    ex = make_exchange(body=body, kind="password_import")
    assert to_payload(ex, redact=True)["data"]["credential"]["password"] == MASK
    assert to_payload(ex, redact=False)["data"]["credential"]["password"] == "hunter2"


def test_from_har_returns_the_exchanges() -> None:
    ex = make_exchange()
    (back,) = from_har(to_har([ex], redact=True, secret_header=None))
    assert back.request.body == ex.request.body and back.kind == "token"


@pytest.fixture
def store_with_two(tmp_path: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "s.db"
    store = Store(path)
    exs = [
        make_exchange(), make_exchange(body={"eventType": "com.okta.saml.tokens.transform", "data": {}}, kind="saml")
    ]
    for ex in exs:
        store.add_now(ex)
    store.close()
    return path, [ex.id for ex in exs]


def test_export_har_to_a_file_then_import_it(store_with_two: tuple[Path, list[str]], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path, ids = store_with_two
    har = tmp_path / "out.har"
    assert main(["export", "--format", "har", "--store", str(path), "-o", str(har)]) == 0
    doc = json.loads(har.read_text())
    assert [e["_hookdev"]["id"] for e in doc["log"]["entries"]] == ids
    assert "YWRtaW46c3VwZXJzZWNyZXQ=" not in har.read_text()
    other = tmp_path / "other.db"
    assert main(["import", str(har), "--store", str(other)]) == 0
    assert "imported 2 exchanges" in capsys.readouterr().out
    store = Store(other)
    try:
        assert [e.kind for e in store.list()] == ["token", "saml"]
    finally:
        store.close()


def test_export_selected_ids_as_curl_and_unredacted(store_with_two: tuple[Path, list[str]],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path, ids = store_with_two
    assert main(["export", ids[1], "--format", "curl", "--store", str(path), "--unredacted"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "com.okta.saml.tokens.transform" in out[0] and "YWRtaW46c3VwZXJzZWNyZXQ=" in out[0]


def test_export_payload_files_into_a_folder(store_with_two: tuple[Path, list[str]], tmp_path: Path) -> None:
    path, ids = store_with_two
    folder = tmp_path / "payloads"
    folder.mkdir()
    assert main(["export", "--format", "payload", "--store", str(path), "-o", str(folder)]) == 0
    files = sorted(folder.iterdir())
    assert len(files) == 2 and files[0].name.startswith(ids[0])
    assert json.loads(files[1].read_text())["eventType"] == "com.okta.saml.tokens.transform"


def test_export_of_an_unknown_id_fails(
    store_with_two: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = store_with_two
    assert main(["export", "zzzzzzzz", "--format", "har", "--store", str(path)]) == 1
    assert "no exchange" in capsys.readouterr().err


def test_import_of_a_file_that_is_not_har_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.har"
    bad.write_text('{"not": "har"}')
    assert main(["import", str(bad), "--store", str(tmp_path / "s.db")]) == 1
    assert "not a HAR file" in capsys.readouterr().err
