"""The session: hook URLs to paste into Okta follow the paths in use, and survive a restart."""

from __future__ import annotations

import aiohttp

from hookdev.receiver.session import EXAMPLE_PATHS, Session
from tests.conftest import SAMPLES, make_settings, until


async def test_hook_urls_follow_the_paths_in_use(tmp_path):
    settings = make_settings(tmp_path, auth={"mode": "none"})
    session = Session(settings)
    await session.start()
    try:
        assert session.hook_urls() == [session.local_url + p for p in EXAMPLE_PATHS]
        async with aiohttp.ClientSession() as http:
            for path, sample in (("/hooks/token", "token.json"), ("/hooks/reg", "registration-ssr.json"),
                                 ("/not-a-hook", None)):
                data = (SAMPLES / sample).read_bytes() if sample else b'{"hello": 1}'
                async with http.post(session.local_url + path, data=data) as resp:
                    assert resp.status < 500
        # Listeners run on the loop after each commit, which may be just after the answer went out.
        in_use = [session.local_url + "/hooks/reg", session.local_url + "/hooks/token"]
        await until(lambda: session.hook_urls() == in_use, "the hook URLs to follow the paths in use")
    finally:
        await session.stop()

    again = Session(settings)
    await again.start()
    try:
        assert again.hook_urls()[:2] == [again.local_url + "/hooks/reg", again.local_url + "/hooks/token"]
    finally:
        await again.stop()
