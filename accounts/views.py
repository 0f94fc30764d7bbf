"""Pages of accounts: signing in and out, one's own account and tokens, the audit log."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

import database
from accounts import audit, signin, tokens, users
from accounts.errors import AccountError, InvalidAccount, SignInFailed, TooManyAttempts

bp = Blueprint("accounts", __name__)


@bp.get("/login", endpoint="login")
def login_form():
    return render_template("login.html", next=_safe_next(request.args.get("next")))


@bp.post("/login")
def sign_in():
    next_page = _safe_next(request.form.get("next"))
    try:
        user = signin.sign_in(request.form.get("username", ""), request.form.get("password", ""),
                             request.remote_addr or "?")
    except (SignInFailed, TooManyAttempts) as error:  # shown above the form, so the reader can try again
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyAttempts) else {}
        return render_template("login.html", next=next_page, error=error.message,
                               username=request.form.get("username", "")), error.code, headers
    login_user(user)
    return redirect(next_page or url_for("overview.home"))


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("overview.home"))


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/password")
@login_required
def change_password():
    try:
        with database.transaction() as db:
            user = users.get_user_by_id(db, current_user.id)
            users.change_own_password(db, user, request.form.get("current", ""), _confirmed_password())
    except AccountError as error:  # shown above the form, so the reader can correct it there
        return _account_page(password_error=error.message), error.code
    login_user(user)  # this session goes on with the new stamp; the others end
    flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc."))
    return redirect(url_for("accounts.account"))


@bp.post("/account/tokens")
@login_required
def create_token():
    with database.transaction() as db:
        secret = tokens.create_token(db, current_user, request.form.get("name", ""), current_user)
    return _account_page(new_token=secret), 201


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    with database.transaction() as db:
        tokens.revoke_token(db, current_user, token_id, current_user)
    flash(_("Đã thu hồi mã truy cập."))
    return redirect(url_for("accounts.account"))


@bp.get("/audit")
@login_required
def audit_log():
    db = database.session()
    return render_template("audit.html", page=audit.list_events(db, current_user, request.args),
                           choices=audit.filter_choices(db, current_user), query=request.args)


def _account_page(**shown):
    return render_template("account.html", tokens=tokens.list_tokens(database.session(), current_user),
                           roles=users.ROLE_NAMES, **shown)


def _confirmed_password() -> str:
    """The new password, once the form's two copies agree."""
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        raise InvalidAccount(_("Hai lần nhập mật khẩu mới không giống nhau."))
    return password


def _safe_next(target: str | None) -> str | None:
    """A page of this site to return to after signing in; anything else could send the user elsewhere."""
    # Browsers drop tabs and line breaks and read a backslash as "/": "/<tab>/evil.example" leaves the site.
    if not target or not target.startswith("/") or "\\" in target or not target.isprintable():
        return None
    return None if target.startswith("//") else target
