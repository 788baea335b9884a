"""`hookdev okta …` as a user runs it, against the org double: JSON lines, exit codes, and no secret printed."""

from __future__ import annotations

from pathlib import Path

from hookdev.receiver.session import Session
from tests.okta_api.cli import hookdev, write_config
from tests.okta_api.conftest import PASSWORD
from tests.okta_double import Hook, Org
from tests.okta_double.org import inline_channel
from tests.test_cli_startup import imported_by


async def test_connect_preview_logs_status_disconnect_from_the_command_line(tmp_path: Path, org: Org,
                                                                          receiver: Session) -> None:
    write_config(tmp_path, org.base, PASSWORD)
    runs = []

    connected = await hookdev(tmp_path, "okta", "connect", "--url", receiver.local_url, "--kinds", "token",
                              "--json", token=org.token)
    runs.append(connected)
    assert connected.rc == 0, connected.err
    [change] = connected.lines()
    assert {"action", "id", "kind", "uri", "status", "verified"} <= set(change)
    assert (change["action"], change["kind"], change["status"], change["verified"]) == (
        "created", "token", "ACTIVE", None)
    assert change["uri"] == receiver.local_url + "/tokenHook"

    status = await hookdev(tmp_path, "okta", "status", "--json", token=org.token)
    runs.append(status)
    [hook] = status.lines()
    assert hook == {"type": "inline", "id": change["id"], "name": "hookdev token", "kind": "token",
                    "status": "ACTIVE", "uri": change["uri"], "points_here": True}

    previewed = await hookdev(tmp_path, "okta", "preview", "token", "--json", token=org.token)
    runs.append(previewed)
    assert previewed.rc == 0, previewed.err
    [result] = previewed.lines()
    [exchange] = receiver.store.list()
    assert (result["ok"], result["okta_status"], result["hook_id"], result["exchange_id"]) == (
        True, 204, change["id"], exchange.id)

    logs = await hookdev(tmp_path, "okta", "logs", "--since", "5m", "--json", token=org.token)
    runs.append(logs)
    events = logs.lines()
    assert [e["eventType"] for e in events] == ["inline_hook.created", "inline_hook.executed"]
    assert "exchange_id" not in events[0] and events[1]["exchange_id"] == exchange.id
    assert events[1]["uuid"] == org.log[-1]["uuid"]  # as Okta returned it, plus the match

    text = await hookdev(tmp_path, "okta", "logs", "--since", "5m", token=org.token)
    runs.append(text)
    assert f"exchange {exchange.id}" in text.out and "1 matched" in text.out

    gone = await hookdev(tmp_path, "okta", "disconnect", "--json", token=org.token)
    runs.append(gone)
    assert [c["action"] for c in gone.lines()] == ["deactivated"] and org.hooks[change["id"]].status == "INACTIVE"
    again = await hookdev(tmp_path, "okta", "disconnect", token=org.token)
    assert again.rc == 0 and "nothing to disconnect" in again.out

    for run in runs:
        assert org.token not in run.out + run.err and PASSWORD not in run.out + run.err


def test_the_okta_command_starts_without_aiohttp() -> None:
    out, modules = imported_by("okta", "connect", "--help")
    assert "--adopt" in out and not modules & {"aiohttp", "jwt", "cryptography", "textual"}


async def test_connect_without_a_public_url_is_refused_with_exit_2(tmp_path: Path, org: Org) -> None:
    write_config(tmp_path, org.base, PASSWORD)
    run = await hookdev(tmp_path, "okta", "connect", "--kinds", "token", token=org.token)
    assert run.rc == 2 and "--tunnel" in run.err and org.requests == []


async def test_okta_s_refusal_is_exit_1_with_its_error_object(tmp_path: Path, org: Org) -> None:
    write_config(tmp_path, org.base, PASSWORD)
    wrong = "00" + "w" * 40
    run = await hookdev(tmp_path, "okta", "status", token=wrong)
    assert run.rc == 1
    assert "HTTP 401 E0000011: Invalid token provided" in run.err and "OKTA_API_TOKEN" in run.err
    assert wrong not in run.err + run.out


async def test_okta_s_error_object_is_printed_whole_with_what_to_do(tmp_path: Path, org: Org) -> None:
    # createPasswordImportInlineHook: "You can create only one password import inline hook per org."
    theirs = Hook("inline", "calTHEIRS000000000", "Legacy import", "com.okta.user.credential.password.import",
                  inline_channel({"type": "HTTP", "version": "1.0.0", "config": {"uri": "https://legacy.example/p"}}))
    org.hooks[theirs.id] = theirs
    write_config(tmp_path, org.base, PASSWORD)
    run = await hookdev(tmp_path, "okta", "connect", "--url", "https://abc.ngrok.app", "--kinds", "password_import",
                        token=org.token)
    assert run.rc == 1 and run.out == ""
    # errorCode, errorSummary, errorCauses, then what to do.
    assert ("Okta answered POST /api/v1/inlineHooks with HTTP 400 E0000001: Api validation failed: inlineHook "
            "(Only one password import inline hook is allowed per org.) — the org has as many hooks of this kind "
            "as Okta allows") in run.err
    assert "`hookdev okta connect --adopt`" in run.err and org.token not in run.err
    assert theirs.uri == "https://legacy.example/p"


async def test_oauth_mode_never_prints_the_client_secret_okta_is_given(tmp_path: Path, org: Org) -> None:
    secret = "cs-" + "q" * 30
    (tmp_path / "hookdev.toml").write_text(
        f'[auth]\nmode = "oauth"\n\n[[authserver.clients]]\nclient_id = "okta-hooks"\nclient_secret = "{secret}"\n'
        f'\n[okta]\norg_url = "{org.base}"\nkinds = ["saml"]\n')
    runs = [await hookdev(tmp_path, "okta", "connect", "--url", "https://abc.ngrok.app", *flags, token=org.token)
            for flags in ((), ("--json",))]
    runs += [await hookdev(tmp_path, "okta", command, *flags, token=org.token)
             for command in ("status", "disconnect") for flags in ((), ("--json",))]
    assert [r.rc for r in runs] == [0] * 6
    [hook] = org.hooks.values()
    assert hook.channel["config"]["clientSecret"] == secret  # Okta got it...
    shown = "".join(r.out + r.err for r in runs) + (tmp_path / ".hookdev" / "hookdev.db.okta.json").read_text()
    assert secret not in shown and org.token not in shown  # ...and nothing printed or kept shows it
    assert "https://abc.ngrok.app/samlHook" in runs[0].out


async def test_missing_settings_are_exit_2_saying_what_to_set(tmp_path: Path) -> None:
    run = await hookdev(tmp_path, "okta", "status")
    assert run.rc == 2 and "okta.org_url" in run.err
    (tmp_path / "hookdev.toml").write_text('[okta]\norg_url = "https://dev-1.okta.com"\n')
    run = await hookdev(tmp_path, "okta", "status")
    assert run.rc == 2 and "OKTA_API_TOKEN" in run.err
    run = await hookdev(tmp_path, "okta", "preview", "event")
    assert run.rc == 2 and "inline hooks only" in run.err


async def test_the_api_token_can_come_from_dot_env(tmp_path: Path, org: Org) -> None:
    write_config(tmp_path, org.base, PASSWORD)
    (tmp_path / ".env").write_text(f"OKTA_API_TOKEN={org.token}\n")
    run = await hookdev(tmp_path, "okta", "status")
    assert run.rc == 0, run.err
    assert "0 hooks in" in run.out and {scheme for *_, scheme in org.requests} == {"SSWS"}
