"""Users: creation, roles and libraries, passwords (scrypt), disabling; every change is audited."""
from __future__ import annotations

import functools
import re
import secrets

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from accounts import audit
from accounts.errors import InvalidAccount, LastCoordinator, UnknownUser, UserExists, WrongPassword
from accounts.models import USERNAME_LENGTH, User
from accounts.text import plain
from catalog.libraries import get_library
from catalog.permissions import COORDINATOR, LIBRARIAN, ROLES

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,%d}" % (USERNAME_LENGTH - 1))
MIN_PASSWORD = 8
MAX_PASSWORD = 200  # scrypt of a huge "password" would only cost the server
ROLE_NAMES = {LIBRARIAN: lazy_gettext("thủ thư"), COORDINATOR: lazy_gettext("điều phối viên")}


def normalize_username(username: str) -> str:
    """Usernames are looked up without regard to case or surrounding spaces."""
    return plain(username).strip().lower()


def find_user(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == normalize_username(username)))


def get_user(db: Session, username: str) -> User:
    user = find_user(db, username)
    if user is None:
        raise UnknownUser(_("Không có người dùng “%(name)s”.", name=username))
    return user


def get_user_by_id(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise UnknownUser(_("Không có người dùng số %(number)s.", number=user_id))
    return user


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.username)))


def create_user(db: Session, username: str, password: str, role: str, library_code: str | None, actor) -> User:
    """Add a user; a librarian must belong to a library."""
    name = normalize_username(username)
    if not USERNAME.fullmatch(name):
        raise InvalidAccount(_("Tên đăng nhập “%(name)s” không dùng được: 2–%(max)s ký tự, chỉ chữ không dấu, "
                               "số và . _ -, bắt đầu bằng chữ hoặc số.", name=username, max=USERNAME_LENGTH))
    check_new_password(password)
    user = User(username=name, session_stamp=secrets.token_hex(16))
    _assign(db, user, role, library_code)
    user.password_hash = hash_password(password)
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise UserExists(_("Đã có người dùng “%(name)s”.", name=name)) from None
    audit.record(db, "user.create", actor, library_code=user.library_code, target=name,
                 details={"role": role, "library": user.library_code})
    return user


def set_role(db: Session, user: User, role: str, library_code: str | None, actor) -> None:
    if user.role == COORDINATOR and role != COORDINATOR:
        _keep_a_coordinator(db, user)
    _assign(db, user, role, library_code)
    db.flush()
    audit.record(db, "user.role", actor, library_code=user.library_code, target=user.username,
                 details={"role": role, "library": user.library_code})


def set_disabled(db: Session, user: User, disabled: bool, actor) -> None:
    """Disable (every session and token stops working at once) or enable an account."""
    if disabled and user.role == COORDINATOR:
        _keep_a_coordinator(db, user)
    user.disabled = disabled
    db.flush()
    audit.record(db, "user.disable" if disabled else "user.enable", actor, library_code=user.library_code,
                 target=user.username)


def set_password(db: Session, user: User, password: str, actor) -> None:
    """Set a new password; the sessions signed in with the old one end."""
    user.password_hash = hash_password(check_new_password(password))
    user.session_stamp = secrets.token_hex(16)
    db.flush()
    audit.record(db, "user.password", actor, library_code=user.library_code, target=user.username)


def change_own_password(db: Session, user: User, current: str, new: str) -> None:
    if not password_matches(user, current):
        raise WrongPassword(_("Mật khẩu hiện tại không đúng."))
    set_password(db, user, new, user)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_hash_method())


def _hash_method() -> str:
    """werkzeug's scrypt (n=2**15, r=8, p=1); only the tests ask for a cheaper one."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"


def password_matches(user: User | None, password: str) -> bool:
    """Check a password; without a user, hash anyway so the answer takes as long as for a real account."""
    if user is None or not password or len(password) > MAX_PASSWORD:
        check_password_hash(_dummy_hash(_hash_method()), (password or "")[:MAX_PASSWORD])
        return False
    return check_password_hash(user.password_hash, password)


def check_new_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise InvalidAccount(_("Mật khẩu phải có ít nhất %(count)s ký tự.", count=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise InvalidAccount(_("Mật khẩu dài quá %(count)s ký tự.", count=MAX_PASSWORD))
    return password


def _assign(db: Session, user: User, role: str, library_code: str | None) -> None:
    if role not in ROLES:
        raise InvalidAccount(_("Vai trò phải là một trong: %(roles)s.", roles=", ".join(ROLES)))
    if role == LIBRARIAN and not library_code:
        raise InvalidAccount(_("Thủ thư phải thuộc một thư viện: hãy chọn thư viện."))
    user.role = role
    user.library = get_library(db, library_code) if library_code else None


def _keep_a_coordinator(db: Session, user: User) -> None:
    others = db.scalar(select(func.count()).select_from(User).where(
        User.role == COORDINATOR, User.id != user.id, User.disabled.is_(False)))
    if not others:
        raise LastCoordinator(_("“%(name)s” là điều phối viên duy nhất còn hoạt động: hãy thêm điều phối viên "
                                "khác trước.", name=user.username))


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(8), method=method)
