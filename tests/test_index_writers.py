"""One writer of the search index at a time across processes (gunicorn's workers, the CLI): a second waits for
the first or leaves the feed to it; a writer killed with SIGKILL leaves no lock behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import database
from catalog.importer import import_file
from catalog.changes import latest_change
from search_index import indexer, store
from search_index.search import search
from search_index.store import IndexBusy
from tests.conftest import PROJECT
from tests.factories import iso2709, make_record, write

HOLDER = """
import sys, time
from search_index.writer_lock import exclusive
with exclusive(sys.argv[1]):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(directory: str, seconds: float) -> subprocess.Popen:
    """Another process holding the index's writer lock for `seconds`."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, directory, str(seconds)], cwd=PROJECT,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.fixture
def changed_catalog(app, tmp_path, monkeypatch):
    """A record committed but not indexed yet (its sync left to the test)."""
    with monkeypatch.context() as patched, app.app_context():
        patched.setattr(indexer, "sync", lambda *args, **kwargs: 0)  # the import's own sync does nothing
        import_file(database.engine(), write(tmp_path / "a.mrc", iso2709(make_record("QT1"))))
    return app


def test_a_second_writer_waits_for_the_first_or_leaves_the_feed_to_it(changed_catalog):
    directory = changed_catalog.config["INDEX_DIR"]
    holder = hold_lock(directory, 1.5)
    with changed_catalog.app_context():
        with pytest.raises(IndexBusy):
            indexer.sync(database.session(), directory, wait=0)
        assert indexer.sync(database.session(), directory, wait=30) == 1  # after the other is done
    assert holder.wait(timeout=30) == 0


def test_a_writer_killed_mid_work_leaves_no_lock(changed_catalog):
    directory = changed_catalog.config["INDEX_DIR"]
    holder = hold_lock(directory, 60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    with changed_catalog.app_context():
        assert indexer.sync(database.session(), directory, wait=0) == 1


def test_a_change_left_to_the_holder_after_its_last_look_is_indexed_when_it_lets_go(changed_catalog, tmp_path,
                                                                                     monkeypatch):
    """The importer's process finds the lock taken and leaves its change to the holder; the holder had already
    looked at the feed for the last time, so it looks once more on letting go."""
    import threading

    from catalog.changes import latest_change
    from search_index import store

    directory = changed_catalog.config["INDEX_DIR"]
    looked, committed, answer = threading.Event(), threading.Event(), {}
    drain = indexer._sync_locked

    def drains_then_lingers(db, directory, *options):
        applied = drain(db, directory, *options)
        if not looked.is_set():
            looked.set()
            committed.wait(30)
        return applied

    def holder():
        with changed_catalog.app_context():
            answer["applied"] = indexer.sync(database.session(), directory)

    monkeypatch.setattr(indexer, "_sync_locked", drains_then_lingers)
    thread = threading.Thread(target=holder)
    thread.start()
    assert looked.wait(30)
    with changed_catalog.app_context():  # its own sync waits, finds the lock still taken, and leaves it
        import_file(database.engine(), write(tmp_path / "b.mrc", iso2709(make_record("QT2"))))
    committed.set()
    thread.join(30)
    assert answer["applied"] == 2
    with changed_catalog.app_context():
        assert store.read_watermark(directory) == latest_change(database.session())


LEAVES_A_CHILD = """
import multiprocessing, os, sys, time
from search_index.writer_lock import exclusive
with exclusive(sys.argv[1]):
    child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))  # as Whoosh's writers
    child.start()
    print(child.pid, flush=True)
    os._exit(0)  # killed mid-rebuild: its writing processes left behind
"""


def test_a_writers_forked_processes_do_not_keep_the_lock_after_it_dies(changed_catalog):
    directory = changed_catalog.config["INDEX_DIR"]
    dying = subprocess.Popen([sys.executable, "-c", LEAVES_A_CHILD, directory], cwd=PROJECT, stdout=subprocess.PIPE,
                             text=True)
    orphan = int(dying.stdout.readline())
    assert dying.wait(timeout=30) == 0
    try:
        os.kill(orphan, 0)  # still there
        with changed_catalog.app_context():
            # The child lets go of the lock as it starts (it may not have yet on a busy machine); it lives 60 s.
            assert indexer.sync(database.session(), directory, wait=10) == 1
    finally:
        os.kill(orphan, signal.SIGKILL)


def test_the_mark_of_applied_changes_goes_into_the_index_the_documents_went_to(changed_catalog):
    """A reader that found no index made an empty one and named it current while the sync wrote: the sync's
    documents and its mark stay together, so the new index is seen as holding nothing and is filled."""
    directory = changed_catalog.config["INDEX_DIR"]
    written_to = store.active_path(directory)
    ix = store.open_index(directory)
    (Path(directory) / store.CURRENT).unlink()
    made_by_a_reader = store.active_path(directory)
    with changed_catalog.app_context():
        assert indexer._apply_feed(database.session(), directory, ix) == 1
        assert store.watermark_at(written_to) == latest_change(database.session())
        assert store.watermark_at(made_by_a_reader) == 0
        assert indexer.sync(database.session(), directory) == 1  # the index in use gets the record too
    assert search(directory, "", cache=False).total == 1


def test_a_rebuild_first_clears_what_a_rebuild_killed_midway_left(changed_catalog):
    """Before it writes: rebuilds stopped again and again (a follower restarted mid-rebuild) must not pile up
    half-written indexes until the disk is full."""
    directory = changed_catalog.config["INDEX_DIR"]
    left = Path(directory) / f"{store.PREFIX}0123456789ab"
    (left / "half").mkdir(parents=True)
    on_disk_while_writing = []
    with changed_catalog.app_context():
        assert indexer.rebuild(database.session(), directory,
                               progress=lambda _count: on_disk_while_writing.append(left.exists())) == 1
    assert on_disk_while_writing == [False]
    assert len(list(Path(directory).glob(f"{store.PREFIX}*"))) == 1
