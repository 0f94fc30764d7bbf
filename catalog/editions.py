"""Editions in the database: re-cluster what imports touched, keep keys stable, apply librarians' decisions.

Every write of a record marks it pending (record.edition_pending). `sync_pending` takes the pending records,
finds everything that could cluster with them (records sharing a block, the members of their editions,
records a librarian joined to them) and clusters exactly that with the pure matcher, so the result is the
one a full re-clustering would give for those records, at the cost of the records touched. Past a share of
the catalog a full re-clustering is cheaper, and is what runs.

Membership changes are written to the change feed, so the search index follows.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, or_, select, text, update
from sqlalchemy.orm import aliased

import database
from bulk import bulk_insert, bulk_update
from catalog.changes import record_changed
from catalog.edition_assign import assign
from catalog.edition_match import EditionKeys, blocking_keys, cluster, match_keys
from catalog.models import Edition, EditionDecision, MatchBlock, Record, RecordIdentifier, utcnow
from catalog.record_data import RecordData

log = logging.getLogger(__name__)

IN_CHUNK = 5000  # ids per IN (...) list: below every driver's limit on bound parameters
FULL_SHARE = 0.2  # past this share of the catalog pending, re-cluster everything in one pass
MIN_FULL = 5000
MAX_COMPONENT = 50_000  # a neighbourhood larger than this is re-clustered with everything else
KEY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base 32: no i, l, o, u to misread
KEY_LENGTH = 12
LOCK_ID = 46_042_021  # PostgreSQL advisory lock: one re-clustering at a time


@dataclass(frozen=True)
class StoredRow:
    """What clustering needs of one stored record."""

    id: int
    deleted: bool
    edition_id: int | None
    edition_link: dict | None
    former_edition_id: int | None
    keys: EditionKeys


@dataclass
class SyncOutcome:
    records: int = 0  # records re-clustered
    editions_changed: int = 0  # editions whose membership changed (new, grown, shrunk, merged, retired)
    full: bool = False


def sync_pending(conn: Connection) -> SyncOutcome:
    """Re-cluster the records written since the last sync, in the caller's transaction."""
    _lock(conn)
    pending = conn.execute(select(Record.id, Record.updated_at).where(Record.edition_pending)).all()
    if not pending:
        return SyncOutcome()
    live = conn.execute(select(func.count()).select_from(Record).where(Record.deleted.is_(False))).scalar_one()
    if len(pending) > max(MIN_FULL, FULL_SHARE * live):
        return _recluster_all(conn, pending)
    ids = [row.id for row in pending]
    _write_blocks(conn, _load(conn, ids), replace=True)
    component = _component(conn, ids)
    if component is None:
        return _recluster_all(conn, pending)
    return _recluster(conn, _load(conn, component), decisions=_decisions(conn, component), pending=pending)


def clustering_pending(conn: Connection) -> bool:
    """Whether some record waits for its edition (one look at a partial index)."""
    return conn.execute(select(Record.id).where(Record.edition_pending).limit(1)).first() is not None


def recluster_everything(conn: Connection) -> SyncOutcome:
    """Re-cluster the whole catalog (after the matcher's rules change); keys stay where membership does."""
    _lock(conn)
    return _recluster_all(conn, conn.execute(select(Record.id, Record.updated_at).where(Record.edition_pending)).all())


def recluster_around(conn: Connection, record_ids: Iterable[int]) -> SyncOutcome:
    """Re-cluster the neighbourhood of these records now (after a librarian's decision)."""
    _lock(conn)
    component = _component(conn, list(record_ids)) or []
    return _recluster(conn, _load(conn, component), decisions=_decisions(conn, component))


def cluster_pending(engine: Engine) -> SyncOutcome | None:
    """Sync in a transaction of its own; a failure leaves the records pending for the next sync."""
    try:
        with engine.begin() as conn:
            return sync_pending(conn)
    except Exception:  # noqa: BLE001 - the records are committed; the next sync (or search sync) clusters them
        log.exception("edition clustering failed; it is retried by the next import or `flask search sync`")
        return None


def cluster_after_change(app, **_details) -> None:
    """Listener of catalog_changed: cluster what was just committed."""
    with app.app_context():
        cluster_pending(database.engine())


# --- reading ------------------------------------------------------------------------------------------------------

def _lock(conn: Connection) -> None:
    """Serialize re-clusterings: two at once could each miss the other's records."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
    else:  # SQLite: a write takes the database's write lock until commit
        conn.execute(update(Edition).where(Edition.id == -1).values(key=Edition.key))


_COLUMNS = (Record.id, Record.deleted, Record.edition_id, Record.edition_link, Record.former_edition_id,
            Record.org_code,
            Record.control_number, Record.title, Record.authors, Record.year, Record.publisher, Record.isbns,
            Record.edition_statement)


def _load(conn: Connection, ids: Iterable[int]) -> list[StoredRow]:
    ids = sorted(set(ids))
    rows = []
    for part in _chunks(ids):
        numbers = _system_numbers(conn, RecordIdentifier.record_id.in_(part))
        rows += [_row(row, numbers) for row in conn.execute(select(*_COLUMNS).where(Record.id.in_(part)))]
    return sorted(rows, key=lambda row: row.id)


def _load_all(conn: Connection) -> list[StoredRow]:
    numbers = _system_numbers(conn, RecordIdentifier.kind == "035")
    result = conn.execute(select(*_COLUMNS).order_by(Record.id).execution_options(yield_per=IN_CHUNK))
    return [_row(row, numbers) for row in result]


def _system_numbers(conn: Connection, where) -> dict[int, list[str]]:
    numbers: dict[int, list[str]] = {}
    for record_id, value in conn.execute(select(RecordIdentifier.record_id, RecordIdentifier.value)
                                         .where(where, RecordIdentifier.kind == "035")):
        numbers.setdefault(record_id, []).append(value)
    return numbers


def _row(row, numbers: dict[int, list[str]]) -> StoredRow:
    data = RecordData(control_number=row.control_number, org_code=row.org_code, title=row.title,
                      authors=tuple(row.authors or ()), year=row.year, publisher=row.publisher,
                      isbns=tuple(row.isbns or ()), edition_statement=row.edition_statement,
                      system_numbers=tuple(numbers.get(row.id, ())))
    return StoredRow(row.id, row.deleted, row.edition_id, row.edition_link, row.former_edition_id, match_keys(data))


def _component(conn: Connection, seeds: list[int]) -> set[int] | None:
    """Every record that could end in one edition with a seed, or with a record of a seed's edition."""
    seen, frontier = set(seeds), set(seeds)
    while frontier:
        found: set[int] = set()
        for part in _chunks(sorted(frontier)):
            own_block, seed = aliased(MatchBlock), aliased(Record)
            blocks = select(own_block.block).where(own_block.record_id.in_(part))
            found.update(conn.scalars(select(MatchBlock.record_id).where(MatchBlock.block.in_(blocks))))
            editions = select(seed.edition_id).where(seed.id.in_(part), seed.edition_id.is_not(None))
            found.update(conn.scalars(select(Record.id).where(Record.edition_id.in_(editions),
                                                              Record.deleted.is_(False))))
            for a, b in conn.execute(select(EditionDecision.record_id, EditionDecision.other_record_id).where(
                    EditionDecision.active, EditionDecision.kind == "join",
                    or_(EditionDecision.record_id.in_(part), EditionDecision.other_record_id.in_(part)))):
                found.update((a, b))
        frontier = found - seen
        seen |= frontier
        if len(seen) > MAX_COMPONENT:
            return None
    return seen


def _decisions(conn: Connection, ids: Iterable[int] | None) -> tuple[list, list]:
    """Active joins and splits among these records (None: all of them)."""
    query = select(EditionDecision.kind, EditionDecision.record_id, EditionDecision.other_record_id).where(
        EditionDecision.active)
    rows = []
    if ids is None:
        rows = conn.execute(query).all()
    else:
        wanted = set(ids)
        for part in _chunks(sorted(wanted)):
            rows += [row for row in conn.execute(query.where(EditionDecision.record_id.in_(part)))
                     if row.other_record_id in wanted]
    joins = [(row.record_id, row.other_record_id) for row in rows if row.kind == "join"]
    splits = [(row.record_id, row.other_record_id) for row in rows if row.kind == "split"]
    return joins, splits


# --- writing ------------------------------------------------------------------------------------------------------

def _recluster_all(conn: Connection, pending) -> SyncOutcome:
    rows = _load_all(conn)
    conn.execute(delete(MatchBlock))
    _write_blocks(conn, rows, replace=False)
    outcome = _recluster(conn, rows, decisions=_decisions(conn, None), pending=pending)
    outcome.full = True
    return outcome


def _write_blocks(conn: Connection, rows: list[StoredRow], replace: bool) -> None:
    if replace:
        for part in _chunks([row.id for row in rows]):
            conn.execute(delete(MatchBlock).where(MatchBlock.record_id.in_(part)))
    bulk_insert(conn, MatchBlock.__table__, [
        {"record_id": row.id, "block": block_hash(block)}
        for row in rows if not row.deleted for block in blocking_keys(row.keys)])


def block_hash(block: tuple) -> str:
    """A fixed-width name for a blocking key (a title can be longer than an index entry may be)."""
    return hashlib.sha1("\x1f".join(map(str, block)).encode()).hexdigest()


def _recluster(conn: Connection, rows: list[StoredRow], decisions: tuple[list, list], pending=()) -> SyncOutcome:
    """Assign these records' editions anew; the `pending` rows are marked done. Changes are noted last."""
    joins, splits = decisions
    live = [row for row in rows if not row.deleted]
    clusters = cluster(((row.id, row.keys) for row in live), must_link=joins, cannot_link=splits)
    by_id = {row.id: row for row in rows}
    old = {row.id: row.edition_id for row in rows}
    plan = assign([c.members for c in clusters], old, _former(conn, rows))
    now = utcnow()
    edition_of = dict(plan.kept) | _new_editions(conn, plan.fresh, now)
    changed_editions: set[int] = set()
    updates = []
    for index, found in enumerate(clusters):
        edition_id = edition_of[index]
        links = {link.member: _link_json(link) for link in found.links}
        for member in found.members:
            link, row = links.get(member), by_id[member]
            former = old[member] if old[member] in plan.merged else row.former_edition_id
            former = None if former == edition_id else former
            if old[member] != edition_id:
                changed_editions.update(filter(None, (old[member], edition_id)))
            if (old[member], row.edition_link, row.former_edition_id) != (edition_id, link, former):
                updates.append({"id": member, "edition_id": edition_id, "edition_link": link,
                                "former_edition_id": former})
    bulk_update(conn, Record.__table__, updates)
    changed_editions |= _retire_and_redirect(conn, plan, edition_of, now)
    _revive(conn, list(plan.kept.values()), now)
    _clear_pending(conn, pending)
    # The search index shows editions: every live member of an edition whose membership changed.
    record_changed(conn, [member for index, found in enumerate(clusters) if edition_of[index] in changed_editions
                          for member in found.members])
    return SyncOutcome(records=len(live), editions_changed=len(changed_editions))


def _former(conn: Connection, rows: list[StoredRow]) -> dict[int, int]:
    """Each record's former edition, where that edition is merged into another still (so it may be revived)."""
    formers = {row.former_edition_id for row in rows if row.former_edition_id and not row.deleted}
    merged = set()
    for part in _chunks(sorted(formers)):
        merged.update(conn.scalars(select(Edition.id).where(Edition.id.in_(part), Edition.merged_into_id.is_not(None))))
    return {row.id: row.former_edition_id for row in rows if row.former_edition_id in merged}


def _link_json(link) -> dict:
    decision = link.decision
    return {"key": decision.key, "score": decision.score, "reason": decision.reason, "joined_to": link.joined_to}


def _new_editions(conn: Connection, clusters: list[int], now) -> dict[int, int]:
    """A new edition for each of these clusters: {cluster index: edition id}."""
    if not clusters:
        return {}
    keys = {index: new_key() for index in clusters}
    bulk_insert(conn, Edition.__table__, [{"key": key, "created_at": now, "updated_at": now} for key in keys.values()])
    ids = {}
    for part in _chunks(list(keys.values())):
        ids.update(conn.execute(select(Edition.key, Edition.id).where(Edition.key.in_(part))).all())
    return {index: ids[key] for index, key in keys.items()}


def new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def _retire_and_redirect(conn: Connection, plan, edition_of: dict[int, int], now) -> set[int]:
    """Merged editions point at their successor (and so does whatever pointed at them); empty ones retire."""
    for old_id, index in plan.merged.items():
        target = edition_of[index]
        conn.execute(update(Edition).where(or_(Edition.id == old_id, Edition.merged_into_id == old_id))
                     .values(merged_into_id=target, updated_at=now))
    for part in _chunks(sorted(plan.retired)):
        conn.execute(update(Edition).where(Edition.id.in_(part)).values(retired_at=now, updated_at=now))
    return set(plan.merged) | plan.retired


def _revive(conn: Connection, kept: list[int], now) -> None:
    """An edition a cluster keeps is current, even if it had been retired or merged before."""
    for part in _chunks(kept):
        conn.execute(update(Edition).where(Edition.id.in_(part),
                                           or_(Edition.retired_at.is_not(None), Edition.merged_into_id.is_not(None)))
                     .values(retired_at=None, merged_into_id=None, updated_at=now))


def _clear_pending(conn: Connection, pending) -> None:
    """Done with these records, unless an import rewrote one meanwhile (then it waits for the next sync)."""
    bulk_update(conn, Record.__table__, [{"id": row.id, "updated_at": row.updated_at, "edition_pending": False}
                                         for row in pending], match=("updated_at",))


def _chunks(values: list) -> Iterator[list]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start:start + IN_CHUNK]
