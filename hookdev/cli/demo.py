"""`hookdev demo`: everything local (receiver, authserver, sample calls of every kind) with the inspector or lines."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from hookdev import eventloop
from hookdev.cli import summary
from hookdev.cli.common import HELP_FORMAT, STOP_SIGNALS, LineWriter
from hookdev.io.render import exchange_line
from hookdev.io.terminal import safe_text
from hookdev.models import Exchange
from hookdev.receiver.session import Session
from hookdev.send.demo import AUTH_LABEL, BUGGY_PATH, DemoTraffic, caption_of, demo_settings

EPILOG = """\
examples:
  hookdev demo                          the inspector with a call every second (q quits)
  hookdev demo --theme contrast         high contrast, for projectors
  hookdev demo --headless --count 11    one line per call, stop after one round of every kind

No Okta org and no ngrok account needed: the calls come from hookdev itself, signed by its own
authorization server. The store lives in a temporary folder unless --dir is given.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help=summary("demo"),
                       description="Start the receiver and a stream of sample Okta hook calls, all local.",
                       epilog=EPILOG, formatter_class=HELP_FORMAT)
    p.add_argument("--headless", action="store_true", help="no inspector: print one line per call")
    p.add_argument("--json", action="store_true", help="JSON lines instead of text (implies --headless)")
    p.add_argument("--interval", type=float, default=1.0, metavar="S", help="seconds between calls (default 1)")
    p.add_argument("--count", type=int, metavar="N", help="stop sending after N calls (headless: then exit)")
    p.add_argument("--dir", metavar="FOLDER", help="keep the store, keys and answers here (default: a temp folder)")
    p.add_argument("--theme", choices=("normal", "contrast"), help="inspector theme (contrast: for projectors)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.interval < 0 or (args.count is not None and args.count < 1):
        print("hookdev demo: --interval must be >= 0 and --count >= 1", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="hookdev-demo-") as tmp:
        folder = Path(args.dir) if args.dir else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        settings = demo_settings(folder.resolve())
        session = Session(settings, auth_label=AUTH_LABEL, demo=True, hidden_paths=frozenset({BUGGY_PATH}))
        if not args.headless and not args.json:
            from hookdev.cli.serve import inspector_unavailable

            why = inspector_unavailable()
            if why is None:
                return eventloop.run(run_inspected(session, args.interval, args.count, theme=args.theme))
            print(f"hookdev demo: {why}; one line per call instead", file=sys.stderr)
        return eventloop.run(run_headless(session, args.interval, args.count, as_json=args.json))


async def run_inspected(session: Session, interval: float, count: int | None, *, theme: str | None) -> int:
    """The demo with serve's inspector as a child process, as `hookdev serve` runs it."""
    from hookdev.cli.supervise import serve_with_inspector

    async def start_traffic(session: Session) -> DemoTraffic:
        traffic = DemoTraffic(session, interval=interval, count=count)
        traffic.start()
        return traffic

    await session.start()
    session.answers_note = "templates, and a handler with a deliberate bug on " + BUGGY_PATH
    return await serve_with_inspector(session, theme=theme, extra=start_traffic)


async def run_headless(session: Session, interval: float, count: int | None, *, as_json: bool,
                       out: TextIO = sys.stdout) -> int:
    """Print one line per exchange until `count` calls were made (or Ctrl-C)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stopping.set)

    emit = LineWriter(out, loop)

    def on_exchange(ex: Exchange) -> None:
        caption = None if as_json else caption_of(ex)
        emit(exchange_line(ex, as_json=as_json) + (safe_text(f"  <- {caption}") if caption else ""))

    session.subscribe(on_exchange)
    await session.start()
    emit(json.dumps({"event": "listening", "url": session.local_url}) if as_json
         else f"hookdev demo at {session.local_url} ({AUTH_LABEL}); Ctrl-C stops")
    traffic = DemoTraffic(session, interval=interval, count=count)
    traffic.start()
    try:
        waiters = {asyncio.ensure_future(stopping.wait()), asyncio.ensure_future(traffic.wait())}
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
    finally:
        await traffic.stop()
        await session.stop()
        emit.close()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
    return 0

