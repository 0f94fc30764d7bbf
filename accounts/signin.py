"""Signing in, with failed attempts limited per account and per address across every server process."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask_babel import format_time
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import database
from accounts import audit
from accounts.errors import SignInFailed, TooManyAttempts
from accounts.models import LoginAttempt, User
from accounts.users import find_user, normalize_username, password_matches
from catalog.models import utcnow

ACCOUNT_LIMIT = 5  # failed attempts per account in WINDOW
ADDRESS_LIMIT = 20  # failed attempts per address in WINDOW
WINDOW = timedelta(minutes=15)
KEEP_ATTEMPTS = timedelta(days=1)  # only the limits read them; the audit log keeps every sign-in for good


def sign_in(username: str, password: str, address: str) -> User:
    """The user these credentials belong to; each attempt is recorded, unless refused for too many failures.

    Refused attempts are not written anywhere: a flood of them must not fill the database or prolong the wait.
    """
    name = normalize_username(username)[:100]
    with database.transaction() as db:  # the attempt is kept even when signing in fails
        now = utcnow()
        retry_at = blocked_until(db, name, address, now)
        if retry_at is None:
            user = find_user(db, name)
            succeeded = password_matches(user, password) and user.is_active
            db.add(LoginAttempt(username=name, address=address, at=now, succeeded=succeeded))
            db.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP_ATTEMPTS))
            audit.record(db, "login" if succeeded else "login.failed", user if user else name or "?",
                         library_code=user.library_code if user else None, target=name)
    if retry_at is not None:
        raise _too_many(retry_at, now)
    if not succeeded:
        raise SignInFailed(_("Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa."))
    return user


def blocked_until(db: Session, username: str, address: str, now: datetime) -> datetime | None:
    """When the account or the address may try again, if either has used up its failed attempts."""
    times = [_nth_recent_failure(db, LoginAttempt.username == username, ACCOUNT_LIMIT, now),
             _nth_recent_failure(db, LoginAttempt.address == address, ADDRESS_LIMIT, now)]
    blocked = [at + WINDOW for at in times if at is not None]
    return max(blocked) if blocked else None


def _nth_recent_failure(db: Session, who, limit: int, now: datetime) -> datetime | None:
    """The limit-th most recent failure in the window: once it leaves the window one more try is allowed."""
    return db.scalar(select(LoginAttempt.at).where(who, LoginAttempt.succeeded.is_(False),
                                                   LoginAttempt.at > now - WINDOW)
                     .order_by(LoginAttempt.at.desc()).offset(limit - 1).limit(1))


def _too_many(retry_at: datetime, now: datetime) -> TooManyAttempts:
    seconds = max(1, math.ceil((retry_at - now).total_seconds()))
    message = _("Đăng nhập sai quá nhiều lần. Vì an toàn, việc đăng nhập tạm dừng: hãy thử lại sau %(minutes)s "
                "phút (lúc %(time)s).", minutes=math.ceil(seconds / 60), time=format_time(retry_at, "HH:mm"))
    return TooManyAttempts(message, retry_at, seconds)
