"""Tables of accounts: users, their API tokens, login attempts and the audit log."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import Library, utcnow
from database import Base

USERNAME_LENGTH = 64


class User(UserMixin, Base):
    """A person who signs in: a librarian of one library, or the coordinator of the Union."""

    # Not "user": that is a reserved word in PostgreSQL (`select * from user` names the session's role).
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint("role in ('librarian', 'coordinator')", name="role"),
        CheckConstraint("role != 'librarian' or library_id is not null", name="librarian_library"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    disabled: Mapped[bool] = mapped_column(default=False)
    # Part of the session's user id: a new stamp (password changed) ends every session signed in before.
    session_stamp: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    library: Mapped[Library | None] = relationship(lazy="joined")

    @property
    def library_code(self) -> str | None:
        return self.library.code if self.library is not None else None

    @property
    def is_active(self) -> bool:
        return not self.disabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_stamp}"


class ApiToken(Base):
    """A personal token for scripts; only its SHA-256 is kept, and its first characters to recognize it by."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """One sign-in attempt, kept in the database so the limits hold across server processes."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))  # as typed, lower-cased; the account may not exist
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool]


class AuditEvent(Base):
    """Who did what, when, for which library and from which address."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(100), index=True)  # kept as it was, also for "cli:…" actors
    library_code: Mapped[str | None] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict | None] = mapped_column(JSON)
    address: Mapped[str | None] = mapped_column(String(64))
