"""JWT verifications/s of hookdev's oauth verifier with a warm key-set cache, against PyJWT's raw decode.

    python bench/bench_jwt.py [--quick]

The floor is jwt.decode with the public key in hand and the same checks (RS256, iss, aud, exp): what any
verifier must pay for a token it has not seen. hookdev adds the unverified peek (alg, kid, claims for the
inspector), the key lookup and its own claim checks with explanations. Two hookdev rows: the same token on
every call, as Okta sends it until it expires (the signature is checked once, the claims every call), and a
different token each call (more tokens than the verifier remembers, so every call is checked in full).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jwt  # noqa: E402
from aiohttp import web  # noqa: E402
from harness import machine, table  # noqa: E402

from hookdev.auth.authserver import mint_token  # noqa: E402
from hookdev.auth.keys import KeyStore  # noqa: E402
from hookdev.auth.verifiers import VERIFIED_TOKENS, build_verifier  # noqa: E402
from hookdev.config import AuthServerSettings, AuthSettings  # noqa: E402
from hookdev.models import RequestSnapshot  # noqa: E402


async def rate(fn, seconds: float) -> float:
    """Calls per second of an async fn, over about `seconds`."""
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            await fn()
        done += 100
    return done / elapsed


async def main_async(seconds: float) -> int:
    keys = KeyStore.in_memory()
    app = web.Application()

    async def jwks(request: web.Request) -> web.Response:
        return web.json_response(keys.jwks(), headers={"Cache-Control": "max-age=300"})

    app.router.add_get("/oauth2/default/v1/keys", jwks)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    issuer = f"http://127.0.0.1:{port}/oauth2/default"
    settings = AuthSettings(mode="oauth", issuer=issuer, audience="api://default", client_id="okta-hooks",
                            scope="okta.hooks")
    token, _ = mint_token(AuthServerSettings(), keys, issuer, "okta-hooks", ["okta.hooks"])
    verifier = build_verifier(settings)

    def call_with(token: str) -> RequestSnapshot:
        return RequestSnapshot(method="POST", path="/tokenHook", headers=(("Authorization", f"Bearer {token}"),),
                               body=b"{}", remote="127.0.0.1")

    request = call_with(token)
    others = [call_with(mint_token(AuthServerSettings(), keys, issuer, "okta-hooks", ["okta.hooks"])[0])
              for _ in range(VERIFIED_TOKENS + 44)]
    try:
        verdict = await verifier.verify(request)  # warms the cache: the one key-set fetch
        if not verdict.ok:
            raise SystemExit(f"the token was refused: {verdict.reason} {verdict.detail}")
        public = keys.active.private_key.public_key()

        async def floor() -> None:
            jwt.decode(token, public, algorithms=["RS256"], audience="api://default", issuer=issuer)

        async def hookdev() -> None:
            await verifier.verify(request)

        turn = iter(range(10**12))

        async def hookdev_new_tokens() -> None:
            await verifier.verify(others[next(turn) % len(others)])

        cases = {"PyJWT jwt.decode (floor)": floor, "hookdev, one token reused": hookdev,
                 "hookdev, a new token each call": hookdev_new_tokens}
        results: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(2):  # A B C A B C
            for name, fn in cases.items():
                results[name].append(await rate(fn, seconds))
        fetches = verifier.keys.fetches  # type: ignore[attr-defined]
    finally:
        await verifier.close()
        await runner.cleanup()
    floor_rate = sum(results["PyJWT jwt.decode (floor)"]) / 2
    rows = [[name, sum(r) / 2, 1e6 / (sum(r) / 2), f"{sum(r) / 2 / floor_rate:.2f}"] for name, r in results.items()]
    print(machine())
    print(table("RS256 (2048-bit) access token, one core, mean of 2 runs each",
                ["verifier", "verifications/s", "us each", "RATIO vs floor"], rows))
    print(f"  key-set fetches during the run: {fetches} (1 = the warm-up; the cache held)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    return asyncio.run(main_async(0.5 if args.quick else 3.0))


if __name__ == "__main__":
    sys.exit(main())
