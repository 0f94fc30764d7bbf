"""Harvest a library's records over OAI-PMH (MARCXML, as Koha serves it) into the catalog, through the import.

Everything the provider sends goes to one MARCXML file first, and only a harvest that reached the end of its
list is imported: a lost connection or an OAI error midway stores nothing. A deleted header names only an
identifier, so each harvest keeps the record key (003, 001) every identifier brought; a later deletion finds
the local record by it and imports it again marked deleted (leader/05 d), as a deletion in any file is.
A second harvest of the same URL, set and library asks only for what changed since the first began, by the
provider's clock (its responseDate), not ours. The import commits in chunks, as every import does: if it
breaks off, the harvest's place is not moved, and the next harvest brings the same changes again.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

import database
from catalog import oai_client
from catalog.export import MARCXML_NAMESPACE, write_marcxml
from catalog.importer import ImportReport, import_file
from catalog.libraries import get_library, normalize_org_code
from catalog.marc_mapping import DELETED, RECORD_STATUS
from catalog.models import (CONTROL_NUMBER_LENGTH, HARVEST_IDENTIFIER_LENGTH, ORG_CODE_LENGTH, Harvest,
                            HarvestedRecord, Record, utcnow)
from catalog.oai_client import OAI
from catalog.vietnamese import nfc

METADATA_PREFIX = "marc21"
BATCH = 500
# The next harvest starts this long before the provider's clock read at this one's start: a record the
# provider stamped just before then but committed later (an import chunk still running) is fetched next
# time. Records fetched twice come back "unchanged", which costs nothing.
OVERLAP = timedelta(minutes=10)
MARC = f"{{{MARCXML_NAMESPACE}}}"

Key = tuple[str, str, str]  # (OAI identifier, 003 as stored, 001)


@dataclass
class HarvestReport:
    url: str
    set_spec: str | None
    since: str | None  # the from the provider was asked for; None: everything
    received: int = 0  # records with MARCXML
    deleted_headers: int = 0
    deletions: int = 0  # deleted headers whose record was live here, now deleted
    skipped: int = 0  # records without MARCXML in them
    imported: ImportReport | None = None  # None when nothing arrived


@dataclass(frozen=True)
class _Library:
    id: int
    code: str
    org_code: str


def harvest(url: str, library_code: str, set_spec: str | None = None, since: str | None = None, *,
            user: str = "cli", progress: Callable[[int], None] | None = None) -> HarvestReport:
    """Harvest url (set_spec only) into a library, from since (UTC) or else from where the last harvest began."""
    url, set_spec = oai_client.checked_url(url), (set_spec or "").strip() or None
    asked = oai_client.parse_utc(since) if since else None
    with database.transaction() as db:
        library = _library(db, library_code)
        previous = db.scalar(select(Harvest.harvested_until).where(*_source(url, set_spec, library.id)))
    provider = oai_client.identify(url)
    if set_spec is not None:
        oai_client.check_set(url, set_spec)
    start = asked or previous
    report = HarvestReport(url, set_spec, provider.datestamp(start) if start else None)
    keys = _harvest_and_import(report, library, user, progress)
    # An earlier start than before covers the gap; a later one asked by hand must not make the next skip it.
    covered = previous is None or asked is None or asked <= previous
    _remember(report, library.id, provider.response_date - OVERLAP if covered else previous, keys)
    return report


def _library(db: Session, code: str) -> _Library:
    library = get_library(db, code)
    return _Library(library.id, library.code, library.org_code)


def _source(url: str, set_spec: str | None, library_id: int) -> tuple:
    return Harvest.url == url, Harvest.set_spec == (set_spec or ""), Harvest.library_id == library_id


def _harvest_and_import(report: HarvestReport, library: _Library, user: str, progress) -> list[Key]:
    """Fetch every page into one MARCXML file, add the deletions, import it; return what each identifier brought."""
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix="oai-", suffix=".xml") as file:
        file.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="{MARCXML_NAMESPACE}">\n'.encode())
        keys, deleted = _write_records(report, library, file, progress)
        with database.transaction() as db:
            for marc in _live_records(db, report.url, library, deleted, {key[1:] for key in keys}):
                file.write(marked_deleted(marc) + b"\n")
                report.deletions += 1
        file.write(b"</collection>\n")
        file.flush()
        if report.received or report.deletions:
            report.imported = import_file(database.engine(), Path(file.name), file_name=_batch_name(report),
                                          library_code=library.code, fmt="marcxml", user=user)
    return keys


def _write_records(report: HarvestReport, library: _Library, file: BinaryIO, progress) -> tuple[list[Key], list[str]]:
    """Write each record's MARCXML; return the keys they brought and the identifiers of deleted headers."""
    keys: list[Key] = []
    deleted: list[str] = []
    arguments = {"metadataPrefix": METADATA_PREFIX, "set": report.set_spec, "from": report.since}
    for item in oai_client.list_records(report.url, {name: value for name, value in arguments.items() if value}):
        header, marc = item.find(f"{{{OAI}}}header"), item.find(f"{{{OAI}}}metadata/{MARC}record")
        identifier = (header.findtext(f"{{{OAI}}}identifier") or "").strip() if header is not None else ""
        if header is not None and header.get("status") == "deleted":
            report.deleted_headers += 1
            deleted.append(identifier)
            continue
        if marc is None:
            report.skipped += 1
            continue
        file.write(etree.tostring(marc, with_tail=False) + b"\n")
        report.received += 1
        key = record_key(marc, library.org_code)
        if key is not None and 0 < len(identifier) <= HARVEST_IDENTIFIER_LENGTH:
            keys.append((identifier, *key))
        if progress is not None:
            progress(1)
    return keys, deleted


def record_key(marc: etree._Element, library_org: str) -> tuple[str, str] | None:
    """(003, 001) as the import stores them: 003, else the importing library's own code; None without a 001."""
    control: dict[str, str] = {}
    for field in marc.iterfind(f"{MARC}controlfield"):
        control.setdefault(field.get("tag"), nfc(field.text or "").strip())
    number, org = control.get("001", ""), normalize_org_code(control.get("003") or library_org)
    if not number or len(number) > CONTROL_NUMBER_LENGTH or len(org) > ORG_CODE_LENGTH:
        return None
    return org, number


def marked_deleted(marc: bytes) -> bytes:
    """A stored record in MARCXML as the export writes it, its leader/05 set to d: importing it deletes it."""
    record = etree.fromstring(b"".join(write_marcxml([marc])), oai_client.PARSER)[0]
    leader = record.find(f"{MARC}leader")
    leader.text = leader.text[:RECORD_STATUS.start] + DELETED + leader.text[RECORD_STATUS.stop:]
    return etree.tostring(record, with_tail=False)


def _live_records(db: Session, url: str, library: _Library, identifiers: list[str],
                  received: set[tuple[str, str]]) -> Iterator[bytes]:
    """The stored MARC of the live local records the deleted identifiers once brought, from any set of url."""
    for start in range(0, len(identifiers), BATCH):
        keys = set(db.execute(
            select(HarvestedRecord.org_code, HarvestedRecord.control_number)
            .join(Harvest, Harvest.id == HarvestedRecord.harvest_id)
            .where(Harvest.url == url, Harvest.library_id == library.id,
                   HarvestedRecord.identifier.in_(identifiers[start:start + BATCH]))).tuples())
        keys -= received  # the same record came back under another identifier in this very harvest: it lives
        rows = db.execute(select(Record.org_code, Record.control_number, Record.marc).where(
            Record.library_id == library.id, Record.deleted.is_(False),
            Record.control_number.in_({number for _, number in keys}))).all()
        yield from (row.marc for row in rows if (row.org_code, row.control_number) in keys)


def _batch_name(report: HarvestReport) -> str:
    """What the import batch shows as its file: where the records came from."""
    parts = [f"OAI-PMH {report.url}", f"set={report.set_spec}" if report.set_spec else "",
             f"from={report.since}" if report.since else ""]
    return " ".join(part for part in parts if part)


def _remember(report: HarvestReport, library_id: int, until: datetime, keys: list[Key]) -> None:
    """Note how far this harvest reached and the key each identifier brought, in one transaction."""
    with database.transaction() as db:
        source = db.scalar(select(Harvest).where(*_source(report.url, report.set_spec, library_id)))
        if source is None:
            source = Harvest(url=report.url, set_spec=report.set_spec or "", library_id=library_id)
            db.add(source)
        source.harvested_until, source.finished_at = until, utcnow()
        if report.imported is not None:
            source.import_batch_id = report.imported.batch_id
        db.flush()
        for start in range(0, len(keys), BATCH):
            _remember_keys(db, source.id, keys[start:start + BATCH])


def _remember_keys(db: Session, harvest_id: int, keys: list[Key]) -> None:
    latest = {identifier: (org, number) for identifier, org, number in keys}
    known = {row.identifier: row for row in db.scalars(select(HarvestedRecord).where(
        HarvestedRecord.harvest_id == harvest_id, HarvestedRecord.identifier.in_(list(latest))))}
    for identifier, (org, number) in latest.items():
        row = known.get(identifier) or HarvestedRecord(harvest_id=harvest_id, identifier=identifier)
        row.org_code, row.control_number = org, number
        db.add(row)
    db.flush()
