"""The programs the bench needs and the servers it starts: PostgreSQL, Redis, gunicorn, Django."""

import json
import os
import runpy
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
import requests

from bench import database

PROJECT = Path(__file__).resolve().parent.parent
POSTGRESQL_CLUSTERS = Path("/etc/postgresql")
WORKERS = 2
HOST = "127.0.0.1"  # only loopback addresses are ever loaded


def serving() -> str:
    """How the bench's gunicorn serves, by `make serve`'s settings (gunicorn.conf.py, which
    gunicorn reads from the project's directory): "2 gthread workers of 4 threads"."""
    settings = runpy.run_path(str(PROJECT / "gunicorn.conf.py"))
    return f"{WORKERS} {settings['worker_class']} workers of {settings['threads']} threads"


def ensure_program(name: str) -> None:
    """The Debian package of that name is installed, by the bench when it runs as root."""
    if shutil.which(name):
        return
    if os.geteuid() != 0:
        raise SystemExit(f"The bench needs {name}: install it (apt-get install {name}).")
    subprocess.run(["apt-get", "install", "-y", "-qq", name], check=True)


def ensure_postgresql() -> None:
    if database.server_answers():
        return
    versions = sorted(POSTGRESQL_CLUSTERS.iterdir()) if POSTGRESQL_CLUSTERS.is_dir() else []
    if len(versions) != 1:
        raise SystemExit(
            f"PostgreSQL does not answer at {database.SERVER_URL}, and the bench starts it only "
            f"when {POSTGRESQL_CLUSTERS} holds exactly one version."
        )
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[0].name, "main", "start"]
    subprocess.run(command, check=True)
    wait_until(database.server_answers, "PostgreSQL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def redis_server() -> Iterator[int]:
    """A private Redis on a free port, keeping nothing on disk; yields the port."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: redis_answers(port), "Redis", process)
        yield port
    finally:
        stop(process)


def redis_answers(port: int) -> bool:
    try:
        return bool(redis.Redis(host=HOST, port=port).ping())
    except redis.ConnectionError:
        return False


def redis_version(port: int) -> str:
    return redis.Redis(host=HOST, port=port).info("server")["redis_version"]


@contextmanager
def gunicorn(environment: dict[str, str], log: Path) -> Iterator[str]:
    """The app served as `make serve` does, logging to the given file; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "goals_admin.wsgi:application"]
    command += ["--workers", str(WORKERS), "--bind", f"{HOST}:{port}"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=environment, cwd=PROJECT, stdout=output, stderr=subprocess.STDOUT
        )
    base_url = f"http://{HOST}:{port}"
    try:
        wait_until(lambda: healthy(base_url), "gunicorn", process)
        yield base_url
    except (Exception, SystemExit):
        # The log goes with the bench's temporary directory; what went wrong is in its end.
        sys.stderr.write(f"The end of gunicorn's log:\n{log.read_text(errors='replace')[-5000:]}")
        raise
    finally:
        stop(process)


def healthy(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/healthz", timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or still loading the app
        return False


def wait_until(
    ready: Callable[[], bool],
    what: str,
    process: subprocess.Popen | None = None,
    seconds: float = 30,
) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if process is not None and process.poll() is not None:
            raise SystemExit(f"{what} stopped (exit status {process.returncode}) before it was up.")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} was not up after {seconds:.0f} seconds.")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def manage(environment: dict[str, str], *arguments: str) -> None:
    command = [sys.executable, "manage.py", *arguments, "--verbosity", "0"]
    subprocess.run(command, env=environment, cwd=PROJECT, check=True)


def django_step(step: str, environment: dict[str, str], given: Any = None) -> Any:
    """What a step of bench.django_step returns; what it was given goes as JSON on its stdin."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.django_step", step],
        input=json.dumps(given),
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"bench.{step} failed:\n{completed.stderr[-5000:]}")
    return json.loads(completed.stdout)
