"""One JSON object per record, with the key names other tools rely on."""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Edition, Library, Record

BATCH = 2000


def dump_rows(db: Session) -> Iterator[dict]:
    query = (
        select(Record, Library.code, Edition.key)
        .join(Library, Library.id == Record.library_id)
        .outerjoin(Edition, Edition.id == Record.edition_id)
        .order_by(Record.id)
        .execution_options(yield_per=BATCH)
    )
    for record, library_code, edition_key in db.execute(query):
        yield {
            "library": library_code,
            "edition": edition_key,  # the union entry the record belongs to (a deleted one: its last)
            "org_code": record.org_code,
            "control_number": record.control_number,
            "title": record.title,
            "authors": record.authors,
            "year": record.year,
            "isbns": record.isbns,
            "deleted": record.deleted,
            "encoding": record.encoding,
            "publisher": record.publisher,
            "language": record.language,
            "subjects": record.subjects,
            "places": record.places,
            "series": record.series,
            "edition_statement": record.edition_statement,
        }
