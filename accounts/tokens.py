"""Personal API tokens: created and revoked by their owner, sent by scripts as `Authorization: Bearer …`."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import audit
from accounts.errors import InvalidAccount, TokenRejected, UnknownToken
from accounts.models import ApiToken, User
from accounts.text import plain
from catalog.models import utcnow

PREFIX_LENGTH = 8
NAME_LENGTH = 100
LAST_USED_PRECISION = timedelta(minutes=1)  # not one write per request for a busy script


def create_token(db: Session, user: User, name: str, actor) -> str:
    """Make a token for user and return it; it is shown this once, only its hash is kept."""
    name = plain(name, NAME_LENGTH + 1).strip() or _("Mã truy cập")
    if len(name) > NAME_LENGTH:
        raise InvalidAccount(_("Tên mã truy cập dài quá %(count)s ký tự.", count=NAME_LENGTH))
    secret = secrets.token_urlsafe(32)
    db.add(ApiToken(user_id=user.id, name=name, token_hash=_digest(secret), prefix=secret[:PREFIX_LENGTH]))
    audit.record(db, "token.create", actor, library_code=user.library_code, target=user.username,
                 details={"name": name, "prefix": secret[:PREFIX_LENGTH]})
    return secret


def list_tokens(db: Session, user: User) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke_token(db: Session, user: User, token_id: int, actor) -> None:
    """Revoke one of the user's own tokens; it stops working at once."""
    token = db.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise UnknownToken(_("Không có mã truy cập số %(number)s của bạn.", number=token_id))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(db, "token.revoke", actor, library_code=user.library_code, target=user.username,
                     details={"name": token.name, "prefix": token.prefix})


def user_for_token(db: Session, secret: str) -> User:
    """The active user a token belongs to, noting when it was used; anything else is refused."""
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None:
        raise TokenRejected(_("Mã truy cập không hợp lệ hoặc đã bị thu hồi."))
    if token.user.disabled:
        raise TokenRejected(_("Tài khoản của mã truy cập này đã bị khóa."))
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        token.last_used_at = now
    return token.user


def _digest(secret: str) -> str:
    # A random 256-bit token needs no slow hash: nobody can guess it from its SHA-256.
    return hashlib.sha256(secret.encode()).hexdigest()
