"""Tables of the exchange tracker: transfers of copies between libraries, their lines and their history."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import Copy, Edition, Library, utcnow
from database import Base

KINDS = ("donation", "exchange")
STATES = ("draft", "dispatched", "received", "partly_received", "cancelled")
OPEN_STATES = ("draft", "dispatched")


class Transfer(Base):
    """A donation or one direction of an exchange, from one library to another."""

    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint("kind in ('donation', 'exchange')", name="kind"),
        CheckConstraint("state in ('draft', 'dispatched', 'received', 'partly_received', 'cancelled')",
                        name="state"),
        CheckConstraint("from_library_id != to_library_id", name="two_libraries"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    from_library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), index=True)
    to_library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), index=True)
    transfer_date: Mapped[date] = mapped_column(Date)
    occasion: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    # An exchange is two transfers, one each way, each naming the other.
    counterpart_id: Mapped[int | None] = mapped_column(ForeignKey("transfer.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    from_library: Mapped[Library] = relationship(foreign_keys=[from_library_id])
    to_library: Mapped[Library] = relationship(foreign_keys=[to_library_id])
    lines: Mapped[list[TransferLine]] = relationship(order_by="TransferLine.position", back_populates="transfer",
                                                     cascade="all, delete-orphan", lazy="selectin")
    events: Mapped[list[TransferEvent]] = relationship(order_by="TransferEvent.id", back_populates="transfer",
                                                       cascade="all, delete-orphan")


class TransferLine(Base):
    """A named copy (by registration number), or a title with a quantity: an edition, or free text."""

    __tablename__ = "transfer_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("(case when copy_id is null then 0 else 1 end)"
                        " + (case when edition_id is null then 0 else 1 end)"
                        " + (case when title is null then 0 else 1 end) = 1", name="one_kind"),
        # A copy is on at most one open transfer: the database itself refuses a second.
        Index("uq_transfer_line_open_copy", "copy_id", unique=True, postgresql_where=text("is_open"),
              sqlite_where=text("is_open")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    copy_id: Mapped[int | None] = mapped_column(ForeignKey("copy.id"))
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("edition.id"))
    title: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(default=1)
    received: Mapped[int | None]
    missing: Mapped[int | None]
    damaged: Mapped[int | None]
    is_open: Mapped[bool] = mapped_column(default=True)  # while the transfer is a draft or dispatched
    status_before: Mapped[str | None] = mapped_column(String(32))  # the copy's status before dispatch

    transfer: Mapped[Transfer] = relationship(back_populates="lines")
    copy: Mapped[Copy | None] = relationship(lazy="selectin")
    edition: Mapped[Edition | None] = relationship(lazy="selectin")


class TransferEvent(Base):
    """One step of a transfer: who did what, when, acting for which side, what changed."""

    __tablename__ = "transfer_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    state_from: Mapped[str | None] = mapped_column(String(20))
    state_to: Mapped[str] = mapped_column(String(20))
    username: Mapped[str] = mapped_column(String(100))
    as_coordinator: Mapped[bool] = mapped_column(default=False)  # the coordinator acted for a library
    at: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[dict | None] = mapped_column(JSON)

    transfer: Mapped[Transfer] = relationship(back_populates="events")
