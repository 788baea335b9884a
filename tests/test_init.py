"""`hookdev init KIND`: the files it writes, and every scaffold answering its guide's sample calls correctly."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from hookdev.answers.handlers import HandlerResponder
from hookdev.answers.templates import TemplateBook
from hookdev.cli import main
from hookdev.cli.init import GUIDES, basic_secret
from hookdev.config import load_settings
from hookdev.models import Answer, ResponseSnapshot
from tests.answers.calls import make_call, sample

try:
    from hookdev.okta.validate import check_answer
except ImportError:  # the validation rules arrive separately; the scaffold answers are still checked below
    check_answer = None  # type: ignore[assignment]


def init(tmp_path: Path, kind: str, *extra: str) -> int:
    return main(["init", kind, "--dir", str(tmp_path), *extra])


async def answer_for(folder: Path, body: Any) -> Answer:
    """Load the scaffolded hooks.py through the real handler machinery and answer one call."""
    r = HandlerResponder(folder / "hooks.py", TemplateBook(folder / ".hookdev" / "responses"), check_interval=0)
    try:
        answer = await r.respond(make_call(body))
    finally:
        await r.close()
    assert answer.source == "handler", answer  # the scaffold's own function answered, not a template
    assert answer.error is None, answer.log
    if check_answer is not None:
        kind = make_call(body).kind
        response = ResponseSnapshot(answer.status, answer.headers, answer.body)
        problems = check_answer(kind, response, body)
        assert problems == (), [str(p) for p in problems]
    return answer


def commands(answer: Answer) -> list[dict[str, Any]]:
    assert answer.status == 200
    return json.loads(answer.body)["commands"]


def with_value(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    *parents, last = dotted.split(".")
    target = changed
    for part in parents:
        target = target[part]
    target[last] = value
    return changed


def test_init_writes_config_env_and_hooks_and_says_what_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init(tmp_path, "registration") == 0
    out = capsys.readouterr().out
    for name in ("hookdev.toml", ".env", "hooks.py"):
        assert f"created {tmp_path / name}" in out
    assert "hookdev serve" in out
    assert "hookdev send registration-ssr --to http://127.0.0.1:8080/registrationHook" in out
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.responses.handler == "hooks.py"
    assert settings.path(settings.responses.handler) == tmp_path / "hooks.py"
    assert (settings.auth.mode, settings.auth.username) == ("basic", "admin")
    assert settings.auth.password != "supersecret" and len(settings.auth.password) == 24  # random, not the guide's
    assert basic_secret(settings.auth.password) in out  # what to paste into Okta's Authentication secret
    assert "USER=admin" in (tmp_path / ".env").read_text()
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600, ".env holds the password: private"


def test_init_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "hooks.py").write_text("# mine\n")
    assert init(tmp_path, "token") == 1
    err = capsys.readouterr().err
    assert "hooks.py" in err and "--force" in err
    assert (tmp_path / "hooks.py").read_text() == "# mine\n"
    assert not (tmp_path / "hookdev.toml").exists()
    assert init(tmp_path, "token", "--force") == 0
    assert "def token(request: HookRequest)" in (tmp_path / "hooks.py").read_text()
    assert "(overwritten)" in capsys.readouterr().out


def test_init_creates_a_missing_folder_and_refuses_unknown_kinds(tmp_path: Path) -> None:
    assert init(tmp_path / "new" / "project", "event") == 0
    assert (tmp_path / "new" / "project" / "hooks.py").exists()
    with pytest.raises(SystemExit) as exited:
        init(tmp_path, "tokens")
    assert exited.value.code == 2


def test_init_keeps_credentials_and_captures_out_of_git(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init(tmp_path, "token") == 0
    assert (tmp_path / ".gitignore").read_text().splitlines()[-2:] == [".env", ".hookdev/"]
    assert ".gitignore" in capsys.readouterr().out


def test_init_adds_only_what_an_existing_gitignore_lacks(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n.env")  # no newline at the end
    assert init(tmp_path, "token") == 0
    lines = (tmp_path / ".gitignore").read_text().splitlines()
    assert lines[:2] == ["node_modules/", ".env"] and lines[-1] == ".hookdev/" and lines.count(".env") == 1
    before = (tmp_path / ".gitignore").read_text()
    assert init(tmp_path, "token", "--force") == 0
    assert (tmp_path / ".gitignore").read_text() == before, "a second init adds nothing"


def test_init_reads_rooted_and_slashless_gitignore_entries_as_present(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".gitignore").write_text("/.env\n/.hookdev\n")
    assert init(tmp_path, "saml") == 0
    assert (tmp_path / ".gitignore").read_text() == "/.env\n/.hookdev\n"
    assert ".gitignore" not in capsys.readouterr().out, "nothing to add, nothing said"
    (tmp_path / ".gitignore").write_text("/.env\n")
    assert init(tmp_path, "saml", "--force") == 0
    assert (tmp_path / ".gitignore").read_text().splitlines() == [
        "/.env", "", "# hookdev: credentials and captured calls", ".hookdev/"]
    assert f"added .hookdev/ to {tmp_path / '.gitignore'}" in capsys.readouterr().out


def test_init_creates_a_missing_gitignore_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert init(tmp_path, "event") == 0
    assert (tmp_path / ".gitignore").read_text().splitlines() == [
        "# hookdev: credentials and captured calls", ".env", ".hookdev/"]
    assert f"created {tmp_path / '.gitignore'} with .env and .hookdev/" in capsys.readouterr().out


@pytest.mark.parametrize("spelling", ["password_import", "password-import", "Password-Import"])
def test_init_takes_either_spelling_of_a_kind(tmp_path: Path, spelling: str) -> None:
    assert init(tmp_path, spelling) == 0
    assert "def password_import(" in (tmp_path / "hooks.py").read_text()


def test_every_guide_has_its_scaffold(tmp_path: Path) -> None:
    assert set(GUIDES) == {
        "registration", "progressive", "token", "saml", "telephony", "password-import", "user-import", "event"
    }
    for kind in GUIDES:
        assert init(tmp_path / kind, kind) == 0
        assert 'handler = "hooks.py"' in (tmp_path / kind / "hookdev.toml").read_text()


async def test_registration_allows_example_com_and_denies_others_on_the_email(tmp_path: Path) -> None:
    init(tmp_path, "registration")
    for name in ("registration-ssr", "registration-classic", "registration-progressive"):
        allowed = commands(await answer_for(tmp_path, sample(name)))
        assert allowed == [{"type": "com.okta.action.update", "value": {"registration": "ALLOW"}}]
    outsider = with_value(sample("registration-ssr"), "data.userProfile.email", "omar@elsewhere.test")
    denied = await answer_for(tmp_path, outsider)
    payload = json.loads(denied.body)
    assert payload["commands"][0]["value"] == {"registration": "DENY"}
    assert payload["error"]["errorCauses"][0]["location"] == "data.userProfile.email"
    assert "denying omar@elsewhere.test" in denied.log


async def test_progressive_profile_checks_the_employee_number(tmp_path: Path) -> None:
    init(tmp_path, "progressive")
    accepted = commands(await answer_for(tmp_path, sample("registration-progressive")))
    assert accepted == [{"type": "com.okta.user.progressive.profile.update", "value": {"employeeNumber": "7302"}}]
    wrong = with_value(sample("registration-progressive"), "data.userProfileUpdate.employeeNumber", "12")
    refused = json.loads((await answer_for(tmp_path, wrong)).body)
    assert refused["error"]["errorCauses"][0]["location"] == "data.userProfileUpdate.employeeNumber"
    new_user = commands(await answer_for(tmp_path, sample("registration-ssr")))
    assert new_user[0]["value"] == {"registration": "ALLOW"}


async def test_token_adds_a_claim_to_the_requested_tokens(tmp_path: Path) -> None:
    init(tmp_path, "token")
    patched = commands(await answer_for(tmp_path, sample("token")))
    assert [c["type"] for c in patched] == ["com.okta.identity.patch", "com.okta.access.patch"]
    assert patched[0]["value"] == [{"op": "add", "path": "/claims/extPatientId", "value": "1234"}]
    refreshed = await answer_for(tmp_path, sample("token-refresh"))
    assert refreshed.status in (200, 204)
    service = await answer_for(tmp_path, sample("token-access-only"))
    assert (service.status, service.body) == (204, b"")


async def test_saml_adds_an_attribute(tmp_path: Path) -> None:
    init(tmp_path, "saml")
    patch = commands(await answer_for(tmp_path, sample("saml")))[0]
    assert patch["type"] == "com.okta.assertion.patch"
    assert patch["value"][0]["path"] == "/claims/extPatientId"
    assert patch["value"][0]["value"]["attributeValues"][0]["value"] == "1234"


@pytest.mark.parametrize(("name", "code"), [("telephony-sms", "615204"), ("telephony-voice", "294871")])
async def test_telephony_sends_by_printing_and_reports_success(tmp_path: Path, name: str, code: str) -> None:
    init(tmp_path, "telephony")
    answer = await answer_for(tmp_path, sample(name))
    action = commands(answer)[0]
    assert action["type"] == "com.okta.telephony.action"
    assert action["value"][0]["status"] == "SUCCESSFUL"
    assert code in answer.log


async def test_password_import_verifies_known_passwords_only(tmp_path: Path) -> None:
    init(tmp_path, "password-import")
    verified = commands(await answer_for(tmp_path, sample("password-import")))
    assert verified == [{"type": "com.okta.action.update", "value": {"credential": "VERIFIED"}}]
    wrong = with_value(sample("password-import"), "data.context.credential.password", "guess")
    answer = await answer_for(tmp_path, wrong)
    assert (answer.status, answer.body) == (204, b"")
    assert "guess" not in answer.log and "Tr0ub4dor" not in answer.log


async def test_user_import_links_matches_and_creates_the_rest(tmp_path: Path) -> None:
    init(tmp_path, "user-import")
    linked = commands(await answer_for(tmp_path, sample("user-import-match")))
    assert linked == [
        {"type": "com.okta.action.update", "value": {"result": "LINK_USER"}},
        {"type": "com.okta.user.update", "value": {"id": "00uSofiaBerg5Kt8Wn1d7"}},
    ]
    created = commands(await answer_for(tmp_path, sample("user-import")))
    assert created[0] == {"type": "com.okta.action.update", "value": {"result": "CREATE_USER"}}


async def test_event_hook_logs_the_deactivated_user(tmp_path: Path) -> None:
    init(tmp_path, "event")
    answer = await answer_for(tmp_path, sample("event"))
    assert (answer.status, answer.body) == (204, b"")
    assert answer.log.startswith("deactivated: marcus.lee@example.com")
    batch = await answer_for(tmp_path, sample("event-batch"))
    assert batch.status == 204 and batch.log == ""


@pytest.mark.parametrize(("guide", "kinds", "events"), [
    ("token", ("token",), ()),
    ("progressive", ("registration",), ()),
    ("password-import", ("password_import",), ()),
    ("event", ("event",), ("user.lifecycle.deactivate",)),
])
def test_init_names_the_org_and_the_hook_okta_connect_registers(
    tmp_path: Path, guide: str, kinds: tuple[str, ...], events: tuple[str, ...]
) -> None:
    from hookdev.okta_api.connect import kinds_in_use

    assert init(tmp_path, guide, "--org", "https://dev-123456.okta.com/") == 0
    settings = load_settings(tmp_path / "hookdev.toml", environ={})
    assert settings.okta.org_url == "https://dev-123456.okta.com"
    assert (settings.okta.kinds, settings.okta.events) == (kinds, events)
    assert kinds_in_use(settings, None, {}) == list(kinds)


def test_init_without_org_leaves_a_placeholder_that_okta_commands_explain(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert init(tmp_path, "saml") == 0
    assert "--okta" not in capsys.readouterr().out
    assert main(["okta", "status", "--config", str(tmp_path / "hookdev.toml")]) == 2
    assert "placeholder" in capsys.readouterr().err
    assert init(tmp_path / "other", "saml", "--org", "http://dev-1.okta.com") == 2
    assert not (tmp_path / "other" / "hookdev.toml").exists()
