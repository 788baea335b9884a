"""The disk refusing writes mid-run: the answer still goes back, the failure is shown, recording resumes.

How the disk is made to refuse: RLIMIT_FSIZE, in a child process. Once a write would grow a file past the
limit, the kernel fails it (EFBIG), exactly where a full disk fails it (ENOSPC): SQLite's write to its WAL.
Raising the limit again is the disk getting space back. (chmod cannot do this as root, and mounting a tiny
filesystem needs privileges a test must not assume.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

CHILD = r'''
import asyncio, json, resource, sys
from pathlib import Path
import aiohttp
from tests.conftest import SAMPLES, until
from tests.reliability.live import live_session

BODY = (SAMPLES / "token.json").read_bytes()
BIG = json.dumps({"eventType": "com.okta.oauth2.tokens.transform", "data": {"pad": "x" * 600_000}}).encode()

async def post(session, body):
    async with aiohttp.ClientSession() as http:
        async with http.post(session.local_url + "/tokenHook", data=body) as resp:
            return resp.status, resp.headers["X-Hookdev-Exchange"]

async def main(tmp):
    out = {}
    async with live_session(Path(tmp)) as session:
        out["before"] = (await post(session, BODY))[0]
        files = [p for p in session.store_path.parent.glob(session.store_path.name + "*") if p.is_file()]
        limit = max(p.stat().st_size for p in files) + 4096
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
        try:
            out["during"], held = await post(session, BIG)
            out["last_error"] = session.store.last_error
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        out["after"], later = await post(session, BODY)
        out["last_error_after"] = session.store.last_error
        # The session tells of the store's health from a listener, which runs just after the answer is sent.
        await until(lambda: any("works again" in m for _, m in session.seen_notices), "the works-again notice")
        out["held_recorded"] = session.store.get(held) is not None
        out["later_recorded"] = session.store.get(later) is not None
        out["notices"] = session.seen_notices
    print(json.dumps(out))

asyncio.run(main(sys.argv[1]))
'''


def test_disk_refusing_writes_still_answers_shows_it_and_resumes(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKDEV_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert (out["before"], out["during"], out["after"]) == (204, 204, 204)  # Okta got every answer
    assert out["last_error"], "the refused write is visible as store.last_error"
    assert out["last_error_after"] is None
    assert out["held_recorded"] and out["later_recorded"], "the call held in memory is written once space is back"
    levels = [level for level, message in out["notices"]]
    assert "error" in levels and any("works again" in message for _, message in out["notices"]), out["notices"]
