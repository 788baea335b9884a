"""`hookdev init KIND`: scaffold hookdev.toml, .env and a working hooks.py for one of Okta's hook guides."""

from __future__ import annotations

import argparse
import base64
import secrets
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hookdev.cli import summary
from hookdev.cli.common import HELP_FORMAT


@dataclass(frozen=True, slots=True)
class Guide:
    title: str
    scaffold: str
    """File under hookdev/scaffolds/ that becomes hooks.py."""
    path: str
    """The hook path the guide uses."""
    sample: str
    """The sample payload to send to try it."""


GUIDES: dict[str, Guide] = {
    "registration": Guide("registration inline hook", "registration.py", "/registrationHook", "registration-ssr"),
    "progressive": Guide(
        "registration inline hook (progressive profile)", "progressive.py", "/registrationHookPP",
        "registration-progressive",
    ),
    "token": Guide("token inline hook", "token.py", "/tokenHook", "token"),
    "saml": Guide("SAML assertion inline hook", "saml.py", "/samlHook", "saml"),
    "telephony": Guide("telephony inline hook", "telephony.py", "/telephonyHook", "telephony-sms"),
    "password-import": Guide("password import inline hook", "password_import.py", "/passwordImport", "password-import"),
    "user-import": Guide("user import inline hook", "user_import.py", "/userImport", "user-import-match"),
    "event": Guide("event hook (deactivated users)", "event.py", "/userDeactivated", "event"),
}

OKTA_HOOKS = {
    "progressive": 'kinds = ["registration"]',
    "password-import": 'kinds = ["password_import"]',
    "user-import": 'kinds = ["user_import"]',
    "event": 'kinds = ["event"]\nevents = ["user.lifecycle.deactivate"]',
}
"""The [okta] lines of each guide: the hook `hookdev okta connect` registers (by default, the guide's kind)."""

EPILOG = """\
examples:
  hookdev init registration             allow only example.com sign-ups
  hookdev init token --dir token-demo   add a claim to tokens, in a new folder

Writes hookdev.toml (Basic auth, [responses] handler = "hooks.py"), .env (user admin and a random password)
and hooks.py, and adds .env and .hookdev/ to .gitignore; prints what to paste into Okta's Authentication
field. Existing files are never overwritten unless --force is given.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "init",
        help=summary("init"),
        description="Start a hook project like the Glitch samples of Okta's guides, on your laptop.",
        epilog=EPILOG,
        formatter_class=HELP_FORMAT,
    )
    p.add_argument("kind", type=guide_name, metavar="KIND", help=f"one of: {', '.join(GUIDES)} (_ works for -)")
    p.add_argument("--dir", default=".", metavar="D", help="folder to write into (created if missing; default .)")
    p.add_argument("--force", action="store_true", help="overwrite files that already exist")
    p.add_argument("--org", metavar="URL", help="your Okta org (https://dev-123456.okta.com), for `hookdev okta` "
                                                "and `serve --tunnel --okta`")
    p.set_defaults(run=run)


def guide_name(text: str) -> str:
    """A guide's name as typed: `password-import`, `password_import` or `PASSWORD-IMPORT`; exit 2 for others."""
    name = text.strip().lower().replace("_", "-")
    if name not in GUIDES:
        raise argparse.ArgumentTypeError(f"{text!r} is not a guide; use one of {', '.join(GUIDES)}")
    return name


PRIVATE = (".env", ".hookdev/")
"""What `init` keeps out of git: .env holds the credentials, .hookdev/ the captured calls (passwords
included, for password import hooks) and the local authorization server's signing key."""


def ignore_private(folder: Path) -> str | None:
    """Add PRIVATE to the folder's .gitignore where it is missing; what was done, or None when nothing was."""
    path = folder / ".gitignore"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    present = {line.strip().strip("/") for line in text.splitlines()}  # .env, /.env, .hookdev, .hookdev/ alike
    missing = [name for name in PRIVATE if name.strip("/") not in present]
    if not missing:
        return None
    lead = "" if not text or text.endswith("\n") else "\n"
    block = "# hookdev: credentials and captured calls\n" + "".join(f"{name}\n" for name in missing)
    with path.open("a", encoding="utf-8") as out:
        out.write(lead + ("\n" if text.strip() else "") + block)
    what = f"added {' and '.join(missing)} to {path}" if text else f"created {path} with {' and '.join(missing)}"
    return f"{what} (credentials and captured calls stay out of git)"


def scaffold_text(name: str) -> str:
    return resources.files("hookdev").joinpath("scaffolds", name).read_text(encoding="utf-8")


USER = "admin"


def new_password() -> str:
    """A Basic password nobody can read in a guide: the tunnel refuses to open behind a published one."""
    return secrets.token_urlsafe(18)


def basic_secret(password: str, user: str = USER) -> str:
    """The value of Okta's Authentication secret for a Basic pair: the whole Authorization header value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def planned_files(kind: str, org_url: str = "", password: str = "") -> dict[str, str]:
    """File name -> content that `init KIND` writes (with `password` in .env, a random one when empty)."""
    guide = GUIDES[kind]
    config = scaffold_text("hookdev.toml").replace("{title}", guide.title).replace("{kind}", kind)
    hooks = OKTA_HOOKS.get(kind, f'kinds = ["{kind}"]')
    config = config.replace("{org_url}", org_url or "https://{yourOktaDomain}").replace("{okta_hooks}", hooks)
    return {
        "hookdev.toml": config,
        ".env": scaffold_text("env").replace("{password}", password or new_password()),
        "hooks.py": scaffold_text(guide.scaffold),
    }


def run(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    org_url = ""
    if args.org:
        from hookdev.okta_api.client import check_org_url

        org_url = check_org_url(args.org)
    password = new_password()
    files = planned_files(args.kind, org_url, password)
    existing = [name for name in files if (folder / name).exists()]
    if existing and not args.force:
        names = ", ".join(str(folder / name) for name in existing)
        verb = "exists" if len(existing) == 1 else "exist"
        print(f"hookdev init: {names} already {verb}; nothing written. "
              "Use --force to overwrite, or --dir to pick another folder.", file=sys.stderr)
        return 1
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        if name == ".env":  # it holds the Basic password
            (folder / name).chmod(0o600)
        print(f"created {folder / name}" + (" (overwritten)" if name in existing else ""))
    ignored = ignore_private(folder)
    if ignored:
        print(ignored)
    guide = GUIDES[args.kind]
    cd = f"  cd {folder}\n" if folder.resolve() != Path.cwd().resolve() else ""
    steps = [
        "  hookdev serve                  # answers with hooks.py and reloads it when you save",
        f"  hookdev send {guide.sample} --to http://127.0.0.1:8080{guide.path}   # in another terminal",
        "  hookdev serve --tunnel         # for a real Okta org (needs an ngrok authtoken)",
    ]
    paste = (f"point the {guide.title} at <URL>{guide.path}, and in Okta's Authentication field put\n"
             f"  authorization\nand in its Authentication secret\n  {basic_secret(password)}\n"
             f"(user {USER} and the password in {folder / '.env'}: keep them out of chats and screenshots).")
    if org_url:
        steps.append("  hookdev serve --tunnel --okta  # or: hookdev points the org's hook here until serve stops "
                     "(needs OKTA_API_TOKEN too)")
        paste = "with --okta there is nothing to paste; without it, " + paste
    else:
        paste = "then " + paste
    print(f"\nnext:\n{cd}" + "\n".join(steps) + "\n" + paste)
    return 0
