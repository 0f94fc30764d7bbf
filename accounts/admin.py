"""The coordinator's page of users: create, disable or enable, reset a password, set role and library."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import database
from accounts import users
from accounts.auth import login_manager
from catalog import permissions
from catalog.errors import NotAllowed
from catalog.libraries import list_libraries

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def coordinator_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not permissions.can_manage_users(current_user):
        raise NotAllowed(_("Chỉ điều phối viên của Liên hiệp mới quản lý người dùng."))
    return None


@bp.get("/users")
def user_list():
    db = database.session()
    return render_template("admin_users.html", users=users.list_users(db), libraries=list_libraries(db),
                           roles=users.ROLE_NAMES)


@bp.post("/users")
def create_user():
    form = request.form
    with database.transaction() as db:
        user = users.create_user(db, form.get("username", ""), form.get("password", ""), form.get("role", ""),
                                 form.get("library") or None, current_user)
    flash(_("Đã tạo người dùng “%(name)s”.", name=user.username))
    return redirect(url_for("admin.user_list"))


@bp.post("/users/<int:user_id>/disable")
def disable_user(user_id: int):
    return _change(user_id, users.set_disabled, True, message=_("Đã khóa “%(name)s”."))


@bp.post("/users/<int:user_id>/enable")
def enable_user(user_id: int):
    return _change(user_id, users.set_disabled, False, message=_("Đã mở khóa “%(name)s”."))


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    return _change(user_id, users.set_password, request.form.get("password", ""),
                   message=_("Đã đặt mật khẩu mới cho “%(name)s”."))


@bp.post("/users/<int:user_id>/role")
def set_role(user_id: int):
    return _change(user_id, users.set_role, request.form.get("role", ""), request.form.get("library") or None,
                   message=_("Đã đổi vai trò của “%(name)s”."))


def _change(user_id: int, change, *arguments, message: str):
    """Apply one change to one user as the signed-in coordinator, then go back to the list."""
    with database.transaction() as db:
        user = users.get_user_by_id(db, user_id)
        change(db, user, *arguments, current_user)
    flash(message % {"name": user.username})
    return redirect(url_for("admin.user_list"))
