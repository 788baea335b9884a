"""A bare aiohttp app answering one fixed JSON body: the yardstick for the serve benchmarks and their upstream."""

from __future__ import annotations

import argparse
import socket
import sys

from aiohttp import web


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--body", default='{"commands": []}', help="the JSON answered to every call")
    args = parser.parse_args()
    body = args.body.encode()

    async def answer(request: web.Request) -> web.Response:
        await request.read()  # read the body, as any real hook service would
        return web.Response(status=args.status, body=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(512)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    sys.stdout.flush()
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)


if __name__ == "__main__":
    main()
