"""`hookdev serve`: the receiver, with the inspector or headless lines."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
from typing import TextIO

from hookdev import eventloop
from hookdev.cli import summary
from hookdev.cli.banner import answering, banner
from hookdev.cli.common import (
    HELP_FORMAT,
    STOP_SIGNALS,
    LineWriter,
    add_config_arg,
    add_store_arg,
    dropped_message,
    dropped_text,
    settings_from,
)
from hookdev.config import Settings
from hookdev.errors import ConfigError
from hookdev.io.render import exchange_line
from hookdev.io.terminal import safe_text
from hookdev.models import Exchange
from hookdev.receiver.session import Session

EPILOG = """\
examples:
  hookdev serve                         the inspector on http://127.0.0.1:8080
  hookdev serve --headless              one line per call on stdout
  hookdev serve --json                  JSON lines (listening, tunnel, exchange) for scripts
  hookdev serve --port 0 --tunnel       any free port, reachable by Okta through ngrok
  hookdev serve --tunnel --okta         and the org's hooks point here until serve stops
  hookdev serve --handler hooks.py      your Python functions answer (`hookdev init KIND` writes one)
  hookdev serve --forward http://localhost:3000   relay every call to your own service

Every path is a hook endpoint: paste e.g. <URL>/registrationHook into the Okta Admin Console.
The event-hook verification GET is answered automatically (relayed to your service with --forward).
The inspector is a process of its own (`hookdev inspect`): whatever it does, serve goes on answering,
and more inspectors can attach from other terminals. Headless, serve first prints what it loaded, how
calls are answered and a call to try. Stop with Ctrl-C (or q in the inspector): serve says how many
calls it recorded, and where.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help=summary("serve"),
        description="Receive Okta event and inline hooks on any path: verify auth, answer, validate, record.",
        epilog=EPILOG,
        formatter_class=HELP_FORMAT,
    )
    add_config_arg(p)
    p.add_argument("--host", help="address to bind (default 127.0.0.1; the tunnel is the public way in)")
    p.add_argument("--port", type=int, help="port to listen on (default 8080; 0 picks a free one)")
    add_store_arg(p)
    p.add_argument("--headless", action="store_true", help="no inspector: print one line per call")
    p.add_argument("--json", action="store_true", help="print JSON lines instead of text (implies --headless)")
    tunnel = p.add_mutually_exclusive_group()
    tunnel.add_argument("--tunnel", dest="tunnel", action="store_true", default=None, help="open an ngrok tunnel")
    tunnel.add_argument("--no-tunnel", dest="tunnel", action="store_false", help="no tunnel, even if configured")
    p.add_argument("--insecure-tunnel", action="store_true", default=None,
                   help="open the tunnel even with auth none or a published default credential (admin/supersecret)")
    p.add_argument("--okta", action="store_true", default=None,
                   help="point the hooks of your Okta org ([okta] in hookdev.toml) at the tunnel while serve runs")
    p.add_argument("--auth", choices=("none", "basic", "header", "oauth"), help="auth mode (overrides [auth] mode)")
    p.add_argument("--handler", metavar="FILE", help="answer with the Python functions in FILE")
    p.add_argument("--forward", metavar="URL", help="relay every call to your own service at URL")
    p.add_argument("--theme", choices=("normal", "contrast"), help="inspector theme (contrast: for projectors)")
    p.set_defaults(run=run)


def serve_settings(args: argparse.Namespace) -> Settings:
    return settings_from(
        args,
        {
            ("server", "host"): args.host,
            ("server", "port"): args.port,
            ("tunnel", "enabled"): args.tunnel,
            ("tunnel", "allow_insecure"): args.insecure_tunnel,
            ("auth", "mode"): args.auth,
            ("responses", "handler"): args.handler,
            ("responses", "forward"): args.forward,
            ("okta", "connect"): args.okta,
        },
    )


def run(args: argparse.Namespace) -> int:
    settings = serve_settings(args)
    if settings.okta.connect:
        from hookdev.okta_api.link import check_settings

        check_settings(settings)
    if not args.headless and not args.json:  # --json is for scripts: it implies --headless
        why = inspector_unavailable()
        if why is None:
            return eventloop.run(run_inspected(settings, theme=args.theme))
        print(f"hookdev serve: {why}; one line per call instead", file=sys.stderr)
    return eventloop.run(run_headless(settings, as_json=args.json))


def inspector_unavailable() -> str | None:
    """Why the inspector cannot open here, or None when it can."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return "stdin or stdout is not a terminal, so there is no inspector (--headless asks for that on purpose)"
    try:
        import textual  # noqa: F401
    except ImportError:
        return "the inspector needs Textual, which is not installed"
    return None


async def run_inspected(settings: Settings, *, theme: str | None, out: TextIO = sys.stdout) -> int:
    """serve with its inspector as a child process; the receiver stays here, out of the inspector's way."""
    from hookdev.cli.supervise import serve_with_inspector

    session = Session(settings)
    await start_session(session)
    try:
        how = await answering(session)
    except BaseException:
        await session.stop()
        raise
    session.answers_note = how.summary
    for warning in how.warnings:
        session.notify("warning", warning)
    code = await serve_with_inspector(session, theme=theme, out=out)
    print(stopped_line(session), file=out, flush=True)
    return code


async def start_session(session: Session) -> None:
    """Start a session, turning a busy port into a clear config error."""
    try:
        await session.start()
    except OSError as exc:
        await session.stop()
        s = session.settings.server
        raise ConfigError(
            "server.port",
            f"cannot listen on {s.host}:{s.port} ({exc.strerror}); is another hookdev running? "
            "Pick another port with --port, or --port 0 for any free one",
        ) from None
    except BaseException:  # a setting that cannot work (a ConfigError), Ctrl-C: close what did start
        await session.stop()
        raise


async def run_headless(settings: Settings, *, as_json: bool, out: TextIO = sys.stdout) -> int:
    session = Session(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stopping.set)

    emit = LineWriter(out, loop, dropped=_dropped_json if as_json else dropped_text)

    def on_exchange(ex: Exchange) -> None:
        emit(functools.partial(exchange_line, ex, as_json=as_json))  # made by the output's thread

    started = False
    early: list[tuple[str, str]] = []

    def on_notice(level: str, message: str) -> None:
        if not started:  # the listening line comes first; notices from start-up follow it
            early.append((level, message))
        elif as_json:
            emit(json.dumps({"event": "notice", "level": level, "message": message}))
        else:
            print(f"hookdev: {level}: {safe_text(message, multiline=True)}", file=sys.stderr, flush=True)

    session.subscribe(on_exchange)
    session.on_notice(on_notice)
    await start_session(session)
    try:
        how = await answering(session)  # loads the handler file now: a broken one is said at start
        if as_json:
            emit(json.dumps({"event": "listening", "url": session.local_url}))
            if session.public_url:
                emit(json.dumps({"event": "tunnel", "public_url": session.public_url,
                                 "hook_urls": session.hook_urls()}))
        else:
            emit(banner(session, how))
        started = True
        for level, message in early:
            if as_json or not how.said(message):  # JSON has no banner: there the notice is the only word of it
                on_notice(level, message)
        await stopping.wait()
    finally:
        await session.stop()
        if not as_json:
            emit(stopped_line(session))
        emit.close()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
    return 0


def _dropped_json(count: int) -> str:
    return json.dumps({"event": "notice", "level": "warning", "message": dropped_message(count)})


def stopped_line(session: Session) -> str:
    """The line serve leaves when it stops: what this run recorded, and where to find it."""
    n = session.counters.calls
    calls = f"{n} call{'' if n == 1 else 's'}"
    return safe_text(f"hookdev stopped: {calls} recorded this run in {session.store_path} (`hookdev list` shows them)")
