"""The hardened web surface: CSRF on every form, safe session cookies, security headers, clear 4xx answers."""
from __future__ import annotations

from flask import Flask, abort, current_app, has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
MEGABYTE = 1024 * 1024
# What servers in front of the application allow (gunicorn: 4094 bytes for the whole request line); a longer
# query string is no reader's search, and searching a 100 KB one would hold a worker for minutes.
MAX_QUERY_STRING = 4096


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure on HTTPS requests, unless SESSION_COOKIE_SECURE is set either way."""

    def get_cookie_secure(self, app: Flask) -> bool:
        secure = app.config["SESSION_COOKIE_SECURE"]
        if secure is None:
            return has_request_context() and request.is_secure
        return bool(secure)


def init_app(app: Flask) -> None:
    app.config["SESSION_COOKIE_SAMESITE"] = app.config["SESSION_COOKIE_SAMESITE"] or "Lax"
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # check_csrf below decides, knowing about bearer tokens
    csrf.init_app(app)
    app.session_interface = SessionInterface()
    if proxies := int(app.config.get("TRUST_PROXY") or 0):
        # Only behind a proxy we run: otherwise any client could claim HTTPS or another address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.config.setdefault("MAX_QUERY_STRING", MAX_QUERY_STRING)
    app.before_request(refuse_long_query_string)
    app.before_request(check_csrf)
    app.after_request(add_security_headers)
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_error_handler(HTTPException, http_error)


def refuse_long_query_string() -> None:
    if len(request.query_string) > current_app.config["MAX_QUERY_STRING"]:
        abort(414)


def check_csrf() -> None:
    """Refuse a form sent without this session's token; API scripts with a bearer token carry no cookies."""
    if current_app.config["WTF_CSRF_ENABLED"] and not _has_bearer_token():
        csrf.protect(apply_exemptions=True)


def _has_bearer_token() -> bool:
    # A browser sends an Authorization header only when a page's script sets it, which another site's page
    # cannot do without CORS: a forged cross-site form never has one.
    authorization = request.authorization
    return authorization is not None and authorization.type == "bearer" and bool(authorization.token)


def add_security_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def csrf_failed(_error: CSRFError):
    return error_response(_("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang và thử lại."), 400)


def http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    kept = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return error_response(_http_message(error.code), error.code, kept)


def _http_message(code: int) -> str:
    if code == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        size = f"{limit // MEGABYTE} MB" if limit >= MEGABYTE else f"{limit // 1024} KB"
        return _("Tệp quá lớn: giới hạn tải lên là %(limit)s. Hãy chia tệp hoặc nhập bằng dòng lệnh.", limit=size)
    messages = {
        400: _("Yêu cầu không hợp lệ. Hãy kiểm tra lại địa chỉ hoặc biểu mẫu."),
        401: _("Cần đăng nhập để làm việc này."),
        403: _("Bạn không có quyền làm việc này."),
        404: _("Không tìm thấy trang này. Hãy kiểm tra lại địa chỉ."),
        405: _("Địa chỉ này không nhận yêu cầu %(method)s.", method=request.method),
        414: _("Địa chỉ quá dài. Hãy tìm với ít từ hơn."),
        429: _("Quá nhiều yêu cầu trong một lúc. Hãy đợi một lát rồi thử lại."),
    }
    if code in messages:
        return messages[code]
    if code < 500:
        return _("Yêu cầu không thực hiện được (mã %(code)s).", code=code)
    return _("Máy chủ gặp lỗi (mã %(code)s). Hãy thử lại sau; nếu vẫn lỗi, báo cho người quản trị.", code=code)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(message: str, code: int, headers=None):
    """An error as JSON for the API and scripts, else as a page in the reader's language."""
    if wants_json():
        return {"error": message}, code, headers or []
    return render_template("error.html", message=message), code, headers or []
