"""Faults on real server processes: SIGKILL at a random moment of an import and of a receipt, PostgreSQL
restarted under load, the index's folder read-only or its disk full, uploads on a full disk or left by a killed
import. Kill trials alternate between `flask run` (each process indexes its own changes and catches up at its
start, as `make run` does) and gunicorn as in production (workers only commit; the index follower indexes).

FAULT_TRIALS kill trials of each kind (3 by default; FAULT_TRIALS=20 for the issue's twenty). Each trial's
moment comes from FAULT_SEED (random unless given, and printed in a failure's output) as a share of times
measured anew on each run, so a seed replays the same kind of moment rather than the same instant:
`FAULT_SEED=… FAULT_TRIALS=20 pytest tests/test_faults.py -k "import and [7]"` replays one trial.
"""
from __future__ import annotations

import io
import os
import random
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, text

import database
from app import create_app
from catalog.importer import CHUNK_SIZE
from catalog.imports import STALE_UPLOAD_SECONDS
from catalog.libraries import seed_union
from catalog.models import Edition, ImportBatch, Record
from exchange.models import Transfer
from schema import upgrade
from tests.conftest import ON_POSTGRES
from tests.disk_faults import FullDisk, ReadOnlyFolder
from tests.factories import write
from tests.fault_catalog import (catalog_file, check_catalog, check_editions, check_not_received, check_received,
                                 isbn13, transfer_state)
from tests.fault_load import Load
from tests.fault_site import (KILL_SPAN, REQUEST_TIMEOUT, Site, Timing, eventually, killed_during, search_total,
                              settled, site_for, timed)
from tests.private_postgres import PrivateCluster, why_not

TRIALS = int(os.environ.get("FAULT_TRIALS", "3"))
SEED = int(os.environ.get("FAULT_SEED") or random.SystemRandom().randrange(1_000_000))
RECORDS = 3000
CHUNKS = RECORDS // CHUNK_SIZE  # each committed in a transaction of its own
QUERY = "kiểm thử"  # in every title of the imported files


@pytest.fixture
def site(app, tmp_path) -> Site:
    site = site_for(app, tmp_path)
    yield site
    site.stop_servers()  # those a failed test left running


# --- SIGKILL during an import -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def import_file():
    return catalog_file(RECORDS, "FT", "Tuyển tập kiểm thử")


@pytest.fixture(scope="module")
def import_timing(database_template, tmp_path_factory, import_file) -> Timing:
    """How long the whole import takes here, through a server process, on a database of its own."""
    root = tmp_path_factory.mktemp("calibration")
    if ON_POSTGRES:
        url = database_template  # each test empties it first
    else:
        url = f"sqlite:///{write(root / 'catalog.sqlite3', Path(database_template).read_bytes())}"
    app = create_app({"DATABASE_URL": url, "INDEX_DIR": str(root / "index"), "UPLOAD_DIR": str(root / "uploads"),
                      "SECRET_KEY": "test"})
    with app.app_context(), database.transaction() as db:
        seed_union(db)
    site = site_for(app, root)
    with site.server() as server:
        timing, answer = timed(app, lambda: requests.post(f"{server.url}/api/imports", **site.upload(import_file[0])),
                               lambda db: db.scalar(select(ImportBatch.status)) == "completed")
    assert answer.status_code == 201 and answer.json()["new"] == RECORDS, answer.text
    app.extensions["db_engine"].dispose()
    return timing


def records_committed(app, records: int):
    """Whether the import's batch is open with at least `records` new records committed (chunk by chunk, the
    batch's count in the chunk's transaction): a moment of the import that a slower or faster run still finds."""
    def reached() -> bool:
        with app.app_context():
            new = database.session().scalar(select(ImportBatch.new).order_by(ImportBatch.id.desc()).limit(1))
        return new is not None and new >= records
    return reached


def batches(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [tuple(row) for row in database.session().execute(
            select(ImportBatch.status, ImportBatch.new).order_by(ImportBatch.id))]


@pytest.mark.parametrize("trial", range(TRIALS))
def test_an_import_killed_at_a_random_moment_is_completed_by_running_it_again(trial, site, import_file,
                                                                              import_timing):
    data, expected = import_file
    rng = random.Random(f"{SEED}:import:{trial}")
    if rng.random() < 0.5:  # while it writes: within the chunk after a random number of committed ones
        chunks, delay = rng.randrange(CHUNKS), rng.uniform(0, import_timing.committed / CHUNKS)
        when = f"{delay:.2f} s after {chunks} of {CHUNKS} chunks were committed"
    else:  # anywhere from the upload to a little after the answer (its index sync included)
        chunks, delay = None, rng.uniform(0, KILL_SPAN * import_timing.answered)
        when = f"{delay:.2f} s into the request"
    production = trial % 2 == 1
    server = site.server(production)
    print(f"FAULT_SEED={SEED} import trial {trial}: SIGKILL {when} ({import_timing}), {server.name}")
    answer = killed_during(server.start(), delay, "/api/imports",
                           after=None if chunks is None else records_committed(site.app, chunks * CHUNK_SIZE),
                           **site.upload(data))
    settled(site.app)

    stored = check_catalog(site.app, expected)  # whole chunks, each record with its copies and identifiers
    before = batches(site.app)
    print(f"  answered: {answer is not None}, records stored: {stored}, batches: {before}")
    assert answer is None or (answer.status_code == 201 and stored == RECORDS)
    assert before in ([], [("running", stored)], [("completed", RECORDS)])  # killed: no chance to say so

    with site.server(production) as server:  # its start-up catch-up (or follower) indexes what was committed
        assert eventually(lambda: search_total(server, QUERY), stored) == stored
        again = requests.post(f"{server.url}/api/imports", **site.upload(data))
        assert again.status_code == 201, again.text
        report = again.json()
        assert (report["new"], report["unchanged"], report["updated"], report["rejected"]) == (
            RECORDS - stored, stored, 0, 0)
        assert check_catalog(site.app, expected) == RECORDS
        # Searchable at the answer, or soon after when the start-up catch-up still held the index: the import
        # then left its changes to that sync (search_index/sync.py waits 2 s for the lock).
        answered = time.monotonic()
        assert eventually(lambda: search_total(server, QUERY), RECORDS, seconds=60) == RECORDS, server.output()[-3000:]
        print(f"  searchable {time.monotonic() - answered:.1f} s after the second import answered")
    check_editions(site.app)
    assert batches(site.app)[-1] == ("completed", RECORDS - stored)
    assert [status for status, _new in batches(site.app)[:-1]] in ([], ["interrupted"], ["completed"])


def test_an_upload_left_by_a_killed_import_is_removed_a_day_later(site):
    """A killed import's upload stays in UPLOAD_DIR (the process that would remove it is gone); the next upload
    removes those older than a day, and not the uploads of imports running now."""
    uploads = Path(site.app.config["UPLOAD_DIR"])
    uploads.mkdir()
    left, running = write(uploads / "tmpkilled.upload", b"0"), write(uploads / "tmprunning.upload", b"0")
    a_day_ago = time.time() - STALE_UPLOAD_SECONDS - 60
    os.utime(left, (a_day_ago, a_day_ago))
    data, _expected = catalog_file(10, "FU", "Tuyển tập kiểm thử")
    answer = site.app.test_client().post("/api/imports", data={"file": (io.BytesIO(data), "u.mrc"), "library": "TVQT"},
                                         headers=site.headers, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    assert [path.name for path in uploads.iterdir()] == [running.name]


# --- SIGKILL during a receipt -----------------------------------------------------------------------------------

NAMED = 150  # copies named on each transfer
TITLED = 2 * 25 + 2 * 50  # copies of its edition and title lines
LINES = NAMED + 4


@pytest.fixture
def two_transfers(app, runner, api, tmp_path) -> list[int]:
    """Two dispatched donations from Quảng Trị to Cồn Cỏ of 300 copies each: 150 named, 50 of two editions,
    100 of two uncatalogued titles."""
    data, _expected = catalog_file(NAMED, "TD", "Sách trao đổi", copies=2)
    result = runner.invoke(args=["catalog", "import", str(write(tmp_path / "trao-doi.mrc", data))])
    assert result.exit_code == 0, result.output
    with app.app_context():
        keys = dict(database.session().execute(select(Record.control_number, Edition.key)
                                               .join(Edition, Edition.id == Record.edition_id)).all())
    made = []
    for half in (range(0, NAMED // 2), range(NAMED // 2, NAMED)):
        lines = [{"copy": f"TD.{n:05d}.{k}"} for n in half for k in range(2)]
        lines += [{"edition": keys[f"TD{n:05d}"], "quantity": 25} for n in half[:2]]
        lines += [{"title": f"Sách chưa biên mục {half[0]}-{k}", "quantity": 50} for k in range(2)]
        created = api("dieuphoi", "post", "/api/transfers", {"kind": "donation", "from": "TVQT", "to": "TVCC",
                                                              "date": "2021-03-26", "lines": lines})
        assert created.status_code == 201, created.get_json()
        assert api("dieuphoi", "post", f"/api/transfers/{created.get_json()['id']}/dispatch").status_code == 200
        made.append(created.get_json()["id"])
    return made


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_receipt_killed_at_a_random_moment_is_whole_or_not_at_all(trial, site, two_transfers):
    first, second = two_transfers
    counts = {"named": NAMED, "titled": TITLED, "lines": LINES, "receiver": "TVCC"}
    production = trial % 2 == 1
    server = site.server(production).start()
    timing, answer = timed(site.app, lambda: requests.post(f"{server.url}/api/transfers/{first}/receive",
                                                           headers=site.headers, timeout=60),
                           lambda db: db.scalar(select(Transfer.state).where(Transfer.id == first)) == "received")
    assert answer.status_code == 200, answer.text
    check_received(transfer_state(site.app, first, "TVCC"), **counts)

    delay = timing.kill_moment(random.Random(f"{SEED}:receipt:{trial}"))
    print(f"FAULT_SEED={SEED} receipt trial {trial}: SIGKILL {delay:.3f} s into a receipt ({timing}), {server.name}")
    answer = killed_during(server, delay, f"/api/transfers/{second}/receive", headers=site.headers,
                           timeout=REQUEST_TIMEOUT)
    settled(site.app)
    found = transfer_state(site.app, second, "TVCC")
    print(f"  answered: {answer is not None}, state after restart: {found.state}")
    assert answer is None or answer.status_code == 200 and found.state == "received"
    if found.state == "received":
        check_received(found, **counts)
    else:
        check_not_received(found, named=NAMED, lines=LINES, sender="TVQT")

    with site.server(production) as server:
        if found.state != "received":
            answer = requests.post(f"{server.url}/api/transfers/{second}/receive", headers=site.headers, timeout=60)
            assert answer.status_code == 200, answer.text
            check_received(transfer_state(site.app, second, "TVCC"), **counts)
        assert eventually(lambda: holdings(server, isbn13(NAMED - 1)), {"TVCC": 2}) == {"TVCC": 2}


def holdings(server, isbn: str) -> dict[str, int]:
    """Copies by library, as the search shows the book with this ISBN."""
    hit = requests.get(f"{server.url}/api/search", params={"q": f"isbn:{isbn}"}, timeout=30).json()["hits"][0]
    return {holding["library"]: holding["copies"] for holding in hit["holdings"]}


# --- PostgreSQL restarted under load ----------------------------------------------------------------------------

OUTAGE_SECONDS = 3
RECOVERY_SECONDS = 15


@pytest.fixture
def restartable_postgres():
    if not ON_POSTGRES:
        pytest.skip("PostgreSQL restarts are tested in the PostgreSQL pass (DATABASE_URL=postgresql+psycopg://…)")
    if reason := why_not():
        pytest.skip(f"no PostgreSQL of the test's own to restart: {reason}")
    cluster = None
    try:
        cluster = PrivateCluster()
        cluster.start()
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        if cluster is not None:
            cluster.remove()
        pytest.skip(f"no PostgreSQL of the test's own to restart: it did not start here: {error}")
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.mark.parametrize("production", [False, True], ids=["flask-run", "gunicorn"])
def test_requests_fail_cleanly_while_postgres_restarts_and_succeed_again_after(production, restartable_postgres,
                                                                               tmp_path):
    engine = database.make_engine(restartable_postgres.url)
    upgrade(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": restartable_postgres.url, "INDEX_DIR": str(tmp_path / "index"),
                      "UPLOAD_DIR": str(tmp_path / "uploads"), "SECRET_KEY": "test"})
    with app.app_context(), database.transaction() as db:
        seed_union(db)
    site = site_for(app, tmp_path)
    app.extensions["db_engine"].dispose()
    with site.server(production) as server:
        assert requests.post(f"{server.url}/api/imports", **site.upload(catalog_file(200, "PG", QUERY)[0])).ok
        with Load(server, site.headers) as load:
            time.sleep(2)
            down = time.monotonic()
            restartable_postgres.stop()
            time.sleep(OUTAGE_SECONDS)
            starting = time.monotonic()
            restartable_postgres.start()
            up = time.monotonic()
            while load.recovered(up) is None and time.monotonic() < up + RECOVERY_SECONDS:
                time.sleep(0.2)
            back = load.recovered(up)
            time.sleep(1)
        assert server.process.poll() is None  # the same process throughout
        # Writing and indexing are back too: an import after the restart is stored, then found.
        again = requests.post(f"{server.url}/api/imports",
                              **site.upload(catalog_file(100, "PH", QUERY, first=200)[0], "sau-khi-khoi-dong.mrc"))
        assert again.status_code == 201 and again.json()["new"] == 100, again.text
        assert eventually(lambda: search_total(server, QUERY), 300, seconds=60) == 300
    answers = load.answers
    print(f"{len(answers)} requests; outage {up - down:.1f} s; all paths answered again {back and back - up} s "
          f"after PostgreSQL was back; statuses: {sorted({str(a.status) for a in answers})}")
    assert [a for a in answers if not isinstance(a.status, int)] == []  # neither a hang nor a dropped connection
    assert {a.status for a in answers if a.ended < down} == {200}
    during = [a for a in answers if down + 0.5 < a.started and a.ended < starting]
    print("during the outage:", sorted(Counter((a.path, a.status, a.kept) for a in during).items()))
    # What needs the database fails; a search a reader made before may still be answered from the answers
    # the process keeps (serving/page_cache.py), never a page made up without the database.
    assert [a for a in during if a.status != 503 and not (a.status == 200 and a.kept)] == []
    assert {a.status for a in during if a.path == "/api/transfers"} == {503}  # never kept: signed in
    for failed in (a for a in answers if a.status != 200):  # "the database is not answering: try again"
        assert failed.status == 503 and "Cơ sở dữ liệu tạm thời không trả lời" in failed.message, failed
        assert "Traceback" not in failed.message and "sqlalchemy" not in failed.message.lower(), failed
    assert back is not None, "the application did not recover on its own"
    assert {a.status for a in answers if a.started > back} == {200}


def test_a_connection_lost_after_the_last_query_does_not_spoil_the_answer(app):
    """PostgreSQL ending a session between a request's last query and the end of the request (a restart) left
    the session's closing to fail, and the reader got the WSGI server's English error page for a good answer."""
    if not ON_POSTGRES:
        pytest.skip("a PostgreSQL session ended by the server: the PostgreSQL pass tests it")

    @app.get("/_faults/session-ended")
    def session_ended():
        pid = database.session().scalar(text("select pg_backend_pid()"))
        with database.engine().connect() as other:
            assert other.scalar(text("select pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        return "đã xong"

    client = app.test_client()
    answer = client.get("/_faults/session-ended")
    assert answer.status_code == 200 and answer.get_data(as_text=True) == "đã xong"
    assert client.get("/libraries").status_code == 200  # the pool did not keep the dead connection


# --- the index's folder read-only or its disk full, uploads on a full disk ----------------------------------------

SYNC_FAILED = "search index sync failed"  # what the log says (search_index/sync.py)
FOLLOWER_FAILED = "the change feed could not be applied"  # under gunicorn (search_index/follower.py)


@pytest.mark.parametrize("production", [False, True], ids=["flask-run", "gunicorn"])
@pytest.mark.parametrize("fault", [ReadOnlyFolder, FullDisk], ids=["read-only", "disk-full"])
def test_an_index_that_cannot_be_written_leaves_the_catalog_whole_and_catches_up_later(fault, production, site):
    fault = fault(Path(site.app.config["INDEX_DIR"]))
    first, expected = catalog_file(200, "FA", "Tuyển tập kiểm thử")
    second, expected_second = catalog_file(200, "FB", "Tuyển tập kiểm thử", first=200)
    third, _expected_third = catalog_file(50, "FC", "Tuyển tập kiểm thử", first=400)
    failed = FOLLOWER_FAILED if production else SYNC_FAILED
    fault.prepare()
    try:
        with site.server(production) as server:
            assert requests.post(f"{server.url}/api/imports", **site.upload(first)).status_code == 201
            assert eventually(lambda: search_total(server, QUERY), 200, seconds=60) == 200
            fault.fail()
            answer = requests.post(f"{server.url}/api/imports", **site.upload(second, "b.mrc"))
            assert answer.status_code == 201 and answer.json()["new"] == 200, answer.text  # the catalog is the truth
            assert check_catalog(site.app, {**expected, **expected_second}) == 400
            assert eventually(lambda: failed in server.output() and fault.error in server.output(), True, 30), \
                server.output()[-3000:]
            assert search_total(server, QUERY) == 200  # searching goes on, from the index as it was
            assert requests.get(f"{server.url}/search", params={"q": QUERY}, timeout=30).status_code == 200
            assert index_health(server)["behind"] > 0  # what the operator sees: serving, the index behind
            fault.recover()
            if not production:
                site.flask("search", "sync")  # as the log says to; the follower tries again on its own
            assert eventually(lambda: search_total(server, QUERY), 400, seconds=60) == 400
            assert eventually(lambda: index_health(server)["behind"], 0, seconds=30) == 0
            assert requests.post(f"{server.url}/api/imports", **site.upload(third, "c.mrc")).status_code == 201
            assert eventually(lambda: search_total(server, QUERY), 450, seconds=60) == 450  # indexing works again
        check_editions(site.app)
    finally:
        fault.remove()


def index_health(server) -> dict:
    """The index's part of /healthz: still "ok" (readable) when it cannot be written, with how far behind it is."""
    answer = requests.get(f"{server.url}/healthz", timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["checks"]["index"]


def test_an_upload_to_a_full_disk_fails_cleanly_and_stores_nothing(site):
    disk = FullDisk(Path(site.app.config["UPLOAD_DIR"]), megabytes=1)
    data, expected = catalog_file(RECORDS, "FT", "Tuyển tập kiểm thử")  # larger than the disk
    disk.prepare()
    try:
        with site.server() as server:
            answer = requests.post(f"{server.url}/api/imports", **site.upload(data))
            assert answer.status_code == 507 and "hết chỗ lưu trên đĩa" in answer.json()["error"], answer.text
            assert batches(site.app) == [] and check_catalog(site.app, expected) == 0
            assert [path.name for path in disk.path.iterdir()] == [], "the part of the upload that fitted is left"
            assert disk.error in server.output()
            smaller, _expected = catalog_file(200, "FS", "Tuyển tập kiểm thử")  # fits, now that the space is back
            assert requests.post(f"{server.url}/api/imports", **site.upload(smaller)).status_code == 201
    finally:
        disk.remove()
