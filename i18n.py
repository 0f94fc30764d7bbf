"""Languages of the interface: Vietnamese first, English on request."""
from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_babel import Babel, format_datetime, get_locale

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE  # commands and workers speak the default language
    chosen = request.args.get("lang") or session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(get_locale=get_locale, format_datetime=format_datetime)
