"""Export stored records as ISO 2709, MARCXML or MARC-in-JSON, streamed chunk by chunk.

The writers take stored MARC (ISO 2709, UTF-8, NFC) and never hold more than one record; the
readers fetch records from the database in batches, leaving deleted ones out.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial

from flask_babel import gettext as _
from pymarc import Field, Indicators, Record, Subfield, record_to_xml
from sqlalchemy import select
from sqlalchemy.orm import Session

import database
from catalog.edition_read import best_record, detail, edition_keys, live_records, resolve
from catalog.errors import RecordDeleted, RecordNotFound, UnknownExportFormat
from catalog.imports import LARGEST_ID
from catalog.libraries import UNION_ORG_CODE, get_library
from catalog.models import Edition, Library
from catalog.models import Record as StoredRecord
from catalog.records import holdings_by_record, merge_holdings

BATCH = 500
MARCXML_NAMESPACE = "http://www.loc.gov/MARC21/slim"
# Characters XML 1.0 cannot carry even escaped; a stored value could hold one from a legacy export.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FILE_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ExportFormat:
    name: str
    content_type: str
    extension: str
    write: Callable[[Iterable[bytes]], Iterator[bytes]]


def write_iso2709(marcs: Iterable[bytes]) -> Iterator[bytes]:
    """The records as stored, one after another."""
    yield from marcs


def write_marcxml(marcs: Iterable[bytes]) -> Iterator[bytes]:
    """A MARC21 slim <collection>, written record by record."""
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="{MARCXML_NAMESPACE}">\n'.encode()
    for marc in marcs:
        yield record_to_xml(_xml_safe(stored_record(marc))) + b"\n"
    yield b"</collection>\n"


def write_json(marcs: Iterable[bytes]) -> Iterator[bytes]:
    """A JSON array of MARC-in-JSON records, as the importer reads them back."""
    separator = "[\n"
    for marc in marcs:
        yield (separator + json.dumps(stored_record(marc).as_dict(), ensure_ascii=False)).encode()
        separator = ",\n"
    yield b"[]\n" if separator == "[\n" else b"\n]\n"


FORMATS = {
    "iso2709": ExportFormat("iso2709", "application/marc", "mrc", write_iso2709),
    "marcxml": ExportFormat("marcxml", "application/marcxml+xml", "xml", write_marcxml),
    "json": ExportFormat("json", "application/json", "json", write_json),
}


def export_format(name: str | None) -> ExportFormat:
    """The format asked for (ISO 2709 when none is), or a 400 naming the ones there are."""
    found = FORMATS.get(name or "iso2709")
    if found is None:
        raise UnknownExportFormat(_("Định dạng xuất “%(format)s” không được hỗ trợ; chọn một trong: %(formats)s.",
                                    format=name, formats=", ".join(FORMATS)))
    return found


def stored_record(marc: bytes) -> Record:
    """A stored record as a pymarc Record (stored MARC is always well-formed UTF-8)."""
    return Record(data=marc, to_unicode=True, force_utf8=True, utf8_handling="strict")


def _xml_safe(record: Record) -> Record:
    for field in record.fields:
        if field.is_control_field():
            field.data = XML_ILLEGAL.sub("\ufffd", field.data or "")
        else:
            for index, subfield in enumerate(field.subfields):
                field.subfields[index] = subfield._replace(value=XML_ILLEGAL.sub("\ufffd", subfield.value or ""))
    return record


# --- what to export -----------------------------------------------------------------------------------------------

Reader = Callable[[Session], Iterator[bytes]]


def record_export(db: Session, record_id: int) -> tuple[str, Reader]:
    """One record's file name (without extension) and reader; raises for an unknown or deleted record."""
    # A number beyond the id column's range is no record; the database would refuse to compare with it.
    record = db.get(StoredRecord, record_id) if 0 < record_id <= LARGEST_ID else None
    if record is None:
        raise RecordNotFound(_("Không có bản ghi số %(id)s.", id=record_id))
    if record.deleted:
        raise RecordDeleted(_("Bản ghi số %(id)s đã bị xóa khỏi mục lục.", id=record_id))
    return safe_file_name(f"{record.library.code}-{record.control_number}"), partial(records_marc, ids=[record_id])


def library_export(db: Session, code: str) -> tuple[str, Reader]:
    """A library's file name and the reader of its whole catalog; raises for an unknown library."""
    library = get_library(db, code)
    return safe_file_name(library.code), partial(library_marc, library_id=library.id)


def stream(fmt: ExportFormat, read: Reader) -> Iterator[bytes]:
    """The export's chunks, read in a session of the stream's own, which ends when the stream does."""
    with database.transaction() as db:
        yield from fmt.write(read(db))


def library_marc(db: Session, library_id: int, batch: int = BATCH) -> Iterator[bytes]:
    last = 0
    while rows := db.execute(
        select(StoredRecord.id, StoredRecord.marc)
        .where(StoredRecord.library_id == library_id, StoredRecord.id > last, StoredRecord.deleted.is_(False))
        .order_by(StoredRecord.id).limit(batch)
    ).all():
        yield from (row.marc for row in rows)
        last = rows[-1].id


def records_marc(db: Session, ids: Iterable[int], batch: int = BATCH) -> Iterator[bytes]:
    """The MARC of the records with these ids, in the order given (a search result set), deleted ones left out."""
    ids = list(ids)
    for start in range(0, len(ids), batch):
        part = ids[start:start + batch]
        rows = db.execute(select(StoredRecord.id, StoredRecord.marc)
                          .where(StoredRecord.id.in_(part), StoredRecord.deleted.is_(False))).all()
        marc = {row.id: row.marc for row in rows}
        yield from (marc[record_id] for record_id in part if record_id in marc)


def edition_export(db: Session, key: str) -> tuple[str, Reader]:
    """One edition's file name and reader: its best record, with an 852 for every holding library."""
    edition = resolve(db, key).edition
    detail(db, edition)  # raises for an edition with no record left
    return safe_file_name(f"an-ban-{edition.key}"), partial(editions_marc, edition_ids=[edition.id])


def editions_marc(db: Session, edition_ids: Iterable[int], batch: int = BATCH) -> Iterator[bytes]:
    """For each edition, in the order given: its union record (see edition_record)."""
    return (marc for _edition_id, marc in _edition_marcs(db, edition_ids, batch))


def _edition_marcs(db: Session, edition_ids: Iterable[int], batch: int = BATCH) -> Iterator[tuple[int, bytes]]:
    edition_ids = list(edition_ids)
    for start in range(0, len(edition_ids), batch):
        part = edition_ids[start:start + batch]
        members = live_records(db, part)
        found = holdings_by_record(db, [record.id for records in members.values() for record in records])
        orgs = dict(db.execute(select(Library.code, Library.org_code)).all())
        keys = edition_keys(db, part)
        for edition_id in part:
            if records := members.get(edition_id):
                yield edition_id, edition_record(keys[edition_id], records, merge_holdings(records, found),
                                                 orgs).as_marc()


def editions_marc_by_key(db: Session, keys: list[str]) -> dict[str, bytes]:
    """The union record of each current edition among these keys, by key (merged and retired ones left out)."""
    ids = dict(db.execute(select(Edition.key, Edition.id).where(
        Edition.key.in_(keys), Edition.merged_into_id.is_(None), Edition.retired_at.is_(None))).all()) if keys else {}
    keys_by_id = {edition_id: key for key, edition_id in ids.items()}
    return {keys_by_id[edition_id]: marc for edition_id, marc in _edition_marcs(db, list(keys_by_id))}


def edition_record(key: str, records: list, holdings: list, org_codes: dict[str, str]) -> Record:
    """The union's record of an edition: the best description under the union's own identity (001 the
    edition key, 003 the union's code), a 035 naming every library's record, and one 852 per holding library.

    Its own identity keeps an import of it from replacing the record it was made from, and the importer
    takes no copies from a union record: its 852s tell where the book is, not what the importer holds."""
    best = best_record(records)
    marc = stored_record(best.marc)
    marc.remove_fields("001", "003", "852", "952")
    marc.add_ordered_field(Field(tag="001", data=key))
    marc.add_ordered_field(Field(tag="003", data=UNION_ORG_CODE))
    for record in [best] + [other for other in records if other is not best]:
        marc.add_ordered_field(Field(tag="035", indicators=Indicators(" ", " "), subfields=[
            Subfield("a", f"({record.org_code}){record.control_number}")]))
    for holding in holdings:
        subfields = [Subfield("a", org_codes.get(holding.library, holding.library)), Subfield("b", holding.name)]
        subfields += [Subfield("h", number) for number in holding.call_numbers[:1]]
        subfields.append(Subfield("z", _("%(count)s bản", count=holding.copies)))
        marc.add_ordered_field(Field(tag="852", indicators=Indicators(" ", " "), subfields=subfields))
    return marc


def safe_file_name(name: str) -> str:
    return FILE_NAME_UNSAFE.sub("_", name).strip("._") or "muc-luc"
