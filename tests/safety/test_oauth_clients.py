"""Finding 9: with an Okta org's issuer, serve refuses to start unless the client or the scope is pinned, since
that authorization server mints tokens for every app of the org."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.safety.serving import Serve, clean_env

ORG_ISSUER = 'issuer = "https://dev-123456.okta.com/oauth2/default"'


def test_an_org_issuer_without_client_or_scope_refuses_to_start(tmp_path: Path) -> None:
    (tmp_path / "hookdev.toml").write_text(f'[auth]\nmode = "oauth"\n{ORG_ISSUER}\n')
    done = subprocess.run([sys.executable, "-m", "hookdev", "serve", "--headless", "--port", "0"], cwd=tmp_path,
                          env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done
    assert done.stderr.startswith("hookdev: config error: auth.client_id: ")
    assert "auth.scope" in done.stderr and "any app of the org" in done.stderr
    assert "local URL" not in done.stdout  # it never said it was listening
    assert not (tmp_path / ".hookdev" / "hookdev.db.serve.json").exists()


@pytest.mark.parametrize("pinned", ['client_id = "0oa1hookclient"', 'scope = "okta.hooks"'])
def test_a_pinned_client_or_scope_starts(tmp_path: Path, pinned: str) -> None:
    (tmp_path / "hookdev.toml").write_text(f'[auth]\nmode = "oauth"\n{ORG_ISSUER}\n{pinned}\n')
    with Serve(tmp_path, ["--json"]) as serve:
        assert serve.url.startswith("http://127.0.0.1:")


def test_a_local_issuer_needs_neither(tmp_path: Path) -> None:
    # A local authorization server (hookdev authserver, a test double) mints tokens for its own clients only.
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "oauth"\nissuer = "http://127.0.0.1:9/oauth2/default"\n')
    with Serve(tmp_path, ["--json"]) as serve:
        assert serve.url.startswith("http://127.0.0.1:")
