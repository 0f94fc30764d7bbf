"""Production mode: gunicorn with several workers sharing one search index, `/healthz`, and logs as JSON lines."""
from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

import database
from app import create_app
from catalog.importer import import_file
from search_index import indexer
from tests.conftest import PROJECT
from tests.factories import iso2709, make_record, write


def records(count: int, prefix: str = "QT"):
    return [make_record(f"{prefix}{n:04d}", title=f"Địa chí làng {prefix} {n}", copies=(("TVQT", f"{prefix}.{n}"),))
            for n in range(count)]


def test_health_says_the_database_answers_and_how_far_behind_the_index_is(app, client, tmp_path, monkeypatch):
    fresh = client.get("/healthz")
    assert fresh.status_code == 200 and fresh.headers["Cache-Control"] == "no-store"
    assert fresh.get_json()["checks"]["database"] == {"status": "ok"}
    with monkeypatch.context() as patched, app.app_context():
        patched.setattr(indexer, "sync", lambda *args, **kwargs: 0)  # committed, the index not told yet
        import_file(database.engine(), write(tmp_path / "a.mrc", iso2709(*records(3))))
    behind = client.get("/healthz").get_json()
    assert behind["status"] == "ok" and behind["checks"]["index"]["behind"] >= 3  # changes: records, editions
    with app.app_context():
        indexer.sync(database.session(), app.config["INDEX_DIR"])
    caught_up = client.get("/healthz").get_json()["checks"]["index"]
    assert caught_up["behind"] == 0 and caught_up["generation"].startswith("index")


def test_health_is_503_naming_what_failed(app, tmp_path):
    unreachable = create_app({**app.config, "DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/catalog.db"})
    answer = unreachable.test_client().get("/healthz")
    assert answer.status_code == 503 and answer.get_json()["checks"]["database"]["status"] == "error"
    with app.app_context():
        import_file(database.engine(), write(tmp_path / "a.mrc", iso2709(*records(1))))
    not_a_folder = write(tmp_path / "index-is-a-file", b"")
    broken = create_app({**app.config, "INDEX_DIR": str(not_a_folder)}).test_client().get("/healthz")
    assert broken.status_code == 503 and broken.get_json()["checks"]["index"]["status"] == "error"


THREAD_AT_THE_WORST_MOMENT = """
import sys, threading
from sqlalchemy import event
from sqlalchemy.orm import Mapper
started = []
# Threads are held, then run at the worst moment for the race seen under gunicorn:
threading.Thread.start = lambda thread: started.append(thread)


@event.listens_for(Mapper, "after_mapper_constructed")
def between_transfer_and_its_events(mapper, cls):  # Transfer mapped, TransferEvent (named by it) not yet
    while cls.__name__ == "Transfer" and started:
        started.pop().run()


from app import create_app
app = create_app({"DATABASE_URL": sys.argv[1], "INDEX_DIR": sys.argv[2], "SEARCH_SYNC_ON_START": True,
                  "SECRET_KEY": "test"})
while started:
    started.pop().run()
client = app.test_client()
print(client.get("/search", query_string={"q": "Quảng Trị"}).status_code, client.get("/healthz").status_code)
"""


def test_a_worker_catching_up_at_start_serves_and_is_healthy(app, tmp_path):
    """The start-up catch-up queries at once; when it ran before create_app had imported every package's models,
    SQLAlchemy failed to configure TransferEvent and the worker answered 500 to everything, /healthz 200."""
    with app.app_context():
        import_file(database.engine(), write(tmp_path / "a.mrc", iso2709(*records(2))))  # the index is behind
    started = subprocess.run([sys.executable, "-c", THREAD_AT_THE_WORST_MOMENT, app.config["DATABASE_URL"],
                              app.config["INDEX_DIR"]], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert started.stdout.split() == ["200", "200"], started.stderr[-3000:]


@pytest.fixture
def json_logs():
    """The stream a LOG_FORMAT=json application writes to; the root logger as it was afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


def test_logs_are_json_lines_with_an_access_line_per_request(app, json_logs):
    logged = create_app({**app.config, "LOG_FORMAT": "json", "LOG_STREAM": json_logs})
    answer = logged.test_client().get("/search?q=hue", headers={"X-Request-Id": "req-42"})
    assert answer.status_code == 200 and answer.headers["X-Request-Id"] == "req-42"
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "access"]
    assert access[-1] | {"time": None, "duration_ms": None} == {
        "time": None, "level": "INFO", "logger": "access", "message": "GET /search 200", "request_id": "req-42",
        "method": "GET", "path": "/search", "status": 200, "duration_ms": None, "user": None,
        "remote_addr": "127.0.0.1", "cache": "miss"}  # a reader's search: made now, kept (serving/page_cache.py)
    assert isinstance(access[-1]["duration_ms"], float)


def test_a_request_stopped_before_its_view_is_logged_with_its_id_too(app, json_logs):
    """A query string over 4 KB is refused before anything else runs: its line still has the proxy's id."""
    logged = create_app({**app.config, "LOG_FORMAT": "json", "LOG_STREAM": json_logs})
    answer = logged.test_client().get("/search?q=" + "a" * 5000, headers={"X-Request-Id": "req-414"})
    assert answer.status_code == 414 and answer.headers["X-Request-Id"] == "req-414"
    access = [json.loads(line) for line in json_logs.getvalue().splitlines() if '"access"' in line]
    assert access[-1]["request_id"] == "req-414" and isinstance(access[-1]["duration_ms"], float)


# --- gunicorn, for real --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str, timeout: float = 30):
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return answer.status, json.loads(answer.read())


@contextmanager
def gunicorn_server(app, folder: Path, index_dir: str, workers: int = 3):
    """The application under gunicorn (gunicorn.conf.py) on the test's database: (its address, its log)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    environment = {**os.environ, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers), "THREADS": "2",
                   "DATABASE_URL": app.config["DATABASE_URL"], "INDEX_DIR": index_dir,
                   "UPLOAD_DIR": str(folder / "uploads"), "SECRET_KEY": "test"}
    log = open(folder / "gunicorn.log", "w+")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=PROJECT,
                              env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                get_json(f"{base}/healthz", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, open(folder / "gunicorn.log").read()
                time.sleep(0.2)
        (folder / "gunicorn.pid").write_text(str(server.pid))
        yield base, log
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture
def gunicorn(app, tmp_path):
    """The application under gunicorn with three workers, on the test's database and index."""
    with gunicorn_server(app, tmp_path, app.config["INDEX_DIR"]) as served:
        yield served


def test_several_workers_share_one_index_and_log_json(app, runner, tmp_path, gunicorn):
    base, log = gunicorn
    # A librarian's import, from the command line, while readers search the workers.
    path = write(tmp_path / "quang-tri.mrc", iso2709(*records(200)))
    with ThreadPoolExecutor(4) as readers:
        searches = [readers.submit(get_json, f"{base}/api/search?q=dia+chi+lang&page={n % 5 + 1}") for n in range(40)]
        result = runner.invoke(args=["catalog", "import", str(path)])
        assert result.exit_code == 0, result.output
        assert all(search.result()[0] == 200 for search in searches)  # no reader failed meanwhile
    # The command's own sync updated the index; every worker finds every record (requests spread over them).
    totals = {get_json(f"{base}/api/search?q=dia+chi+lang")[1]["total"] for _ in range(12)}
    assert totals == {200}
    status, health = get_json(f"{base}/healthz")
    assert status == 200 and health["checks"]["index"]["behind"] == 0
    log.flush()
    lines = [json.loads(line) for line in open(log.name) if line.startswith("{")]
    assert {line["path"] for line in lines if line["logger"] == "access"} >= {"/healthz", "/api/search"}


def post_import(base: str, token: str, name: str, count: int, prefix: str) -> None:
    """An import through the API, as a librarian's script does it."""
    data, boundary = iso2709(*records(count, prefix)), "testboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n"
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{base}/api/imports", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert json.loads(answer.read())["new"] == count


def coordinator_token(app, make_user) -> str:
    from accounts import tokens

    user = make_user("dieuphoi", "coordinator")
    with app.app_context(), database.transaction() as db:
        return tokens.create_token(db, db.merge(user), "test", user)


def gunicorn_master(tmp_path) -> int:
    return int((tmp_path / "gunicorn.pid").read_text())


def follower_children(base_pid: int) -> list[int]:
    """The pids of the master's children running `search follow`."""
    children = [child for task in Path(f"/proc/{base_pid}/task").iterdir()  # started by a thread of the master
                for child in (task / "children").read_text().split()]
    return [int(child) for child in children if b"follow" in Path(f"/proc/{child}/cmdline").read_bytes()]


def test_under_gunicorn_the_follower_indexes_what_workers_commit_and_comes_back_when_killed(app, tmp_path,
                                                                                            gunicorn, make_user):
    """Workers answer an import without indexing it (SEARCH_SYNC=follower); the follower process, a child of the
    master at a lower priority, makes it searchable within seconds, and is started again when it dies."""
    base, _log = gunicorn
    master = gunicorn_master(tmp_path)
    token = coordinator_token(app, make_user)

    def import_by_api(name: str, count: int, prefix: str) -> None:
        post_import(base, token, name, count, prefix)

    def searchable(prefix: str, count: int) -> bool:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with app.app_context():  # the index itself: no kept answer in between
                if search_module.search(app.config["INDEX_DIR"], f"{prefix}", cache=False).total == count:
                    return True
            time.sleep(0.2)
        return False

    from search_index import search as search_module

    deadline = time.monotonic() + 20
    while not follower_children(master):  # the master starts it once ready, perhaps after the first answers
        assert time.monotonic() < deadline, "no follower"
        time.sleep(0.2)
    [follower] = follower_children(master)
    import_by_api("a.mrc", 5, "FA")
    assert searchable("fa", 5)
    os.kill(follower, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while not (again := follower_children(master)) or again == [follower]:
        assert time.monotonic() < deadline, "the follower was not started again"
        time.sleep(0.2)
    import_by_api("b.mrc", 4, "FB")
    assert searchable("fb", 4)


def test_with_a_follower_a_worker_only_commits_and_the_follower_indexes_each_change_once(app, tmp_path):
    from search_index.follower import catch_up
    from search_index.search import search

    worker = create_app({**app.config, "SEARCH_SYNC": "follower"})
    with worker.app_context():
        import_file(database.engine(), write(tmp_path / "a.mrc", iso2709(*records(3, "FC"))))
    assert search(app.config["INDEX_DIR"], "fc", cache=False).total == 0  # committed, not indexed
    assert catch_up(worker) == 3
    assert search(app.config["INDEX_DIR"], "fc", cache=False).total == 3
    assert catch_up(worker) == 0  # nothing new: one query, no writer


def test_two_application_servers_on_one_database_each_keep_their_own_index(app, tmp_path, make_user):
    """Growing past one machine: each application server has its own index, built and followed from the one
    database; a record imported through one server is found through the other."""
    token = coordinator_token(app, make_user)
    with gunicorn_server(app, tmp_path / "a", str(tmp_path / "a" / "index"), workers=1) as (first, _a), \
            gunicorn_server(app, tmp_path / "b", str(tmp_path / "b" / "index"), workers=1) as (second, _b):
        post_import(first, token, "a.mrc", 3, "MA")
        deadline, found = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            found = get_json(f"{second}/api/search?q=ma")[1]["total"]  # a kept answer lags up to 10 s
            if found == 3:
                break
            time.sleep(0.3)
        assert found == 3
        assert get_json(f"{second}/healthz")[1]["checks"]["index"]["behind"] == 0
    assert sorted(path.name for path in (tmp_path / "b" / "index").iterdir() if path.is_dir())[0].startswith("index-")


def test_the_follower_indexes_records_an_importer_killed_before_clustering_left_behind(app, tmp_path, monkeypatch):
    """An import's chunk committed, a sync read its changes before the importer clustered the records (no edition,
    no document) and moved its mark past them, and the importer was killed: the follower must still cluster and
    index them, though the feed holds nothing new."""
    from catalog import editions
    from catalog.changes import latest_change
    from search_index import store
    from search_index.follower import catch_up
    from search_index.search import search

    worker = create_app({**app.config, "SEARCH_SYNC": "follower"})
    monkeypatch.setattr(editions, "cluster_pending", lambda engine: None)  # killed before clustering
    with worker.app_context():
        import_file(database.engine(), write(tmp_path / "a.mrc", iso2709(*records(3, "FK"))))
        # the early sync's mark
        store.write_watermark(store.active_path(app.config["INDEX_DIR"]), latest_change(database.session()))
    monkeypatch.undo()
    assert catch_up(worker) == 3
    assert search(app.config["INDEX_DIR"], "fk", cache=False).total == 3
