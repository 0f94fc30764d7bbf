"""Keep the index in step with the catalog: rebuild it from scratch, or apply the change feed."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from catalog.changes import changes_after, latest_change
from catalog.records import all_record_ids, holdings_by_record, records_by_id
from search_index import store
from search_index.documents import build_document

SYNC_BATCH = 2000
REBUILD_AFTER_CHANGES = 20_000
WRITER_MEMORY_MB = 256
WRITER_PROCESSES = 2


def rebuild(db: Session, directory: str, progress: Callable[[int], None] | None = None) -> int:
    """Index every live record anew; returns how many were indexed."""
    watermark = latest_change(db)  # changes after this are applied by the next sync
    ix = store.recreate(directory)
    writer = store.writer(ix, limitmb=WRITER_MEMORY_MB, procs=WRITER_PROCESSES, multisegment=True)
    indexed = 0
    try:
        for ids in all_record_ids(db):
            for document in _documents(db, ids)[0]:
                writer.add_document(**document)
                indexed += 1
            if progress is not None:
                progress(len(ids))
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    store.write_watermark(directory, watermark)
    return indexed


def sync(db: Session, directory: str) -> int:
    """Apply the changes committed since the last sync; returns how many records were re-indexed."""
    watermark, latest = store.read_watermark(directory), latest_change(db)
    if watermark > latest:
        return rebuild(db, directory)  # the index was built from another database: start again
    if latest - watermark > REBUILD_AFTER_CHANGES:
        return rebuild(db, directory)  # after a large import, writing afresh beats thousands of updates
    ix = store.open_index(directory)
    applied = 0
    while changes := changes_after(db, store.read_watermark(directory), SYNC_BATCH):
        ids = {record_id for _change, record_id in changes}
        documents, gone = _documents(db, ids)
        writer = store.writer(ix)
        for document in documents:
            writer.update_document(**document)
        for record_id in gone:
            writer.delete_by_term("id", str(record_id))
        writer.commit()
        store.write_watermark(directory, changes[-1][0])
        applied += len(ids)
    return applied


def _documents(db: Session, ids) -> tuple[list[dict], list[int]]:
    """Documents of the live records among ids, and the ids that are deleted or gone."""
    records = records_by_id(db, ids)
    holdings = holdings_by_record(db, ids)
    live = [record for record in records.values() if not record.deleted]
    documents = [build_document(record, holdings.get(record.id, [])) for record in live]
    gone = [record_id for record_id in ids if record_id not in records or records[record_id].deleted]
    return documents, gone
