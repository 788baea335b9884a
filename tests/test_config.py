"""Settings: file < environment < flags, the Glitch .env layout, and bad config naming the key."""

from __future__ import annotations

import pytest

from hookdev.cli import main
from hookdev.config import load_settings
from hookdev.errors import ConfigError


def write(tmp_path, text: str) -> None:
    (tmp_path / "hookdev.toml").write_text(text)


def test_defaults_match_okta_guides(tmp_path):
    s = load_settings(cwd=tmp_path, environ={})
    assert (s.server.host, s.server.port, s.server.store) == ("127.0.0.1", 8080, ".hookdev/hookdev.db")
    assert (s.auth.mode, s.auth.username, s.auth.password, s.auth.enforce) == ("basic", "admin", "supersecret", True)
    assert s.server.max_body == 1024 * 1024
    assert s.path(s.server.store) == tmp_path / ".hookdev/hookdev.db"


def test_precedence_file_then_env_then_flags(tmp_path):
    write(tmp_path, '[server]\nport = 9000\nhost = "127.0.0.2"\n[auth]\nmode = "header"\nsecret = "s1"\n')
    s = load_settings(cwd=tmp_path, environ={"HOOKDEV_SERVER_PORT": "9100", "HOOKDEV_AUTH_SECRET": "s2"})
    assert (s.server.port, s.server.host, s.auth.secret) == (9100, "127.0.0.2", "s2")
    s = load_settings(cwd=tmp_path, environ={"HOOKDEV_SERVER_PORT": "9100"}, overrides={("server", "port"): 0})
    assert s.server.port == 0


def test_env_booleans_and_lists(tmp_path):
    s = load_settings(cwd=tmp_path, environ={"HOOKDEV_AUTH_ENFORCE": "false",
                                             "HOOKDEV_AUTHSERVER_SCOPES": "a, b"})
    assert s.auth.enforce is False and s.authserver.scopes == ("a", "b")


def test_dotenv_user_password_is_read_from_the_file_not_the_environment(tmp_path):
    (tmp_path / ".env").write_text("USER=okta\nPASSWORD='p@ss word'\n")
    s = load_settings(cwd=tmp_path, environ={"USER": "root", "PASSWORD": "nope"})
    assert (s.auth.username, s.auth.password) == ("okta", "p@ss word")


def test_dotenv_reads_values_as_a_shell_would(tmp_path):
    (tmp_path / ".env").write_text(
        '# the Glitch sample\nUSER=admin  # the guide\'s user\nPASSWORD="s3cret" # the Glitch password\n'
        "export NGROK_AUTHTOKEN='2xTok#en'\n"
    )
    s = load_settings(cwd=tmp_path, environ={})
    assert (s.auth.username, s.auth.password, s.tunnel.authtoken) == ("admin", "s3cret", "2xTok#en")


def test_dotenv_never_expands_from_the_process_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HOOKDEV_TEST_SECRET", "from-the-environment")
    (tmp_path / ".env").write_text('USER=${LOGNAME}\nPASSWORD="${HOOKDEV_TEST_SECRET}-x"\n')
    s = load_settings(cwd=tmp_path, environ={})
    assert (s.auth.username, s.auth.password) == ("${LOGNAME}", "${HOOKDEV_TEST_SECRET}-x")


def test_dotenv_does_not_override_the_config_file(tmp_path):
    (tmp_path / ".env").write_text("BASIC_AUTH_USER=fromenv\nBASIC_AUTH_PASSWORD=x\n")
    write(tmp_path, '[auth]\nusername = "fromtoml"\n')
    s = load_settings(cwd=tmp_path, environ={})
    assert (s.auth.username, s.auth.password) == ("fromtoml", "x")


def test_ngrok_authtoken_from_the_environment(tmp_path):
    s = load_settings(cwd=tmp_path, environ={"NGROK_AUTHTOKEN": "2xSecretNgrokValue"})
    assert s.tunnel.authtoken == "2xSecretNgrokValue"
    assert "2xSecretNgrokValue" not in repr(s)


@pytest.mark.parametrize(
    ("toml", "key", "fragment"),
    [
        ("[server]\nport = 'abc'\n", "server.port", "whole number"),
        ("[server]\nport = 70000\n", "server.port", "between 0 and 65535"),
        ("[server]\nport = 8080.0\n", "server.port", "whole number"),
        ("[server]\nport = true\n", "server.port", "whole number"),
        ("[responses]\nforward_timeout = '2'\n", "responses.forward_timeout", "must be a number"),
        ("[responses]\nhandler_timeout = 0\n", "responses.handler_timeout", "more than 0 seconds"),
        ("[server]\nread_timeout = -1\n", "server.read_timeout", "more than 0 seconds"),
        ("[auth]\nmode = 'magic'\n", "auth.mode", "none, basic, header, oauth"),
        ("[auth]\nmode = 'header'\n", "auth.secret", "header mode needs"),
        ("[auth]\nenforce = 'yes'\n", "auth.enforce", "true or false"),
        ("[auth]\nalgorithms = ['HS256']\n", "auth.algorithms", "asymmetric"),
        ("[auth]\npasword = 'x'\n", "auth.pasword", "unknown key"),
        ("[srever]\nport = 1\n", "srever", "unknown section"),
        ("[server\n", "hookdev.toml", "not valid TOML"),
        ("[responses]\nforward = 'localhost:3000'\n", "responses.forward", "http://"),
        ("[[authserver.clients]]\nclient_id = 'c'\n", "authserver.clients[0]", "client_secret or public_key"),
    ],
)
def test_bad_config_names_the_key_and_the_problem(tmp_path, toml, key, fragment):
    write(tmp_path, toml)
    with pytest.raises(ConfigError) as info:
        load_settings(cwd=tmp_path, environ={})
    assert info.value.key.endswith(key)
    assert fragment in str(info.value)


def test_bad_env_value_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="whole number"):
        load_settings(cwd=tmp_path, environ={"HOOKDEV_SERVER_PORT": "eighty"})


def test_cli_exits_2_on_bad_config(tmp_path, capsys, monkeypatch):
    write(tmp_path, "[auth]\nmode = 'magic'\n")
    monkeypatch.chdir(tmp_path)
    assert main(["list"]) == 2
    assert "auth.mode" in capsys.readouterr().err


def test_missing_config_file_is_a_config_error(tmp_path, capsys):
    assert main(["list", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "not found" in capsys.readouterr().err
