"""Answer templates: defaults written on first use, edits on disk picked up, per-path overrides, broken files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hookdev.answers.templates import Template, TemplateBook, TemplateResponder, path_slug
from hookdev.errors import ResponseTemplateError
from hookdev.okta.defaults import default_answer
from tests.answers.calls import sample_call


def bump(file: Path) -> None:
    """Move the mtime forward so the change is seen even within the same clock tick."""
    st = file.stat()
    os.utime(file, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def book(tmp_path: Path, notices: list[tuple[str, str]] | None = None) -> TemplateBook:
    notify = (lambda level, message: notices.append((level, message))) if notices is not None else None
    return TemplateBook(tmp_path / "responses", notify=notify, check_interval=0)


@pytest.mark.parametrize(
    "kind", ["event", "registration", "token", "saml", "telephony", "password_import", "user_import", "unknown"]
)
async def test_the_first_call_writes_the_documented_default_to_an_editable_file(tmp_path: Path, kind: str) -> None:
    templates = book(tmp_path)
    template = templates.get(kind)  # type: ignore[arg-type]
    status, body = default_answer(kind)  # type: ignore[arg-type]
    assert (template.status, template.body) == (status, body)
    on_disk = json.loads((tmp_path / "responses" / f"{kind}.json").read_text())
    assert on_disk == {"status": status, "headers": {}, "body": body}


async def test_an_edit_on_disk_is_answered_on_the_next_call(tmp_path: Path) -> None:
    responder = TemplateResponder(book(tmp_path))
    call = sample_call("token")
    first = await responder.respond(call)
    assert first.status == 204 and first.body == b""
    file = tmp_path / "responses" / "token.json"
    file.write_text(json.dumps({"status": 200, "headers": {"X-Demo": "1"}, "body": {"commands": []}}))
    bump(file)
    second = await responder.respond(call)
    assert second.status == 200
    assert json.loads(second.body) == {"commands": []}
    assert ("X-Demo", "1") in second.headers
    assert ("Content-Type", "application/json") in second.headers
    assert second.source == "template"


async def test_within_the_check_interval_the_file_is_not_looked_at_again(tmp_path: Path) -> None:
    templates = TemplateBook(tmp_path / "responses", check_interval=3600)
    responder = TemplateResponder(templates)
    call = sample_call("token")
    await responder.respond(call)
    file = tmp_path / "responses" / "token.json"
    file.write_text(json.dumps({"status": 200, "body": {}}))
    bump(file)
    assert (await responder.respond(call)).status == 204


async def test_a_path_override_wins_over_the_kind(tmp_path: Path) -> None:
    templates = book(tmp_path)
    responder = TemplateResponder(templates)
    written = templates.save("token", Template(200, {"X-Path": "yes"}, {"commands": []}), path="/hooks/tokenHook")
    assert written == tmp_path / "responses" / "paths" / "hooks--tokenHook.json"
    on_path = await responder.respond(sample_call("token", path="/hooks/tokenHook"))
    elsewhere = await responder.respond(sample_call("token", path="/other"))
    assert (on_path.status, elsewhere.status) == (200, 204)
    assert templates.get("token", path="/hooks/tokenHook").headers == (("X-Path", "yes"),)
    assert templates.get("token", path="/other").status == 204


async def test_save_writes_atomically_and_is_answered_at_once(tmp_path: Path) -> None:
    templates = TemplateBook(tmp_path / "responses", check_interval=3600)
    responder = TemplateResponder(templates)
    call = sample_call("saml")
    assert (await responder.respond(call)).status == 204
    templates.save("saml", Template(200, (), {"commands": []}))
    assert (await responder.respond(call)).status == 200
    leftovers = [p.name for p in (tmp_path / "responses").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert json.loads((tmp_path / "responses" / "saml.json").read_text())["status"] == 200


async def test_a_broken_file_answers_500_naming_the_file_and_the_json_error(tmp_path: Path) -> None:
    notices: list[tuple[str, str]] = []
    templates = book(tmp_path, notices)
    responder = TemplateResponder(templates)
    file = tmp_path / "responses" / "registration.json"
    file.parent.mkdir(parents=True)
    file.write_text('{"status": 200, "body": {"commands": [}\n')
    call = sample_call("registration-ssr")
    answer = await responder.respond(call)
    assert answer.status == 500
    error = json.loads(answer.body)["error"]
    assert str(file) in error and "not valid JSON" in error and "line 1" in error
    assert answer.error == error
    await responder.respond(call)
    assert len(notices) == 1 and notices[0][0] == "error" and str(file) in notices[0][1]
    with pytest.raises(ResponseTemplateError, match="not valid JSON"):
        templates.get("registration")
    file.write_text('{"status": 200, "body": {"commands": []}}')
    bump(file)
    assert (await responder.respond(call)).status == 200


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ('[1, 2]', "must be a JSON object"),
        ('{"status": "200", "body": {}}', "status must be an HTTP status"),
        ('{"status": 200, "headers": {"X": 1}}', "headers must be an object of strings"),
        ('{"status": 200, "bdy": {}}', "unknown key 'bdy'"),
    ],
)
async def test_a_template_of_the_wrong_shape_says_what_to_fix(tmp_path: Path, content: str, complaint: str) -> None:
    responder = TemplateResponder(book(tmp_path))
    file = tmp_path / "responses" / "token.json"
    file.parent.mkdir(parents=True)
    file.write_text(content)
    answer = await responder.respond(sample_call("token"))
    assert answer.status == 500
    assert complaint in json.loads(answer.body)["error"]


async def test_a_bare_okta_answer_in_the_file_is_sent_with_200(tmp_path: Path) -> None:
    responder = TemplateResponder(book(tmp_path))
    pasted = {"commands": [{"type": "com.okta.action.update", "value": {"credential": "VERIFIED"}}]}
    file = tmp_path / "responses" / "password_import.json"
    file.parent.mkdir(parents=True)
    file.write_text(json.dumps(pasted))
    answer = await responder.respond(sample_call("password-import"))
    assert (answer.status, json.loads(answer.body)) == (200, pasted)


def test_path_slugs_stay_inside_the_paths_folder() -> None:
    assert path_slug("/registrationHook") == "registrationHook"
    assert path_slug("/") == "_root"
    assert "/" not in path_slug("/../../etc/passwd")
    assert path_slug("/a b/c") == "a_b--c"
