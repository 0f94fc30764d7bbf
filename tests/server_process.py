"""The application as real server processes on 127.0.0.1, to be killed and started again: `flask run` (each
process indexes its own changes, as `make run` and the command line do) or gunicorn as in production
(gunicorn.conf.py: workers that only commit, and the index follower that indexes)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

PROJECT = Path(__file__).resolve().parents[1]
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flask_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "app", *args]


def gunicorn_command() -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]


# How the application brings its index up to date, by the way it is served (gunicorn.conf.py sets its own).
INDEXING = ("SEARCH_SYNC", "SEARCH_SYNC_ON_START", "PUBLIC_PAGE_GRACE_SECONDS")


def process_groups(root: int) -> set[int]:
    """The process groups of a process and of all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    group_of: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (name)": state, ppid, pgrp
        except (OSError, IndexError):
            continue  # ended meanwhile
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        group_of[pid] = int(fields[2])
    groups, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in group_of:
            groups.add(group_of[pid])
        todo += children.get(pid, [])
    return groups


def _kill_groups(groups: set[int]) -> None:
    for group in groups - {os.getpgrp()}:  # never the test's own
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class ServerProcess:
    """A server in a session of its own with the environment given; everything it writes goes to `log`.

    `flask run` indexes in the process that commits and catches up at its start (SEARCH_SYNC_ON_START=1).
    With `gunicorn=True`: the master, two workers and the index follower, one process group; answers are kept
    for readers with no grace (PUBLIC_PAGE_GRACE_SECONDS=0), so that a search shows the index as it is."""

    def __init__(self, env: dict[str, str], log: Path, gunicorn: bool = False):
        inherited = {name: value for name, value in os.environ.items() if name not in INDEXING}
        served = ({"WEB_CONCURRENCY": "2", "THREADS": "4", "PUBLIC_PAGE_GRACE_SECONDS": "0"} if gunicorn else
                  {"SEARCH_SYNC": "inline", "SEARCH_SYNC_ON_START": "1"})
        self.env = {**inherited, "FLASK_DEBUG": "0", **served, **env}
        self.log, self.gunicorn = log, gunicorn
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        self.port = free_port()
        if self.gunicorn:
            command, env = gunicorn_command(), {**self.env, "BIND": f"127.0.0.1:{self.port}"}
        else:
            command = flask_command("run", "--host", "127.0.0.1", "--port", str(self.port), "--no-reload",
                                    "--no-debugger")
            env = self.env
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self._wait_until_answering()
        return self

    @property
    def name(self) -> str:
        return "gunicorn and its index follower" if self.gunicorn else "flask run"

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{self.output()[-3000:]}")
            try:  # gunicorn's master listens before its workers have loaded the application: a wait, not a failure
                requests.get(f"{self.url}/login", timeout=max(deadline - time.monotonic(), 1))
                return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"the server did not answer within {START_SECONDS} s:\n{self.output()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL to every process of the server, gunicorn's index follower too (in a process group of its own):
        no handler, no clean-up, as when the machine loses power."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM, wait=30)

    def _signal(self, signum: int, wait: float | None = None) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        groups = process_groups(self.process.pid)  # before any dies: an orphan no longer shows whose it was
        try:
            if signum == signal.SIGKILL:
                _kill_groups(groups)
            else:  # gunicorn's master stops its workers and its follower
                os.killpg(self.process.pid, signum)
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            self.process.wait()
        _kill_groups(groups)  # whatever outlived its master

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()
