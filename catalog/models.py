"""Tables of the catalog: libraries, their MARC records, copies and import batches."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database import Base

LIBRARY_KINDS = ("member", "district", "other")
ORG_CODE_LENGTH = 64
CONTROL_NUMBER_LENGTH = 64
HEARTBEAT_TIMEOUT = timedelta(minutes=2)  # far beyond a chunk's time: an import this silent is no longer running


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Library(Base):
    __tablename__ = "library"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="member")
    org_code: Mapped[str] = mapped_column(String(ORG_CODE_LENGTH), unique=True)  # what the library writes in 003
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Record(Base):
    """One library's MARC record, kept as normalized MARC plus the fields the catalog shows."""

    __tablename__ = "record"
    # control_number first: the importer looks records up by 001 across libraries with this index.
    __table_args__ = (
        UniqueConstraint("control_number", "library_id", "org_code"),
        # Few records wait for re-clustering at a time: a partial index finds them without a scan. On SQLite its
        # condition is the one SQLAlchemy writes for `where(Record.edition_pending)`, or SQLite would not use it.
        Index("ix_record_edition_pending", "id", postgresql_where=text("edition_pending"),
              sqlite_where=text("edition_pending = 1")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"))
    org_code: Mapped[str] = mapped_column(String(ORG_CODE_LENGTH))
    control_number: Mapped[str] = mapped_column(String(CONTROL_NUMBER_LENGTH))
    marc: Mapped[bytes] = mapped_column(LargeBinary)  # ISO 2709, UTF-8, NFC
    marc_hash: Mapped[str] = mapped_column(String(64))
    encoding: Mapped[str] = mapped_column(String(32))  # as detected on import
    deleted: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list] = mapped_column(JSON, default=list)
    year: Mapped[int | None]
    publisher: Mapped[str | None] = mapped_column(Text)
    isbns: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(8))
    subjects: Mapped[list] = mapped_column(JSON, default=list)
    places: Mapped[list] = mapped_column(JSON, default=list)
    series: Mapped[list] = mapped_column(JSON, default=list)
    edition_statement: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The union entry this record belongs to; a deleted record keeps its last one, for history. No foreign
    # key: editions are never deleted (they retire), and adding one would make SQLite copy the record table,
    # which with ON DELETE CASCADE empties the copy table.
    edition_id: Mapped[int | None] = mapped_column(index=True)
    # Why it joined: {"key", "score", "reason", "joined_to"} of the decision that put it there.
    edition_link: Mapped[dict | None] = mapped_column(JSON)
    # The edition it belonged to before that edition was merged into another: if a librarian splits the
    # wrong merge, the split-off records take that edition's key back.
    former_edition_id: Mapped[int | None]
    # Set by every import that writes the record; cleared once the record has been re-clustered.
    edition_pending: Mapped[bool] = mapped_column(default=True)

    library: Mapped[Library] = relationship()


class Edition(Base):
    """A union entry: the records of several libraries that describe one edition (manifestation).

    Its key is what links and citations use: it stays while the membership does, and when the
    edition is merged into another, the key redirects there (merged_into_id).
    """

    __tablename__ = "edition"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(16), unique=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("edition.id"))
    retired_at: Mapped[datetime | None]  # every record of it was deleted
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatchBlock(Base):
    """The blocks a live record is compared within (a hash of each blocking key), to find neighbours."""

    __tablename__ = "match_block"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    block: Mapped[str] = mapped_column(String(40), index=True)


class EditionDecision(Base):
    """A librarian's word on two records: the same edition ("join") or never the same ("split").

    Decisions are between records, not editions, so they outlive re-imports and re-clustering.
    """

    __tablename__ = "edition_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "join" or "split"
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    other_record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)  # a later, contrary decision retires it


class RecordIdentifier(Base):
    """A second key of a record (035 system number, normalized ISBN) for matching."""

    __tablename__ = "record_identifier"
    __table_args__ = (Index("ix_record_identifier_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "035" or "isbn"
    value: Mapped[str] = mapped_column(Text)


class RecordVersion(Base):
    """The MARC a record had before an import replaced or deleted it."""

    __tablename__ = "record_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    marc: Mapped[bytes] = mapped_column(LargeBinary)
    change: Mapped[str] = mapped_column(String(16))  # "updated" or "deleted"
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)


class Copy(Base):
    """One physical item (số ĐKCB) held by a library."""

    __tablename__ = "copy"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), index=True)
    registration_number: Mapped[str | None] = mapped_column(Text, index=True)
    call_number: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(32))
    # Where the copy row came from: "marc" (the record's 852/952, replaced when the record is re-imported),
    # "transfer" (moved or created by a receipt; a re-import of the sender's record leaves it alone).
    source: Mapped[str] = mapped_column(String(16), default="marc")
    title: Mapped[str | None] = mapped_column(Text)  # a copy of a book not catalogued yet (no record)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CopyMovement(Base):
    """A copy's history: from which library to which, when, and why (a transfer's reference)."""

    __tablename__ = "copy_movement"

    id: Mapped[int] = mapped_column(primary_key=True)
    copy_id: Mapped[int] = mapped_column(ForeignKey("copy.id", ondelete="CASCADE"), index=True)
    from_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))  # None: the copy arrived new
    to_library_id: Mapped[int] = mapped_column(ForeignKey("library.id"))
    reference: Mapped[str] = mapped_column(String(64))  # e.g. "transfer:12"
    note: Mapped[str | None] = mapped_column(Text)
    # The copy's registration number before the receiver gave it one of its own (it already used this one):
    # the giver's MARC still lists the copy under it.
    number_before: Mapped[str | None] = mapped_column(Text)
    moved_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegistrationCounter(Base):
    """A library's own sequence of registration numbers (số ĐKCB), for copies that arrive unnumbered."""

    __tablename__ = "registration_counter"

    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class ImportBatch(Base):
    """One import of one file: who, when, what came of it."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str | None] = mapped_column(String(16))
    forced_encoding: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, completed, interrupted
    created_by: Mapped[str] = mapped_column(String(100))
    total: Mapped[int] = mapped_column(default=0)
    new: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    deleted: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    file_size: Mapped[int | None] = mapped_column(BigInteger)  # None: imported before progress was kept
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    # Written with each committed chunk (and about every second between): a running import whose heartbeat
    # stopped died with its process.
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=utcnow)

    library: Mapped[Library | None] = relationship()

    @property
    def state(self) -> str:
        """running, completed or interrupted; a batch still marked running whose heartbeat stopped was interrupted."""
        if self.status == "running" and utcnow() - (self.heartbeat_at or self.started_at) > HEARTBEAT_TIMEOUT:
            return "interrupted"
        return self.status

    @property
    def percent(self) -> int | None:
        """How much of the file has been read, 0 to 100; None when the file's size is unknown."""
        if self.status == "completed":
            return 100
        if not self.file_size:
            return None
        return min(100, self.bytes_read * 100 // self.file_size)


class ImportRejection(Base):
    """A record an import could not take, with a reason the librarian can act on."""

    __tablename__ = "import_rejection"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    byte_offset: Mapped[int | None]
    control_number: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class RecordChange(Base):
    """A change feed: one row per record whose data or copies changed, written in the same transaction.

    Whatever derives from the catalog (the search index) reads the feed after its last seen id, so a
    crash between a commit and the derived write loses nothing.
    """

    __tablename__ = "record_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(index=True)  # no foreign key: the feed outlives what it names
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


HARVEST_URL_LENGTH = 1000
HARVEST_IDENTIFIER_LENGTH = 500


class Harvest(Base):
    """An OAI-PMH source harvested into one library, and how far its last successful harvest reached."""

    __tablename__ = "harvest"
    # set_spec is "" for the whole repository: NULLs never equal each other in a unique key.
    __table_args__ = (UniqueConstraint("url", "set_spec", "library_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(HARVEST_URL_LENGTH))
    set_spec: Mapped[str] = mapped_column(String(255), default="")
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"))
    # The provider's responseDate when the last successful harvest began, by its clock, not ours: the next
    # harvest asks for what changed from then on. Naive UTC, like every time in the catalog.
    harvested_until: Mapped[datetime]
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)


class HarvestedRecord(Base):
    """The record key an OAI identifier brought: a deleted header names only the identifier."""

    __tablename__ = "harvested_record"
    __table_args__ = (UniqueConstraint("harvest_id", "identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    harvest_id: Mapped[int] = mapped_column(ForeignKey("harvest.id", ondelete="CASCADE"))
    identifier: Mapped[str] = mapped_column(String(HARVEST_IDENTIFIER_LENGTH))
    org_code: Mapped[str] = mapped_column(String(ORG_CODE_LENGTH))  # as stored (003, else the library's)
    control_number: Mapped[str] = mapped_column(String(CONTROL_NUMBER_LENGTH))
