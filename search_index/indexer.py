"""Keep the index in step with the catalog: rebuild it from scratch, or apply the change feed."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session
from whoosh.writing import NO_MERGE

from catalog.changes import changes_after, latest_change
from catalog.edition_read import all_edition_ids, best_record, edition_keys, editions_of_records, live_records
from catalog.editions import sync_pending
from catalog.records import holdings_by_record, merge_holdings
from search_index import store, writer_lock
from search_index.documents import build_document
from search_index.schema import build_schema
from search_index.store import IndexBusy
from search_index.pool import POSTING_BYTES

SYNC_BATCH = 2000
LOCK_WAIT_SECONDS = 600  # a rebuild waits this long for a sync of another process to finish
REBUILD_AFTER_CHANGES = 20_000
WRITER_MEMORY_MB = 256
WRITER_PROCESSES = 2
# A record with a summary gives about 225 (bench/synthetic.py); an edition holds the words of all its
# records, 1.3 records on average there, and more where a book is in many libraries.
POSTINGS_PER_DOCUMENT = 350
MIN_ROUND = 1000


def rebuild(db: Session, directory: str, progress: Callable[[int], None] | None = None,
            memory_mb: int = WRITER_MEMORY_MB, wait: float = LOCK_WAIT_SECONDS) -> int:
    """Index every current edition anew beside the index in use, then switch to it, and apply what the
    catalog changed meanwhile; returns how many editions were indexed. One writer at a time: waits up to
    `wait` seconds for another process's sync or rebuild (IndexBusy after that)."""
    with writer_lock.exclusive(directory, wait):
        indexed = _rebuild(db, directory, progress, memory_mb)
        return indexed + _apply_feed(db, directory)


def _rebuild(db: Session, directory: str, progress: Callable[[int], None] | None, memory_mb: int) -> int:
    """Index every current edition anew beside the index in use, then switch to it.

    Records go to the writing processes in rounds that fit `memory_mb` each, every round its own
    segments: past its memory Whoosh would sort postings in runs on disk and merge them a posting
    at a time, which costs more than the indexing itself. Searches read many segments at no cost.
    """
    _cluster_pending(db)
    watermark = latest_change(db)  # changes after this are applied by the next sync
    # A rebuild killed before it finished (its process stopped mid-way) left its half-written index behind.
    store.remove_others(directory, keep=store.active_path(directory))
    path, ix = store.begin_rebuild(directory)
    per_round, writer, in_round, indexed = documents_per_round(memory_mb), None, 0, 0
    try:
        for ids in all_edition_ids(db):
            for document in _documents(db, ids):
                if writer is None:
                    writer, in_round = store.writer(ix, limitmb=memory_mb, procs=WRITER_PROCESSES,
                                                    multisegment=True), 0
                writer.add_document(**document)
                in_round += 1
                indexed += 1
                if in_round == per_round:
                    writer.commit(mergetype=NO_MERGE)
                    writer = None
            if progress is not None:
                progress(len(ids))
        if writer is not None:
            writer.commit(mergetype=NO_MERGE)
            writer = None
    except BaseException:
        if writer is not None:
            writer.cancel()
        store.abandon_rebuild(path)
        raise
    store.finish_rebuild(directory, path, watermark)
    return indexed


def documents_per_round(memory_mb: int) -> int:
    return max(MIN_ROUND, WRITER_PROCESSES * memory_mb * 2**20 // (POSTING_BYTES * POSTINGS_PER_DOCUMENT))


def sync(db: Session, directory: str, wait: float = 0.0, memory_mb: int = WRITER_MEMORY_MB) -> int:
    """Apply the changes committed since the last sync; returns how many editions were re-indexed.

    Records that no edition holds yet are clustered first (an import that crashed before it could).
    The feed names records; a record's old document is found by its id in the `records` field, so an
    edition that lost or gained records, or was merged away, is rewritten or removed. The process that
    holds the writer lock drains the whole feed, changes committed while it works included; another waits
    up to `wait` seconds, then leaves its changes to it (IndexBusy)."""
    applied, first = 0, True
    while True:
        try:
            with writer_lock.exclusive(directory, wait if first else 0.0):
                applied += _sync_locked(db, directory, memory_mb)
        except IndexBusy:
            if first:
                raise
            return applied  # another process holds the lock now, and drains the feed
        if writer_lock.held():
            return applied  # inside another writer's hold (reentrant): it looks again when it lets go
        # A change committed after this sync's last look at the feed, by a process that then found the lock
        # taken and left the change to its holder, would wait for the next sync: look once more, outside
        # the read transaction so as to see what was committed meanwhile.
        db.commit()
        if latest_change(db) <= store.read_watermark(directory):
            return applied
        first = False


def _sync_locked(db: Session, directory: str, memory_mb: int = WRITER_MEMORY_MB) -> int:
    _cluster_pending(db)
    watermark, latest = store.read_watermark(directory), latest_change(db)
    if watermark > latest:
        return rebuild(db, directory, memory_mb=memory_mb)  # built from another database: start again
    if latest - watermark > REBUILD_AFTER_CHANGES:
        return rebuild(db, directory, memory_mb=memory_mb)  # after a large import: beats thousands of updates
    ix = store.open_index(directory)
    if set(ix.schema.names()) != set(build_schema().names()):
        return rebuild(db, directory, memory_mb=memory_mb)  # written by an older version of the application
    return _apply_feed(db, directory, ix)


def _apply_feed(db: Session, directory: str, ix=None) -> int:
    """Re-index the editions of every change after the watermark, a batch at a time, until none is left."""
    ix = ix or store.open_index(directory)
    # The mark goes with the documents: into the index they were written to, whatever CURRENT names by then.
    folder = Path(ix.storage.folder)
    applied = 0
    while changes := changes_after(db, store.watermark_at(folder), SYNC_BATCH):
        record_ids = {record_id for _change, record_id in changes}
        edition_ids = editions_of_records(db, record_ids)
        documents = _documents(db, edition_ids)
        writer = store.writer(ix)
        for record_id in record_ids:
            writer.delete_by_term("records", str(record_id))
        for document in documents:
            writer.update_document(**document)
        writer.commit(mergetype=store.merge_small_segments)
        store.write_watermark(folder, changes[-1][0])
        applied += len(documents)
    return applied


def _cluster_pending(db: Session) -> None:
    sync_pending(db.connection())
    db.commit()


def _documents(db: Session, edition_ids) -> list[dict]:
    """Documents of the editions among these that have live records."""
    members = live_records(db, edition_ids)
    keys = edition_keys(db, members)
    holdings = holdings_by_record(db, [record.id for records in members.values() for record in records])
    documents = []
    for edition_id, records in members.items():
        best = best_record(records)
        ordered = [best] + [record for record in records if record is not best]
        documents.append(build_document(keys[edition_id], ordered, merge_holdings(ordered, holdings)))
    return documents
