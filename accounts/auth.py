"""Who is asking: the signed-in user of a browser session, or the owner of a script's bearer token."""
from __future__ import annotations

from flask import Request, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, LoginManager, current_user

import database
from accounts import tokens
from accounts.errors import TokenRejected
from accounts.models import User

login_manager = LoginManager()


class Anonymous(AnonymousUserMixin):
    """A visitor who has not signed in: reads and searches the catalog, may do nothing else."""

    role = None
    library_code = None
    username = None


login_manager.anonymous_user = Anonymous


@login_manager.user_loader
def load_session_user(session_id: str) -> User | None:
    """The user of a session, unless disabled or signed in before the password changed."""
    if is_api_request(request):
        return None  # the API answers to tokens alone: no cookie acts there, so no forged form can
    user_id, _sep, stamp = session_id.partition(":")
    user = database.session().get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or user.disabled or user.session_stamp != stamp:
        return None
    return user


@login_manager.request_loader
def load_token_user(req: Request) -> User | None:
    secret = bearer_token(req)
    if secret is None:
        return None
    with database.transaction() as db:
        return tokens.user_for_token(db, secret)


@login_manager.unauthorized_handler
def unauthorized():
    """Scripts get 401 JSON; a browser goes to the sign-in page and comes back afterwards."""
    if is_api_request(request):
        raise TokenRejected(_("Cần mã truy cập hợp lệ: gửi “Authorization: Bearer <mã>”."))
    query = request.query_string.decode("utf-8", "replace")
    return redirect(url_for("accounts.login", next=request.path + (f"?{query}" if query else "")))


def is_api_request(req: Request) -> bool:
    """A script's request: to the API, or carrying a bearer token (which then alone says who asks)."""
    return req.path.startswith("/api/") or bearer_token(req) is not None


def bearer_token(req: Request) -> str | None:
    authorization = req.authorization
    if authorization is None or authorization.type != "bearer" or not authorization.token:
        return None
    return authorization.token


def check_bearer_token() -> None:
    """Check a script's token on every request, so a revoked one fails on public pages too."""
    if bearer_token(request) is not None:
        current_user._get_current_object()  # loading the user runs load_token_user, which raises on a bad token


def token_rejected(error: TokenRejected):
    """Always JSON: the error page would ask for the user again and fail the same way."""
    return {"error": error.message}, error.code, {"WWW-Authenticate": "Bearer"}


def init_app(app) -> None:
    login_manager.init_app(app)
    app.before_request(check_bearer_token)
    app.register_error_handler(TokenRejected, token_rejected)
