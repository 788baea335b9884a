"""The public way in: the Tunnel interface, NgrokTunnel over pyngrok (never downloading an agent), NoTunnel."""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypedDict

from pyngrok import aio as ngrok_aio
from pyngrok import conf, installer
from pyngrok import process as ngrok_process
from pyngrok.exception import PyngrokError, PyngrokNgrokError, PyngrokNgrokHTTPError, PyngrokNgrokURLError
from pyngrok.log import NgrokLog

from hookdev.config import TunnelSettings
from hookdev.errors import TunnelError
from hookdev.runtime import alive

logger = logging.getLogger(__name__)
# pyngrok logs every agent line through logging, and the agent echoes a rejected authtoken. Those lines reach
# hookdev through log_event_callback (masked); without a handler, Python's last resort printed them to stderr.
_pyngrok_logger = logging.getLogger("pyngrok")
_pyngrok_logger.addHandler(logging.NullHandler())
_pyngrok_logger.propagate = False  # nor through a handler a user's hooks.py sets up on the root logger

AGENT_ENV = (
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "LC_*", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
)
"""What the agent is given of hookdev's environment: where things are, the locale, TLS and proxies, no secrets."""
LAUNCHER_NAME = "ngrok-launch"

CONFIG_NAME = "ngrok.yml"
INSTALL_HINT = (
    "install the ngrok agent from https://ngrok.com/download or your package manager "
    "(it must be on PATH), or set [tunnel] ngrok_path = \"/path/to/ngrok\" in hookdev.toml"
)
AUTHTOKEN_HINT = (
    "copy your authtoken from https://dashboard.ngrok.com/get-started/your-authtoken and set "
    "NGROK_AUTHTOKEN (environment or .env) or [tunnel] authtoken in hookdev.toml"
)
_DOMAIN_HINT = (
    "reserve the domain at https://dashboard.ngrok.com/domains (a free account gets one static domain), "
    "or clear [tunnel] domain to get a random URL"
)
_UPDATE_HINT = "update the agent with `ngrok update`, or reinstall it from https://ngrok.com/download"
MIN_AGENT_VERSION = (3, 30)
"""pyngrok 9 talks to the agent's /api/endpoints, which ngrok added in 3.30.0 (older agents answer 404 there)."""
VERSION_TIMEOUT_S = 5.0
PID_NAME = "ngrok.pid"
_NETWORK_HINT = (
    "check this machine's internet connection, and any proxy or firewall between it and "
    "connect.ngrok-agent.com:443"
)
# What the agent says when it cannot reach ngrok's servers (it keeps retrying: "failed to reconnect session").
_NETWORK_FAILURE = re.compile(
    r"failed to reconnect session|dial tcp|lookup \S+|no such host|i/o timeout|connection refused|"
    r"network is unreachable|tls handshake timeout|server misbehaving",
    re.IGNORECASE,
)

# ERR_NGROK_<code> -> (what went wrong, what to do). Codes not listed get a link to ngrok's page.
_ADVICE: dict[str, tuple[str, str]] = {
    "105": ("ngrok rejected the authtoken: it is not a valid token", AUTHTOKEN_HINT),
    "107": ("ngrok rejected the authtoken: it was revoked or reset", AUTHTOKEN_HINT),
    "108": (
        "your ngrok account already runs as many agent sessions as its plan allows",
        "stop the other ngrok agent (another hookdev, `ngrok http`, ...); see https://dashboard.ngrok.com/agents",
    ),
    "120": ("this ngrok agent is too old for the ngrok service", _UPDATE_HINT),
    "121": ("this ngrok agent is too old for the ngrok service", _UPDATE_HINT),
    "313": ("ngrok refused the configured domain: custom subdomains need a paid plan", _DOMAIN_HINT),
    # errors/err_ngrok_314.mdx and err_ngrok_315.mdx: a custom hostname needs a paid plan (Pro or Pay-as-you-go),
    # a wildcard domain the Pay-as-you-go plan; reserving the name alone does not lift either.
    "314": (
        "ngrok refused the configured domain: a custom hostname (a domain of your own) needs a paid ngrok plan",
        "upgrade to a Pro or Pay-as-you-go plan at https://dashboard.ngrok.com/billing/choose-a-plan, or set "
        "[tunnel] domain to your free static domain (https://dashboard.ngrok.com/domains), or clear it to get a "
        "random URL",
    ),
    "315": (
        "ngrok refused the configured domain: wildcard domains need ngrok's Pay-as-you-go plan",
        "upgrade at https://dashboard.ngrok.com/billing/choose-a-plan?plan=paygo, or use a single domain reserved "
        "at https://dashboard.ngrok.com/domains, or clear [tunnel] domain to get a random URL",
    ),
    "319": ("the configured domain is not reserved on this ngrok account", _DOMAIN_HINT),
    "334": (
        "the configured domain is already online through another ngrok agent",
        "stop the other agent that serves it (wait a few seconds after a crash), or use another domain",
    ),
    "4018": ("ngrok needs a verified account and its authtoken", AUTHTOKEN_HINT),
    "8012": (
        "ngrok reached this machine but could not connect to hookdev's local port",
        "check that hookdev is still listening on the port the tunnel points to",
    ),
}
_CODE = re.compile(r"ERR_NGROK_(\d+)")


@dataclass(frozen=True, slots=True)
class TunnelEvent:
    """Something the agent did on its own: "started", "died", "restarted", "error" or "warning"."""

    kind: str
    message: str


class Tunnel(Protocol):
    public_url: str | None

    async def start(self, local_port: int) -> str: ...

    async def stop(self) -> None: ...

    def on_event(self, callback: Callable[[TunnelEvent], None]) -> None: ...


class NoTunnel:
    """Local-only mode: no public URL, nothing to start or stop."""

    public_url: str | None = None

    async def start(self, local_port: int) -> str:
        return ""

    async def stop(self) -> None:
        return None

    def on_event(self, callback: Callable[[TunnelEvent], None]) -> None:
        return None


def hook_urls(public_url: str, paths: Iterable[str]) -> list[str]:
    """The full URLs to paste into the Okta Admin Console, one per hook path, in order, without repeats."""
    if not public_url:
        return []
    base = public_url.rstrip("/")
    urls = [f"{base}/{path.lstrip('/')}" for path in paths]
    return list(dict.fromkeys(urls))


def find_agent(settings: TunnelSettings) -> str:
    """The ngrok binary to run: [tunnel] ngrok_path, PYNGROK_NGROK_PATH, PATH, then pyngrok's default place.

    pyngrok's own `ngrok` command (a Python script in the virtualenv, which downloads the agent when run) is never
    taken for the agent.
    """
    for source, value in (("[tunnel] ngrok_path", settings.ngrok_path),
                          ("PYNGROK_NGROK_PATH", os.environ.get("PYNGROK_NGROK_PATH", ""))):
        if value.strip():
            return _checked_agent(value.strip(), source)
    scripts: list[str] = []
    for found in _on_path("ngrok"):
        if not is_pyngrok_script(found):
            return found
        scripts.append(found)
    default = Path(installer.get_default_ngrok_dir()) / installer.get_ngrok_bin()
    if default.is_file() and os.access(default, os.X_OK) and not is_pyngrok_script(str(default)):
        return str(default)
    if scripts:
        raise TunnelError(
            f"the ngrok agent is not installed: {scripts[0]} is pyngrok's `ngrok` command, a Python script that "
            "would download the agent, and hookdev never downloads one",
            fix=INSTALL_HINT,
        )
    raise TunnelError(f"no ngrok agent found on PATH or at {default}", fix=INSTALL_HINT)


def _on_path(name: str) -> list[str]:
    """Every executable `name` on PATH, in PATH order."""
    found: list[str] = []
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK) and candidate not in found:
            found.append(candidate)
    return found


def is_pyngrok_script(path: str) -> bool:
    """Whether `path` is the `ngrok` entry point pip installs with pyngrok (a script or a small launcher), which
    runs pyngrok's command line and downloads the real agent, rather than the agent (a binary of megabytes)."""
    try:
        if os.path.getsize(path) > 1024 * 1024:
            return False
        with open(path, "rb") as fh:
            return b"pyngrok.ngrok" in fh.read()
    except OSError:
        return False


def _checked_agent(value: str, source: str) -> str:
    # A bare name ("ngrok3") is looked up on PATH; anything with a slash is a path.
    path = shutil.which(value) if os.sep not in value else str(Path(value).expanduser())
    if path and Path(path).is_file() and os.access(path, os.X_OK):
        if is_pyngrok_script(path):
            raise TunnelError(
                f"{source} is {value!r}, which is pyngrok's `ngrok` command (a Python script that would download "
                "the agent), not the ngrok agent",
                fix=INSTALL_HINT,
            )
        return path
    raise TunnelError(f"{source} is {value!r}, which is not an executable file", fix=INSTALL_HINT)


async def check_agent_version(binary: str, timeout: float = VERSION_TIMEOUT_S,
                              env: dict[str, str] | None = None) -> tuple[int, ...]:
    """The agent's version from `<binary> --version`; TunnelError at once when it is too old or not an agent."""
    try:
        proc = await asyncio.create_subprocess_exec(
            binary, "--version", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
        )
    except OSError as exc:
        raise TunnelError(f"could not run the ngrok agent at {binary}: {exc.strerror or exc}",
                          fix=INSTALL_HINT) from None
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise TunnelError(f"{binary} --version did not answer within {timeout:g} s",
                          fix="check that it is the ngrok agent: run it with `version`") from None
    text = output.decode("utf-8", errors="replace").strip()
    match = re.search(r"\bversion\s+v?(\d+)\.(\d+)(?:\.(\d+))?", text)
    if match is None:
        shown = _first_line(text) if text else "nothing"
        raise TunnelError(f"{binary} does not look like the ngrok agent: `--version` printed {shown!r}",
                          fix=INSTALL_HINT)
    version = tuple(int(part) for part in match.groups() if part is not None)
    if version < MIN_AGENT_VERSION:
        shown = ".".join(str(part) for part in version)
        raise TunnelError(
            f"found ngrok {shown} ({binary}); hookdev needs 3.30 or newer, whose agent API (/api/endpoints) "
            "pyngrok uses",
            fix="run `ngrok update` (or update it with the package manager that installed it), or get it from "
            "https://ngrok.com/download",
        )
    return version


def agent_environment(settings: TunnelSettings, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment the agent runs with: AGENT_ENV and [tunnel] agent_env, nothing else from hookdev's."""
    environ = os.environ if environ is None else environ
    patterns = (*AGENT_ENV, *settings.agent_env)
    return {name: value for name, value in environ.items()
            if _SHELL_NAME.match(name) and any(fnmatch.fnmatchcase(name, p) for p in patterns)}


def write_launcher(path: Path, binary: str, names: Iterable[str], pid_path: Path) -> None:
    """A script that runs the agent with only the named environment variables (pyngrok passes it all).

    It holds names, never values: each is handed on only when set, by the shell that runs the script. Before
    `start` it notes its own pid (the agent's: `exec` keeps it) and its parent's (this hookdev) in pid_path, as
    write_pid would: an agent stuck in its startup can then be found and killed without asking pyngrok.
    """
    kept = " ".join(f'${{{name}+"{name}=${name}"}}' for name in sorted(set(names)) if _SHELL_NAME.match(name))
    env = shutil.which("env") or "/usr/bin/env"
    note_pid = f'printf \'{{"pid": %d, "owner": %d}}\\n\' "$$" "$PPID" > {shlex.quote(str(pid_path))}'
    text = (
        "#!/bin/sh\n"
        "# Written by hookdev: runs the ngrok agent with only the environment it needs.\n"
        f'if [ "$1" = start ]; then {note_pid}; fi\n'
        f'exec {shlex.quote(env)} -i {kept} {shlex.quote(binary)} "$@"\n'
    )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o700)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o700)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


_SHELL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def write_agent_config(path: Path, authtoken: str) -> None:
    """Write the agent's own v3 config, readable by the user only, atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # JSON strings are valid YAML double-quoted scalars, so any token is written safely without a YAML library.
    text = (
        "# Written by hookdev for its ngrok agent; it holds the authtoken, so keep it private.\n"
        "version: 3\n"  # ngrok's agent config v3: version and agent are required
        "agent:\n"
        f"  authtoken: {json.dumps(authtoken)}\n"
        "  inspect_db_size: -1\n"  # ngrok's own request inspection off: hookdev records every call itself
        "  update_check: false\n"
    )
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if hasattr(os, "fchmod"):  # an existing file keeps its mode through O_CREAT; make it private again
            os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def explain(exc: BaseException, secret: str = "") -> TunnelError:
    """Turn a pyngrok/agent failure into one line with the fix; the authtoken never appears in it.

    The agent's own reason is quoted: its first level-less `ERROR:` line (how it reports a config file it
    cannot read), else its first error log line, else pyngrok's message.
    """
    logs: list[NgrokLog] = list(getattr(exc, "ngrok_logs", None) or [])
    texts = [str(exc), str(getattr(exc, "ngrok_error", "") or ""), str(getattr(exc, "body", "") or "")]
    texts += [log.line for log in logs if log.lvl in ("ERROR", "CRITICAL") or _plain_error(log)]
    text = _mask("\n".join(t for t in texts if t), secret)
    match = _CODE.search(text)
    if match and match.group(1) in _ADVICE:
        what, fix = _ADVICE[match.group(1)]
        return TunnelError(f"{what} (ERR_NGROK_{match.group(1)})", code=match.group(1), fix=fix)
    if match:
        code = match.group(1)
        return TunnelError(f"ngrok failed with ERR_NGROK_{code}: {_first_line(text)}", code=code,
                           fix=f"see https://ngrok.com/docs/errors/err_ngrok_{code}")
    reason = _mask(agent_reason(logs) or _first_line(text), secret)
    # The agent itself failed, rather than pyngrok's calls to the agent's local API.
    from_agent = isinstance(exc, PyngrokNgrokError) and not isinstance(
        exc, PyngrokNgrokHTTPError | PyngrokNgrokURLError
    )
    agent_said = [log.line for log in logs if log.lvl in ("ERROR", "CRITICAL")]
    agent_said += [str(getattr(exc, "ngrok_error", "") or "")] if from_agent else []
    if any(_NETWORK_FAILURE.search(line) for line in agent_said):  # what the agent logged, not pyngrok's own calls
        return TunnelError(f"cannot reach ngrok's servers (network or proxy): {reason}", fix=_NETWORK_HINT)
    if from_agent:
        if "configuration file" in reason:
            fix = ("that is the agent's own message about the config file hookdev wrote for it; "
                   "see https://ngrok.com/docs/agent/config/v3/")
        else:
            fix = "run the agent by hand (`ngrok start --none --log stdout`) to see more"
        return TunnelError(f"the ngrok agent did not start: {reason}", fix=fix)
    return TunnelError(f"ngrok failed: {reason}", fix="try again")


def agent_reason(logs: Iterable[NgrokLog]) -> str:
    """The agent's first meaningful error: a level-less `ERROR:` line, else an error log line's err; or ""."""
    logs = list(logs)
    for log in logs:
        plain = _plain_error(log)
        if plain:
            return plain
    for log in logs:
        if log.lvl in ("ERROR", "CRITICAL"):
            detail = log.err if log.err and log.err != "nil" else log.msg or log.line
            return _first_line(str(detail))
    return ""


def _plain_error(log: NgrokLog) -> str:
    """The text of a level-less `ERROR:  ...` line (how the agent reports what stops it before logging starts)."""
    if log.lvl != "NOTSET" or not log.line.startswith("ERROR:"):
        return ""
    return log.line.removeprefix("ERROR:").strip()


def describe_log(log: NgrokLog, secret: str = "") -> str:
    """One agent log line as a sentence, with advice when it names an ngrok error code."""
    detail = log.err if log.err and log.err != "nil" else log.msg or log.line
    text = _mask(str(detail).replace("\\n", " "), secret).strip()
    match = _CODE.search(log.line)
    if match and match.group(1) in _ADVICE:
        what, fix = _ADVICE[match.group(1)]
        return f"ngrok: {what} (ERR_NGROK_{match.group(1)}) — {fix}"
    return f"ngrok: {text}"


_TOKEN_SHOWN = re.compile(r"(?i)(authtoken[\"']?\s*[:=]\s*[\"']?)[^\s\"'\\]+")


def _mask(text: str, secret: str) -> str:
    """The text without the authtoken: the configured one, and any the agent quotes after `authtoken:`."""
    if secret:
        text = text.replace(secret, "****")
    return _TOKEN_SHOWN.sub(r"\1****", text)


def _first_line(text: str) -> str:
    line = next((part.strip() for part in re.split(r"\n|\\n", text) if part.strip()), "no details")
    return line[:300]


def write_pid(path: Path, pid: int) -> None:
    """Note the agent's pid, and this process's as its owner, beside the agent's config."""
    path.write_text(json.dumps({"pid": pid, "owner": os.getpid()}) + "\n", encoding="utf-8")


def _read_pid(path: Path) -> tuple[int, int] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return int(data["pid"]), int(data["owner"])
    except (OSError, ValueError, TypeError, KeyError):
        return None


def remove_pid(path: Path, pid: int) -> None:
    """Remove the pid file if it still names `pid` (a newer agent's file is left alone)."""
    noted = _read_pid(path)
    if noted is not None and noted[0] == pid:
        with contextlib.suppress(OSError):
            path.unlink()


def stop_leftover_agent(pid_path: Path, config_path: Path, wait: float = 3.0) -> int | None:
    """Stop the agent an earlier hookdev started with this config and left running (hookdev was killed before it
    could stop it): it would hold the reserved domain and an agent session. Returns its pid, or None.

    Only a process whose command line names this config file, and whose hookdev is gone, is touched: a pid reused
    by anything else, or the agent of a hookdev still running, is left alone.
    """
    noted = _read_pid(pid_path)
    if noted is None:
        return None
    pid, owner = noted
    if owner != os.getpid() and alive(owner):
        return None
    command = _command_line(pid)
    if command is None or str(config_path) not in command:
        with contextlib.suppress(OSError):
            pid_path.unlink()
        return None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _command_line(pid) is not None:
            time.sleep(0.05)
        if _command_line(pid) is not None:
            os.kill(pid, signal.SIGKILL)
    logger.info("stopped the ngrok agent (pid %s) a previous hookdev left running", pid)
    with contextlib.suppress(OSError):
        pid_path.unlink()
    return pid


def _command_line(pid: int) -> str | None:
    """The command line of a running process, or None when there is none (or it is a zombie)."""
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            if (proc / "stat").read_text().split(") ", 1)[1].startswith("Z"):
                return None
            return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            return None
    if sys.platform == "win32":
        return None
    try:
        result = subprocess.run(["ps", "-o", "stat=,command=", "-p", str(pid)], capture_output=True, text=True,
                                timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    status, _, command = result.stdout.strip().partition(" ")
    return command if result.returncode == 0 and command and not status.startswith("Z") else None


class EndpointOptions(TypedDict, total=False):
    """The endpoint options hookdev hands to ngrok's connect(), beyond its name and upstream: only fields ngrok
    documents for an endpoint. (Inspection is off agent-wide, by inspect_db_size: -1 in the config.)"""

    url: str


class NgrokTunnel:
    """One HTTPS endpoint to a local port through the ngrok agent, watched and restarted when it dies."""

    def __init__(self, settings: TunnelSettings, state_dir: Path, *, restart_delay: float = 1.0,
                 max_restarts: int = 3, startup_timeout: int = 15,
                 launch_timeout: float | None = None) -> None:
        self.public_url: str | None = None
        self._settings = settings
        self._config_path = Path(state_dir) / CONFIG_NAME
        self._restart_delay = restart_delay
        self._max_restarts = max_restarts
        self._startup_timeout = startup_timeout
        # pyngrok checks its startup timeout only between agent output lines, so a silent binary would hang it.
        self._launch_timeout = launch_timeout if launch_timeout is not None else startup_timeout + 5
        self._callbacks: list[Callable[[TunnelEvent], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pyngrok: conf.PyngrokConfig | None = None
        self._agent: ngrok_process.NgrokProcess | None = None
        self._port = 0
        self._live = False  # forward agent log lines as events only while the tunnel is up
        self._stopping = False
        self._watch_task: asyncio.Task[None] | None = None
        self._launch_task: asyncio.Task[str] | None = None

    @property
    def config_path(self) -> Path:
        return self._config_path

    @property
    def pid_path(self) -> Path:
        """Where the running agent's pid is kept, so a start after a crash can stop an agent left behind."""
        return self._config_path.with_name(PID_NAME)

    @property
    def agent_pid(self) -> int | None:
        return self._agent.proc.pid if self._agent is not None else None

    def on_event(self, callback: Callable[[TunnelEvent], None]) -> None:
        self._callbacks.append(callback)

    async def start(self, local_port: int) -> str:
        if self.public_url is not None:
            return self.public_url
        if self._watch_task is not None and not self._watch_task.done():
            raise TunnelError("the ngrok tunnel is restarting", fix="wait for its restarted event, or stop it first")
        self._loop = asyncio.get_running_loop()
        token = self._settings.authtoken.strip()
        if not token:
            raise TunnelError("no ngrok authtoken is configured", fix=AUTHTOKEN_HINT)
        binary = find_agent(self._settings)
        env = agent_environment(self._settings)
        await check_agent_version(binary, env=env)
        if self._settings.region:
            self._emit("warning", f"[tunnel] region = {self._settings.region!r} is deprecated in ngrok v3: the agent "
                                  "picks the region with the lowest latency itself; remove it from hookdev.toml")
        await asyncio.to_thread(write_agent_config, self._config_path, token)
        leftover = await asyncio.to_thread(stop_leftover_agent, self.pid_path, self._config_path)
        if leftover is not None:
            self._emit("warning", f"stopped the ngrok agent (pid {leftover}) that an earlier hookdev, ended before "
                                  "it could stop it, left running")
        if os.name == "posix":  # pyngrok hands the agent hookdev's whole environment: go through a launcher
            launcher = self._config_path.with_name(LAUNCHER_NAME)
            await asyncio.to_thread(write_launcher, launcher, binary, env, self.pid_path)
            binary = str(launcher)
        self._pyngrok = self._pyngrok_config(binary)
        self._port, self._stopping = local_port, False
        url = await self._launch_guarded()
        self._watch_task = asyncio.create_task(self._watch(), name="hookdev-ngrok-watch")
        self._emit("started", f"ngrok tunnel {url} -> http://127.0.0.1:{local_port}")
        return url

    async def stop(self) -> None:
        self._stopping, self._live = True, False
        task, self._watch_task = self._watch_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        launch = self._launch_task
        if launch is not None and not launch.done():
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await launch  # a restart in a thread must finish before its process can be killed
        if self.public_url and self._pyngrok is not None and self._alive():
            with contextlib.suppress(PyngrokError, OSError):
                await ngrok_aio.disconnect(self.public_url, self._pyngrok)
        self.public_url = None
        await self._kill()

    def _pyngrok_config(self, binary: str) -> conf.PyngrokConfig:
        config = conf.PyngrokConfig(
            ngrok_path=binary, config_path=str(self._config_path), auth_token=None,
            region=self._settings.region or None, log_event_callback=self._on_agent_log,
            startup_timeout=self._startup_timeout, config_version="3", ngrok_version="3",
            # Its own session: a Ctrl-C in the terminal goes to hookdev alone, which then stops the agent in order
            # (otherwise the agent dies first and the watcher reports a crash during a normal shutdown).
            start_new_session=True,
        )
        # PyngrokConfig falls back to NGROK_AUTHTOKEN / NGROK_API_KEY from the environment and pyngrok then puts
        # the token on the agent's command line, visible to every user; the token lives in the config file instead.
        config.auth_token = None
        config.api_key = None
        return config

    def _endpoint_options(self) -> EndpointOptions:
        options: EndpointOptions = {}
        domain = self._settings.domain.strip().rstrip("/")
        if domain:
            options["url"] = domain if "://" in domain else f"https://{domain}"
        return options

    async def _launch_guarded(self) -> str:
        # The launch runs in threads that cancellation cannot stop: let it finish, then clean up after it.
        self._launch_task = launch = asyncio.ensure_future(self._launch())
        try:
            return await asyncio.wait_for(asyncio.shield(launch), self._launch_timeout)
        except BaseException as exc:
            while not launch.done():  # the agent may not have started yet when the time ran out: try again
                await asyncio.to_thread(self._kill_starting_agent)
                await asyncio.wait({launch}, timeout=0.05)
            with contextlib.suppress(BaseException):
                await launch
            await self._kill()
            await asyncio.to_thread(self._forget_starting_agent)
            if isinstance(exc, TimeoutError):
                raise TunnelError(f"the ngrok agent did not come up within {self._launch_timeout:g} s",
                                  fix="run the configured binary with `version` to check it is the ngrok agent v3"
                                  ) from None
            raise

    def _forget_starting_agent(self) -> None:
        """Remove the pid the launcher noted for an agent that never came up (it is gone: killed or exited)."""
        noted = _read_pid(self.pid_path)
        if noted is not None and noted[1] == os.getpid():
            remove_pid(self.pid_path, noted[0])

    def _kill_starting_agent(self) -> None:
        # pyngrok holds its process lock for the whole startup, so its kill() would wait for the very thing stuck;
        # killing the child directly ends the startup thread's blocking read. The launcher noted its pid; with no
        # launcher (not POSIX) nothing is noted, and the launch ends only when pyngrok's own startup does.
        noted = _read_pid(self.pid_path)
        if noted is None or noted[1] != os.getpid():
            return
        command = _command_line(noted[0])
        if command is not None and str(self._config_path) in command:
            with contextlib.suppress(ProcessLookupError):
                os.kill(noted[0], signal.SIGKILL)

    async def _launch(self) -> str:
        assert self._pyngrok is not None
        try:
            self._agent = await asyncio.to_thread(ngrok_process.get_process, self._pyngrok)
            await asyncio.to_thread(write_pid, self.pid_path, self._agent.proc.pid)
            tunnel = await ngrok_aio.connect(f"http://127.0.0.1:{self._port}", name=f"hookdev-{self._port}",
                                             pyngrok_config=self._pyngrok, **self._endpoint_options())
        except PyngrokError as exc:
            # `from None`: the agent echoes a rejected authtoken in its error, which a chained traceback would print.
            raise explain(exc, self._settings.authtoken) from None
        except OSError as exc:
            raise TunnelError(f"could not run the ngrok agent at {self._pyngrok.ngrok_path}: {exc}",
                              fix=INSTALL_HINT) from None
        if not tunnel.public_url:
            raise TunnelError("ngrok answered without a public URL", fix="update the agent with `ngrok update`")
        self.public_url, self._live = tunnel.public_url, True
        return tunnel.public_url

    async def _kill(self) -> None:
        agent, self._agent = self._agent, None
        proc = agent.proc if agent is not None else None
        if proc is not None and proc.poll() is None:
            # A polite stop lets the agent close its session, so a reserved domain is free again at once.
            proc.terminate()
            try:
                await asyncio.to_thread(proc.wait, 3)
            except subprocess.TimeoutExpired:
                pass
        if self._pyngrok is not None:
            await ngrok_aio.kill(self._pyngrok)  # kills what is left and clears pyngrok's process cache
        if proc is not None:
            await asyncio.to_thread(remove_pid, self.pid_path, proc.pid)

    def _alive(self) -> bool:
        return self._agent is not None and self._agent.proc.poll() is None

    async def _agent_exit(self) -> None:
        """Until the agent process ends (a thread waits on it, so the loop stays free)."""
        agent = self._agent
        if agent is not None:
            await asyncio.to_thread(agent.proc.wait)

    async def _watch(self) -> None:
        delay = self._restart_delay
        for attempt in range(self._max_restarts + 1):
            await self._agent_exit()
            if self._stopping:
                return
            old_url = self.public_url
            self._report_death(restarting=attempt < self._max_restarts)
            if attempt == self._max_restarts:
                self._emit("error", f"ngrok died {attempt + 1} times; not restarting it again — check the agent's "
                                    "messages above, then restart hookdev; the local receiver keeps running")
                return
            await asyncio.sleep(delay)
            delay *= 2
            await self._kill()
            try:
                url = await self._launch_guarded()
            except TunnelError as exc:
                self._emit("error", f"ngrok could not be restarted: {exc}; the local receiver keeps running")
                return
            note = "" if url == old_url else " (a new URL: paste the new hook URLs into Okta)"
            self._emit("restarted", f"ngrok restarted: {url}{note}")

    def _report_death(self, *, restarting: bool) -> None:
        agent = self._agent
        code = agent.proc.returncode if agent is not None else None
        self._live = False
        logs = list(agent.logs) if agent is not None else []
        errors = [log for log in logs if log.lvl in ("ERROR", "CRITICAL")]
        plain = agent_reason(log for log in logs if log.lvl == "NOTSET")
        if errors:
            reason = f"; last error: {describe_log(errors[-1], self._settings.authtoken)}"
        else:
            reason = f"; it said: {_mask(plain, self._settings.authtoken)}" if plain else ""
        then = "trying to restart it" if restarting else "not restarting it again"
        self._emit("died", f"the ngrok agent exited (code {code}){reason}; {then}, the local receiver keeps running")
        self.public_url = None

    def _on_agent_log(self, log: NgrokLog) -> None:
        # Runs on pyngrok's monitor thread.
        if not self._live or self._stopping:
            return
        if log.lvl in ("ERROR", "CRITICAL"):
            self._emit("error", describe_log(log, self._settings.authtoken))
        elif log.lvl == "WARNING":
            self._emit("warning", describe_log(log, self._settings.authtoken))

    def _emit(self, kind: str, message: str) -> None:
        event = TunnelEvent(kind, _mask(message, self._settings.authtoken))
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening any more
            loop.call_soon_threadsafe(self._dispatch, event)

    def _dispatch(self, event: TunnelEvent) -> None:
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:
                logger.exception("a tunnel event callback failed on %s", event.kind)
