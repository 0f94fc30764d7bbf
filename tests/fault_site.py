"""A test's installation for server processes (database, index, uploads, a coordinator's token), and how the
fault tests send a request and kill the server in the middle of it."""
from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

import database
from accounts import tokens
from accounts.users import create_user
from tests.conftest import ON_POSTGRES
from tests.server_process import PROJECT, ServerProcess, flask_command

KILL_SPAN = 1.15  # kill moments spread over the request's usual time, and a little beyond its end
REQUEST_TIMEOUT = 120
SERVER_NAME = "mll-faults-server"  # the server processes' application_name on PostgreSQL


@dataclass
class Site:
    """One installation for server processes: the test's database, index and uploads, and a coordinator's token."""

    app: object
    root: Path
    token: str
    servers: list[ServerProcess] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        config, url = self.app.config, make_url(self.app.config["DATABASE_URL"])
        if url.get_backend_name() == "postgresql":  # its sessions are told from the test's own (settled)
            url = url.update_query_dict({"application_name": SERVER_NAME})
        return {"DATABASE_URL": url.render_as_string(hide_password=False), "INDEX_DIR": config["INDEX_DIR"],
                "UPLOAD_DIR": config["UPLOAD_DIR"], "SECRET_KEY": "test"}

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def server(self, gunicorn: bool = False) -> ServerProcess:
        """`flask run`, or with gunicorn=True gunicorn as in production (see ServerProcess)."""
        self.servers.append(ServerProcess(self.env, self.root / "server.log", gunicorn))
        return self.servers[-1]

    def stop_servers(self) -> None:
        for server in self.servers:
            server.kill()

    def flask(self, *args: str) -> str:
        """A command of the application in a process of its own, as an administrator would run it."""
        done = subprocess.run(flask_command(*args), cwd=PROJECT, env={**os.environ, **self.env}, capture_output=True,
                              text=True, timeout=REQUEST_TIMEOUT)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def upload(self, data: bytes, name: str = "kiem-thu.mrc") -> dict:
        return {"files": {"file": (name, data)}, "data": {"library": "TVQT"}, "headers": self.headers,
                "timeout": REQUEST_TIMEOUT}


def site_for(app, root: Path) -> Site:
    with app.app_context(), database.transaction() as db:
        user = create_user(db, "vanhanh", "mat-khau-thu-nghiem", "coordinator", None, "test")
        return Site(app, root, tokens.create_token(db, user, "faults", user))


def killed_during(server: ServerProcess, delay: float, path: str, after: Callable[[], bool] | None = None,
                  **request) -> requests.Response | None:
    """POST to the server and SIGKILL it `delay` seconds later, or `delay` seconds after `after()` first holds
    (looked at every 10 ms while the request runs); its answer, if one came first."""
    answers = []

    def send():
        try:
            answers.append(requests.post(f"{server.url}{path}", **request))
        except requests.RequestException:
            pass

    sender = threading.Thread(target=send)
    sender.start()
    while after is not None and sender.is_alive() and not after():
        time.sleep(0.01)
    time.sleep(delay)
    server.kill()
    sender.join()
    return answers[0] if answers else None


def settled(app) -> None:
    """Wait until PostgreSQL has ended the killed server's sessions: a COMMIT sent just before the kill still
    completes, then the session sees its client gone. (A dead process holds nothing in SQLite.) Only this test's
    database counts: another run of these tests may have servers of its own on the same PostgreSQL."""
    if not ON_POSTGRES:
        return
    deadline = time.monotonic() + 60
    with app.app_context():
        db = database.session()
        while db.scalar(text("select count(*) from pg_stat_activity where application_name = :name"
                             " and datname = current_database()"), {"name": SERVER_NAME}):
            db.rollback()  # statistics are read once per transaction
            assert time.monotonic() < deadline, "the killed server's sessions are still there after a minute"
            time.sleep(0.05)


def eventually(read, wanted, seconds: float = 180):
    """What read() gives once it gives `wanted`, or at the end of `seconds` (for the assertion to show)."""
    deadline = time.monotonic() + seconds
    while (found := read()) != wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def search_total(server: ServerProcess, query: str, **params) -> int:
    answer = requests.get(f"{server.url}/api/search", params={"q": query, "per_page": 1, **params}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["total"]


@dataclass(frozen=True)
class Timing:
    """When a request's work was committed and when it answered, seconds after it was sent."""

    committed: float
    answered: float

    def kill_moment(self, rng: random.Random) -> float:
        """Half the trials kill before the commit, half anywhere up to a little after the answer."""
        return rng.uniform(0, self.committed) if rng.random() < 0.5 else rng.uniform(0, KILL_SPAN * self.answered)


def timed(app, send, committed) -> tuple[Timing, requests.Response]:
    """Send a request, watching the database every 10 ms for the moment `committed(db)` first holds."""
    seen, done = [], threading.Event()

    def watch():
        with app.app_context():
            db = database.session()
            while not done.is_set() and not committed(db):
                db.rollback()
                time.sleep(0.01)
            seen.append(time.monotonic())

    watcher = threading.Thread(target=watch)
    started = time.monotonic()
    watcher.start()
    answer = send()
    answered = time.monotonic()
    done.set()
    watcher.join()
    return Timing(min(seen[0], answered) - started, answered - started), answer
