"""gitgate on real forges, set up as docs/SERVER.md says, on 127.0.0.1 only.

* gitolite (Debian's gitolite3) behind a local sshd, the hook through gitolite's repo-specific
  hooks; it must survive `gitolite setup`.
* `git http-backend` behind lighttpd with basic auth, run as www-data.

Each runs propose -> approve -> land, and two refusals: a direct push to main by an approver,
and an approval pushed by someone who is not an approver. The hosting users run gitgate from a
virtualenv made with the system Python (the hook's Python must be theirs to run).

Needs root (it adds a hosting user and starts sshd and lighttpd) and the packages gitolite3,
lighttpd and openssh-server, which .ci/run installs; without them the tests skip, saying why.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC_ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"
HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
SSHD = "/usr/sbin/sshd"
PEOPLE = ("alice", "agent", "mallory")  # alice approves; agent and mallory request


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "needs root (adds a hosting user, starts sshd and lighttpd)"
    wanted = {
        "gitolite": shutil.which("gitolite"),
        "lighttpd": shutil.which("lighttpd") or shutil.which("lighttpd", path="/usr/sbin"),
        "sshd": SSHD if os.path.exists(SSHD) else None,
        "ssh": shutil.which("ssh"),
        "ssh-keygen": shutil.which("ssh-keygen"),
        "git-http-backend": HTTP_BACKEND if os.path.exists(HTTP_BACKEND) else None,
        "system python3": SYSTEM_PYTHON if os.path.exists(SYSTEM_PYTHON) else None,
    }
    absent = [name for name, found in wanted.items() if not found]
    if absent:
        return (
            f"forge packages not installed ({', '.join(absent)} missing): "
            "apt-get install gitolite3 lighttpd openssh-server (.ci/run does)"
        )
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def run(
    args: list[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
    as_user: str | None = None,
    home: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command (as ``as_user`` with ``home`` when given); insist on success if check."""
    full = dict(os.environ)
    full.update(env or {})
    if as_user:
        user_env = {"HOME": str(home), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        args = ["runuser", "-u", as_user, "--", "env", "-i", *_pairs(user_env), *args]
    proc = subprocess.run(
        args, capture_output=True, text=True, env=full, cwd=cwd, check=False, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def _pairs(env: Mapping[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in env.items()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}: {log.read_text()}")


@pytest.fixture(scope="module")
def base() -> Iterator[Path]:
    """A directory every hosting user can traverse (pytest's tmp dirs are root's, 0700)."""
    root = Path(tempfile.mkdtemp(prefix="gitgate-forges-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def gitgate_venv(base: Path) -> Path:
    """docs/SERVER.md: a virtualenv made with the system Python, readable by every user."""
    venv = base / "venv"
    run([SYSTEM_PYTHON, "-m", "venv", str(venv)])
    build = base / "src"  # a copy: the checkout may sit where the hosting user cannot read
    shutil.copytree(
        SRC_ROOT,
        build,
        ignore=shutil.ignore_patterns(".git", "*.egg-info", "__pycache__", ".venv", "build"),
    )
    run([str(venv / "bin" / "pip"), "install", "-q", str(build)])
    return venv


@dataclass
class Client:
    """The people's clones and how they run gitgate and git."""

    root: Path
    url: str
    env: dict[str, str]

    def clone_of(self, who: str) -> Path:
        return self.root / who

    def git(self, who: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(["git", "-C", str(self.clone_of(who)), *args], env=self.env, check=check)

    def gitgate(
        self, who: str, *args: str, actor: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = dict(self.env, GITGATE_ACTOR=actor or who)
        return run(
            [sys.executable, "-m", "gitgate", "-C", str(self.clone_of(who)), *args],
            env=env,
            check=False,
        )


def client_env(home: Path, extra: Mapping[str, str] = {}) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_ALLOW_PROTOCOL": "file:ssh:http",
        "GIT_TERMINAL_PROMPT": "0",
    }
    env.update(extra)
    return env


# -- gitolite over ssh -----------------------------------------------------------------------


@dataclass
class Gitolite:
    user: str
    home: Path
    client: Client

    def as_host(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(list(args), as_user=self.user, home=self.home, check=check)

    @property
    def repo(self) -> Path:
        return self.home / "repositories" / "project.git"


GITOLITE_CONF = """\
repo gitolite-admin
    RW+                         =   admin

repo project
    RW+ gitgate/pending/        =   alice
    RW  gitgate/pending/        =   agent mallory
    RW  refs/notes/gitgate$     =   alice agent mallory
    RW  refs/gitgate/audit$     =   alice agent mallory
    RW  refs/gitgate/archive/   =   alice
    RW  main$                   =   alice
    R                           =   @all
"""
HOOK_OPTION = "    option hook.pre-receive = gitgate\n"


@pytest.fixture(scope="module")
def gitolite(base: Path, gitgate_venv: Path) -> Iterator[Gitolite]:
    user = f"gg{os.getpid() % 100000}gl"
    home = base / "gitolite"
    run(
        [
            "useradd",
            "--system",
            "--home-dir",
            str(home),
            "--create-home",
            "--shell",
            "/bin/sh",
            user,
        ]
    )
    run(["usermod", "-p", "*", user])  # not locked: sshd refuses locked accounts
    sshd_proc: subprocess.Popen[bytes] | None = None
    try:
        keys = base / "keys"
        keys.mkdir()
        for who in ("admin", *PEOPLE):
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(keys / who)])
        shutil.copy(keys / "admin.pub", home / "admin.pub")
        os.chown(home / "admin.pub", pwd.getpwnam(user).pw_uid, -1)
        gl = Gitolite(user, home, Client(base / "gl-clients", "", {}))
        # docs/SERVER.md, gitolite: set-up as the hosting user.
        gl.as_host("gitolite", "setup", "-pk", str(home / "admin.pub"))
        rc = home / ".gitolite.rc"
        text = rc.read_text()
        text = text.replace(
            '# LOCAL_CODE                =>  "$ENV{HOME}/local",',
            'LOCAL_CODE                =>  "$ENV{HOME}/local",',
        )
        text = text.replace("# 'repo-specific-hooks',", "'repo-specific-hooks',")
        rc.write_text(text)
        gl.as_host("mkdir", "-p", str(home / "local" / "hooks" / "repo-specific"))

        sshd_dir = base / "sshd"
        sshd_dir.mkdir()
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(sshd_dir / "host_key")])
        port = free_port()
        (sshd_dir / "config").write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {sshd_dir / 'host_key'}\n"
            f"PidFile {sshd_dir / 'pid'}\nAuthorizedKeysFile .ssh/authorized_keys\n"
            f"AllowUsers {user}\nUsePAM no\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nStrictModes no\nLogLevel ERROR\n"
        )
        Path("/run/sshd").mkdir(exist_ok=True)
        log = sshd_dir / "log"
        sshd_proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(sshd_dir / "config")],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port(port, sshd_proc, log)

        clients = gl.client.root
        (clients / "home").mkdir(parents=True)
        (clients / "home" / ".gitconfig").write_text(
            "[user]\n\tname = Someone\n\temail = someone@example.com\n"
            "[init]\n\tdefaultBranch = main\n"
        )
        gl.client.env = client_env(clients / "home")
        gl.client.url = f"ssh://{user}@127.0.0.1:{port}"

        def ssh_command(who: str) -> str:
            return (
                f"ssh -i {keys / who} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no "
                "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
            )

        gl.ssh_command = ssh_command  # type: ignore[attr-defined]
        admin = clients / "admin"
        run(
            [
                "git",
                "-c",
                f"core.sshCommand={ssh_command('admin')}",
                "clone",
                "-q",
                f"{gl.client.url}/gitolite-admin",
                str(admin),
            ],
            env=gl.client.env,
        )
        run(
            ["git", "-C", str(admin), "config", "core.sshCommand", ssh_command("admin")],
            env=gl.client.env,
        )
        for who in PEOPLE:
            shutil.copy(keys / f"{who}.pub", admin / "keydir" / f"{who}.pub")
        (admin / "conf" / "gitolite.conf").write_text(GITOLITE_CONF)
        _push_admin(gl, "users and the project")
        for who in PEOPLE:
            run(
                [
                    "git",
                    "-c",
                    f"core.sshCommand={ssh_command(who)}",
                    "clone",
                    "-q",
                    f"{gl.client.url}/project",
                    str(clients / who),
                ],
                env=gl.client.env,
            )
            gl.client.git(who, "config", "core.sshCommand", ssh_command(who))
        yield gl
    finally:
        if sshd_proc is not None:
            sshd_proc.terminate()
            sshd_proc.wait(timeout=10)
        run(["userdel", user], check=False)


def _push_admin(gl: Gitolite, message: str) -> None:
    gl.client.git("admin", "add", "-A")
    gl.client.git("admin", "commit", "-qm", message)
    gl.client.git("admin", "push", "-q", "origin", "HEAD")


# -- git http-backend behind lighttpd --------------------------------------------------------


@dataclass
class HttpServer:
    repo: Path
    client: Client


@pytest.fixture(scope="module")
def http(base: Path, gitgate_venv: Path) -> Iterator[HttpServer]:
    root = base / "http"
    repos = root / "repos"
    repos.mkdir(parents=True)
    shutil.chown(repos, "www-data", "www-data")
    # docs/SERVER.md, http-backend: the repository belongs to the web server's user.
    www_home = root / "www-home"
    www_home.mkdir()
    shutil.chown(www_home, "www-data", "www-data")
    run(
        ["git", "init", "-q", "--bare", str(repos / "project.git")],
        as_user="www-data",
        home=www_home,
    )
    run(
        ["git", "--git-dir", str(repos / "project.git"), "config", "http.receivepack", "true"],
        as_user="www-data",
        home=www_home,
    )
    (root / "users").write_text("".join(f"{who}:{who}-secret\n" for who in PEOPLE))
    (root / "docroot").mkdir()
    (root / "run").mkdir()  # lighttpd opens its logs after dropping to www-data
    shutil.chown(root / "run", "www-data", "www-data")
    port = free_port()
    conf = root / "lighttpd.conf"
    conf.write_text(
        f"""server.modules = ("mod_alias", "mod_auth", "mod_authn_file", "mod_cgi", "mod_setenv")
server.bind = "127.0.0.1"
server.port = {port}
server.document-root = "{root / "docroot"}"
server.errorlog = "{root / "run" / "error.log"}"
server.pid-file = "{root / "run" / "pid"}"
server.username = "www-data"
server.groupname = "www-data"
alias.url = ( "/git" => "{HTTP_BACKEND}" )
$HTTP["url"] =~ "^/git" {{
    cgi.assign = ( "" => "" )
    setenv.add-environment = (
        "GIT_PROJECT_ROOT" => "{repos}",
        "GIT_HTTP_EXPORT_ALL" => "",
        "HOME" => "{www_home}"
    )
}}
auth.backend = "plain"
auth.backend.plain.userfile = "{root / "users"}"
auth.require = ( "/git" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
"""
    )
    lighttpd = shutil.which("lighttpd") or "/usr/sbin/lighttpd"
    log = root / "stdout.log"
    proc = subprocess.Popen(
        [lighttpd, "-D", "-f", str(conf)], stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, proc, log)
        clients = root / "clients"
        (clients / "home").mkdir(parents=True)
        (clients / "home" / ".gitconfig").write_text(
            "[user]\n\tname = Someone\n\temail = someone@example.com\n"
            "[init]\n\tdefaultBranch = main\n"
        )
        client = Client(clients, f"http://127.0.0.1:{port}/git", client_env(clients / "home"))
        for who in PEOPLE:
            url = f"http://{who}:{who}-secret@127.0.0.1:{port}/git/project.git"
            run(["git", "clone", "-q", url, str(clients / who)], env=client.env)
        yield HttpServer(repos / "project.git", client)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- the flow, the same on both --------------------------------------------------------------


def set_up_policy(client: Client) -> None:
    """docs/SERVER.md: `gitgate init` in a clone, then push main and the audit log."""
    client.git("alice", "checkout", "-q", "-B", "main")
    (client.clone_of("alice") / "README.md").write_text("hello\n")
    client.git("alice", "add", "README.md")
    client.git("alice", "commit", "-qm", "initial")
    init = client.gitgate("alice", "init", "--approver", "alice")
    assert init.returncode == 0, init.stderr
    client.git("alice", "push", "-q", "origin", "main", "refs/gitgate/audit")


def join_clones(client: Client) -> None:
    for who in ("agent", "mallory"):
        client.git(who, "fetch", "-q", "origin")
        init = client.gitgate(who, "init")
        assert init.returncode == 0, init.stderr
        assert "kept the existing policy" in init.stdout


def server_tip(client: Client, ref: str) -> str:
    out = client.git("alice", "ls-remote", "origin", ref).stdout.split()
    return out[0] if out else ""


def propose_approve_land(client: Client) -> None:
    change = client.root / "change.md"
    change.write_text("a change\n")
    proposed = client.gitgate(
        "agent",
        "propose",
        "write",
        "docs/change.md",
        "--from",
        str(change),
        "-m",
        "add docs",
        "--push",
    )
    assert proposed.returncode == 0, proposed.stderr
    pid = proposed.stdout.strip()
    before = server_tip(client, "refs/heads/main")

    # a non-approver approving: refused, main untouched, whatever identity she claims
    for actor in ("mallory", "alice"):
        refused = client.gitgate("mallory", "approve", pid, "--push", actor=actor)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert refused.stderr.startswith("error: "), refused.stderr
        assert "internal error" not in refused.stderr
        assert server_tip(client, "refs/heads/main") == before
    client.git("mallory", "reset", "-q", "--hard", "origin/main", check=False)

    approved = client.gitgate("alice", "approve", pid, "--push")
    assert approved.returncode == 0, approved.stderr
    client.git("alice", "fetch", "-q", "origin")
    landed = client.git("alice", "show", "origin/main:docs/change.md").stdout
    assert landed == "a change\n"
    assert server_tip(client, "refs/heads/main") != before


def direct_push_is_refused(client: Client) -> str:
    client.git("alice", "fetch", "-q", "origin")
    client.git("alice", "checkout", "-q", "-B", "direct", "origin/main")
    (client.clone_of("alice") / "README.md").write_text("sneaky\n")
    client.git("alice", "commit", "-qam", "direct")
    before = server_tip(client, "refs/heads/main")
    pushed = client.git("alice", "push", "origin", "direct:main", check=False)
    assert pushed.returncode != 0, pushed.stderr
    assert server_tip(client, "refs/heads/main") == before
    client.git("alice", "checkout", "-q", "main")
    return pushed.stderr


# -- the tests -------------------------------------------------------------------------------


def test_gitolite_over_ssh(gitolite: Gitolite, gitgate_venv: Path) -> None:
    gl, client = gitolite, gitolite.client
    set_up_policy(client)
    gitgate = str(gitgate_venv / "bin" / "gitgate")
    installed = gl.as_host(gitgate, "hook", "install", "--repo", str(gl.repo))
    assert "(gitolite)" in installed.stdout, installed.stdout
    assert "option hook.pre-receive = gitgate" in installed.stderr  # not active yet: says how
    assert not (gl.repo / "hooks" / "pre-receive.legacy").exists()  # gitolite's hooks kept

    conf = client.clone_of("admin") / "conf" / "gitolite.conf"
    conf.write_text(conf.read_text() + HOOK_OPTION)
    _push_admin(gl, "gitgate's hook on project")
    status = gl.as_host(gitgate, "hook", "status", "--repo", str(gl.repo), check=False)
    assert status.returncode == 0, status.stdout + status.stderr

    join_clones(client)
    assert "gitgate: refused refs/heads/main" in direct_push_is_refused(client)
    propose_approve_land(client)

    gl.as_host("gitolite", "setup")  # gitolite re-creates its hooks: gitgate's must survive
    status = gl.as_host(gitgate, "hook", "status", "--repo", str(gl.repo), check=False)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "gitgate: refused refs/heads/main" in direct_push_is_refused(client)


def test_http_backend_behind_lighttpd(http: HttpServer, gitgate_venv: Path) -> None:
    client = http.client
    set_up_policy(client)
    gitgate = str(gitgate_venv / "bin" / "gitgate")
    www_home = http.repo.parent.parent / "www-home"
    installed = run(
        [gitgate, "hook", "install", "--forge", "http-backend", "--repo", str(http.repo)],
        as_user="www-data",
        home=www_home,
    )
    assert "policy branch: main" in installed.stdout
    status = run(
        [gitgate, "hook", "status", "--repo", str(http.repo)],
        as_user="www-data",
        home=www_home,
        check=False,
    )
    assert status.returncode == 0, status.stdout + status.stderr

    join_clones(client)
    assert "gitgate: refused refs/heads/main" in direct_push_is_refused(client)
    propose_approve_land(client)
