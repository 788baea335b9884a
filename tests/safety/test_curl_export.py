"""Finding 3: an exported curl line is safe to paste: no @file upload, the receiver's own URL, exact bytes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hookdev.receiver.store import Store
from tests.safety.serving import Serve, assert_terminal_safe, clean_env, hookdev, http, request

# Records what curl was asked to do: its arguments, and what it read on stdin.
FAKE_CURL = """#!PYTHON
import json, sys
data = sys.stdin.buffer.read() if "@-" in sys.argv else b""
with open(RECORD, "a") as out:
    out.write(json.dumps({"argv": sys.argv[1:], "stdin": data.decode("latin-1")}) + "\\n")
"""


@pytest.mark.parametrize("body", [
    b"@SECRET",                                       # curl --data-binary @file would upload the file
    b"@SECRET\x1b]0;title\x07\x00\xff",               # and one that only printf can carry exactly
], ids=["at-file", "binary"])
def test_a_curl_line_never_uploads_a_file_and_goes_to_the_receiver(tmp_path: Path, body: bytes) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("PRIVATE-KEY-MATERIAL\n")
    body = body.replace(b"SECRET", str(secret).encode())
    (tmp_path / "hookdev.toml").write_text('[auth]\nmode = "none"\n')
    with Serve(tmp_path, ["--json"]) as serve:
        status, headers, _ = http(serve.address, request(
            "POST", "/tokenHook?a=1%20b", body, "Content-Type: application/json",
            "X-Forwarded-Host: attacker.example", "X-Forwarded-Proto: https"))
        assert status == 400  # not JSON: still recorded, which is all an attacker needs
        planted = headers["x-hookdev-exchange"]
        serve.exchange(planted)
        line = hookdev(tmp_path, "export", planted, "--format", "curl")
        assert line.returncode == 0, line.stderr
        assert_terminal_safe(line.stdout, "export --format curl")
        assert b"attacker.example/" not in line.stdout and b"https://" not in line.stdout

        # What a shell makes of the line: curl gets the receiver's URL and the body as data, never a file name.
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        record = tmp_path / "curl.jsonl"
        fake = bin_dir / "curl"
        fake.write_text(FAKE_CURL.replace("PYTHON", sys.executable).replace("RECORD", repr(str(record))))
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        env = clean_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        subprocess.run(["sh", "-c", line.stdout.decode()], env=env, check=True, timeout=30)
        call = json.loads(record.read_text())
        argv = call["argv"]
        assert f"{serve.url}/tokenHook?a=1%20b" in argv
        data_args = [argv[i + 1] for i, a in enumerate(argv) if a in ("--data-raw", "--data-binary", "-d", "--data")]
        assert data_args in (["@-"], [body.decode("latin-1")]), argv
        if data_args == ["@-"]:
            assert argv[argv.index("@-") - 1] == "--data-binary"
            assert call["stdin"].encode("latin-1") == body
        else:
            assert argv[argv.index(data_args[0]) - 1] == "--data-raw"

        if shutil.which("curl"):  # and the real curl sends exactly the recorded bytes back to this receiver
            subprocess.run(["sh", "-c", line.stdout.decode().strip() + " -s -o /dev/null"], env=clean_env(),
                           check=True, timeout=30)
    store = Store(tmp_path / ".hookdev" / "hookdev.db")
    try:
        bodies = [ex.request.body for ex in store.list()]
    finally:
        store.close()
    assert all(b"PRIVATE-KEY-MATERIAL" not in b for b in bodies)
    if shutil.which("curl"):
        assert bodies == [body, body]
