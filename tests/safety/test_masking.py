"""Finding 10: a secret is masked by what was true when it arrived, not by today's config; none of it shows."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.conftest import SAMPLES
from tests.safety.serving import Serve, hookdev, http, request

HEADER_SECRET = "Zq7XkP2vWm9RtY4bJ8"
BASIC = "Basic " + base64.b64encode(b"hooks:pw-9d8e7f6a5b").decode()


def test_a_header_secret_stays_masked_under_another_config_and_outside_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "hookdev.toml").write_text(
        f'[auth]\nmode = "header"\nheader = "X-Hook-Key"\nsecret = "{HEADER_SECRET}"\n')
    with Serve(project, ["--json"]) as serve:
        body = (SAMPLES / "token.json").read_bytes()
        status, headers, _ = http(serve.address, request(
            "POST", "/tokenHook", body, "Content-Type: application/json", f"X-Hook-Key: {HEADER_SECRET}",
            f"Authorization: {BASIC}"))
        assert status == 204
    exchange_id = headers["x-hookdev-exchange"]
    store = str(project / ".hookdev" / "hookdev.db")

    # The developer switches the project to Basic auth, and reads the store from another folder with no config.
    (project / "hookdev.toml").write_text('[auth]\nmode = "basic"\nusername = "a"\npassword = "local-pw-1"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    views = {
        "show, another auth mode": hookdev(project, "show", exchange_id),
        "show --json, another auth mode": hookdev(project, "show", exchange_id, "--json"),
        "show, outside the project": hookdev(elsewhere, "show", exchange_id, "--store", store),
        "export har, outside": hookdev(elsewhere, "export", "--format", "har", "--store", store),
        "export curl, outside": hookdev(elsewhere, "export", "--format", "curl", "--store", store),
        "export payload, outside": hookdev(elsewhere, "export", "--format", "payload", "--store", store),
    }
    for what, done in views.items():
        assert done.returncode == 0, (what, done.stderr)
        out = done.stdout.decode()
        for secret in (HEADER_SECRET, BASIC.split()[1]):
            assert secret[:4] not in out, what  # the start that used to show
            for start in range(len(secret) - 5):  # nor any other part of it
                assert secret[start:start + 6] not in out, (what, secret[start:start + 6])
    shown = views["show, outside the project"].stdout.decode()
    assert "X-Hook-Key: ••••••" in shown and "Authorization: Basic ••••••" in shown
    detail = json.loads(views["show --json, another auth mode"].stdout)
    assert detail["auth"]["header"] == "x-hook-key"
    revealed = hookdev(elsewhere, "show", exchange_id, "--store", store, "--reveal")
    assert HEADER_SECRET in revealed.stdout.decode()  # asked for, it is there
