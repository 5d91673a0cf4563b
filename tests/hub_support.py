"""A real one-machine JupyterHub for the tests, set up as docs/jupyterhub.md tells it.

* **The venv** every account runs (``/opt/cnnbook-hub-test/venv``): made from Debian's own
  Python 3.11 (``/usr/bin/python3.11``) in a folder every account can read, with
  ``requirements-hub.txt`` installed from pip's cache (the README's test command has just
  installed the same pins, so the cache is warm). It is kept between runs while the
  requirements are unchanged; the course's package (``-e``, from ``/opt/.../src``) is
  copied afresh every run.
* **Unix accounts** made by the test (``useradd``, a password set with ``chpasswd``,
  home folders 0700), removed with their homes at the end whatever happens. The hub logs
  them in through PAM.
* **The hub**: ``jupyterhub`` from that venv, configurable-http-proxy from npm
  (``node_modules/.bin``, installed by ``tools/install_system_packages.sh``), on free
  loopback ports, LocalProcessSpawner (each server runs as its account), stopped at the
  end with every process of the test's accounts.

Everything the docs put in ``/etc`` goes into the venv's own ``etc/jupyter`` (which
Jupyter and nbgrader read for every user of that venv) or is undone at the end, so the
test leaves the machine as it found it. Needs root (CI runs as root).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .postgres_support import free_port

REPO = Path(__file__).resolve().parents[1]
BASE = Path("/opt/cnnbook-hub-test")  # every account can read it; root writes it
VENV = BASE / "venv"
SRC = BASE / "src"
PYTHON = Path("/usr/bin/python3.11")  # Debian's: every account can run it
PROXY = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
COURSE_ID = "cnn-from-the-ground-up"
# nbgrader's lab plugins and server extension only the instructor gets
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader",
                                "nbgrader.server_extensions.course_list")
# `jupyter server extension enable --user` refuses an extension that the user's own
# config folder does not list yet: the instructor writes this file instead
INSTRUCTOR_SERVER_CONFIG = json.dumps(
    {"ServerApp": {"jpserver_extensions": dict.fromkeys(INSTRUCTOR_SERVER_EXTENSIONS, True)}},
    indent=2)


def missing_requirements() -> list[str]:
    """What this machine lacks for the hub test (empty: ready)."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (the test creates Unix accounts)")
    for tool in ("useradd", "userdel", "chpasswd", "runuser"):
        if not shutil.which(tool):
            missing.append(tool)
    if not PYTHON.exists():
        missing.append(f"{PYTHON} (apt-get install python3.11 python3.11-venv)")
    if not PROXY.exists():
        missing.append("configurable-http-proxy (npm ci, in tools/install_system_packages.sh)")
    if not shutil.which("node"):
        missing.append("node (apt-get install nodejs npm)")
    if not shutil.which("bwrap"):
        missing.append("bubblewrap")
    return missing


def run(cmd: list[str], *, user: str | None = None, cwd: Path | str | None = None,
        input: str | None = None, timeout: float = 300, check: bool = True,
        env: dict | None = None) -> subprocess.CompletedProcess:
    """``cmd`` as root, or as ``user`` through a login shell's environment (``runuser -l``
    would reset PATH as a hub terminal does; here PATH is given: the venv, then the system)."""
    if user is not None:
        home = pwd.getpwnam(user).pw_dir
        base_env = {"HOME": home, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
                    "PATH": f"{VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
                    **(env or {})}
        cmd = ["runuser", "-u", user, "--", "env", "-i",
               *[f"{k}={v}" for k, v in base_env.items()], *cmd]
        cwd = cwd or home
    proc = subprocess.run(cmd, cwd=cwd, input=input, capture_output=True, text=True,
                          timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def login_shell(user: str, command: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``command`` in ``user``'s login shell, as a hub terminal runs it (``bash -l``: PATH
    comes from /etc/profile and /etc/profile.d/, not from the server)."""
    return subprocess.run(["runuser", "-l", user, "-c", command], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


# -- the venv -------------------------------------------------------------------------------

def _requirements_stamp() -> str:
    h = hashlib.sha256()
    # the pins; the course's package is installed editable from SRC, refreshed every run
    for name in ("requirements-hub.txt", "requirements-student.txt"):
        h.update((REPO / name).read_bytes())
    h.update(PYTHON.resolve().as_posix().encode())
    return h.hexdigest()


def _copy_source() -> None:
    """The course's package and requirement files into SRC (what the docs clone there)."""
    SRC.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", "README.md", "requirements-hub.txt",
                 "requirements-student.txt", "requirements.txt"):
        shutil.copy(REPO / name, SRC / name)
    shutil.rmtree(SRC / "cnnbook", ignore_errors=True)
    shutil.copytree(REPO / "cnnbook", SRC / "cnnbook",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


@dataclass
class VenvInfo:
    path: Path
    seconds: float  # making it (0 when reused)
    reused: bool


def hub_venv() -> VenvInfo:
    """The shared venv, made (or reused) as docs/jupyterhub.md's first step says."""
    BASE.mkdir(parents=True, exist_ok=True)
    os.chmod(BASE, 0o755)
    with open(BASE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _copy_source()
        stamp = _requirements_stamp()
        stamp_file = VENV / ".cnnbook-requirements"
        started = time.monotonic()
        reused = stamp_file.exists() and stamp_file.read_text() == stamp and \
            (VENV / "bin" / "jupyterhub").exists()
        if not reused:
            shutil.rmtree(VENV, ignore_errors=True)
            run([str(PYTHON), "-m", "venv", str(VENV)])
            run([str(VENV / "bin" / "pip"), "install", "-q", "-r", "requirements-hub.txt"],
                cwd=SRC, timeout=900)
            stamp_file.write_text(stamp)
        # nbgrader's instructor panels hidden from everyone (docs/jupyterhub.md, section
        # 4); the instructor turns them on for herself. JupyterLab (4.1 on) locks the
        # plugins the first `disable` of a config folder finds disabled: unlocked, or the
        # instructor's own setting could not turn them on.
        jupyter = str(VENV / "bin" / "jupyter")
        steps = [
            [jupyter, "labextension", "disable", "--level=sys_prefix", *INSTRUCTOR_LAB_PLUGINS],
            [jupyter, "labextension", "unlock", "--level=sys_prefix", *INSTRUCTOR_LAB_PLUGINS],
            [jupyter, "server", "extension", "disable", "--sys-prefix",
             *INSTRUCTOR_SERVER_EXTENSIONS],
        ]
        panels_file = VENV / ".cnnbook-panels"
        if not panels_file.exists() or panels_file.read_text() != json.dumps(steps):
            for step in steps:
                run(step)
            panels_file.write_text(json.dumps(steps))
        seconds = 0.0 if reused else time.monotonic() - started
        run(["chmod", "-R", "a+rX,go-w", str(BASE)])
    return VenvInfo(VENV, seconds, reused)


def write_everyone_config(exchange: Path) -> Path:
    """docs/jupyterhub.md's /etc/jupyter/nbgrader_config.py, in the venv's etc/jupyter
    (read for every account that runs this venv, and only for them)."""
    conf = VENV / "etc" / "jupyter" / "nbgrader_config.py"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        "c.Validator.width = 140\n"
    )
    conf.chmod(0o644)
    return conf


# -- accounts -------------------------------------------------------------------------------

def account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def processes_of(uid: int) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if proc.stat().st_uid == uid:
                    pids.append(int(proc.name))
            except OSError:
                pass
    return pids


def remove_account(name: str) -> None:
    """The account, its processes (all started by this test) and its home."""
    if not account_exists(name):
        return
    uid = pwd.getpwnam(name).pw_uid
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in processes_of(uid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 10
        while processes_of(uid) and time.monotonic() < deadline:
            time.sleep(0.2)
    home = pwd.getpwnam(name).pw_dir
    subprocess.run(["userdel", "-r", "-f", name], capture_output=True, timeout=60)
    if home.startswith("/home/") and Path(home).exists():
        shutil.rmtree(home, ignore_errors=True)
    subprocess.run(["rm", "-f", f"/var/mail/{name}"], capture_output=True)


def create_account(name: str, password: str) -> Path:
    """A Unix account with a password (PAM logs it in) and a private (0700) home."""
    remove_account(name)  # left over by an interrupted run
    run(["useradd", "--create-home", "--shell", "/bin/bash", name])
    run(["chpasswd"], input=f"{name}:{password}\n")
    home = Path(pwd.getpwnam(name).pw_dir)
    home.chmod(0o700)  # docs/jupyterhub.md: HOME_MODE 0700 (Debian's default is 0755)
    return home


# -- the hub --------------------------------------------------------------------------------

@dataclass
class Hub:
    folder: Path  # root's: the hub's config, database, cookie secret and log
    users: dict[str, str]  # name -> password
    instructor: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / "jupyterhub.log"

    def config(self) -> str:
        hub_port, api_port = free_port(), free_port()
        path = f"{VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin"
        return f"""c = get_config()  # noqa: F821
c.JupyterHub.bind_url = {self.url + '/'!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
c.JupyterHub.db_url = "sqlite:///{self.folder / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(self.folder / 'cookie_secret')!r}
c.JupyterHub.pid_file = {str(self.folder / 'jupyterhub.pid')!r}
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {set(self.users)!r}
c.Authenticator.admin_users = {{{self.instructor!r}}}
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{str(VENV / 'bin' / 'jupyterhub-singleuser')!r}]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {{"PATH": {path!r}}}
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120
c.JupyterHub.shutdown_on_logout = False
"""

    def start(self) -> Hub:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        (self.folder / "jupyterhub_config.py").write_text(self.config())
        log = open(self.log, "w")  # noqa: SIM115 - the hub's output, closed by the child
        self.proc = subprocess.Popen(
            [str(VENV / "bin" / "jupyterhub"), "-f", "jupyterhub_config.py"],
            cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={"PATH": f"{VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                 "HOME": "/root"},
        )
        log.close()
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api", timeout=2) as r:
                    if json.load(r).get("version"):
                        return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterHub did not start:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.5)

    def stop(self) -> None:
        """The hub stops the servers it spawned and its proxy on SIGTERM."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def temp_base() -> Path:
    """A fresh folder under /tmp that every account can traverse (pytest's own temporary
    folders are under a 0700 folder of root's)."""
    base = Path(tempfile.mkdtemp(prefix="cnnbook-hub-", dir="/tmp"))
    base.chmod(0o755)
    return base
