"""Languages of the interface: Vietnamese first, English on request.

The choice is remembered in a cookie of its own (a year), not in the session: it outlives signing out, and a
public reader who never signs in keeps it too. Numbers and dates follow the language: 1.234 and 26/03/2021
in Vietnamese, 1,234 in English (dates stay day first for both: the Union's documents are Vietnamese)."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, Flask, has_request_context, redirect, request, url_for
from babel.numbers import get_group_symbol
from flask_babel import Babel, format_datetime, format_decimal, get_locale, get_translations

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LANGUAGE = "vi"
COOKIE = "lang"
A_YEAR = 365 * 24 * 3600

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE  # commands and workers speak the default language
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


@bp.get("/language/<code>")
def choose_language(code: str):
    """Switch the interface's language and go back to the page the reader was on."""
    response = redirect(_same_site(request.args.get("next")) or url_for("overview.home"))
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=A_YEAR, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


def _same_site(target: str | None) -> str | None:
    """Only a path on this site: never send a reader elsewhere through the switch."""
    if not target or not target.isprintable():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    # The page's own ?lang= would outweigh the choice just made.
    query = urlencode([(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
                       if name != "lang"])
    return parts.path + (f"?{query}" if query else "")


def number(value) -> str:
    """A count as the reader's language writes it: 1.234 (vi), 1,234 (en)."""
    if value is None or value == "":
        return "—"
    locale = get_locale()
    if isinstance(value, int) and not isinstance(value, bool) and locale is not None:  # a hundred on a page
        return f"{value:,}".replace(",", _group_symbol(str(locale)))
    return format_decimal(value)


@lru_cache(maxsize=None)
def _group_symbol(locale: str) -> str:
    return get_group_symbol(locale)


def counted(singular: str, plural: str, count: int, **variables) -> str:
    """A count in a sentence, in the reader's language and plural form, the number written as the language
    writes it: counted("%(num)s bản", "%(num)s bản", 1234) is "1.234 bản", or "1,234 copies" in English.
    (Flask-Babel's ngettext would put the bare number in before this function could format it.)"""
    return get_translations().ungettext(singular, plural, count) % {"num": number(count), **variables}


def day(value) -> str:
    """A date, or the date of a moment in the Union's time zone, day first: 26/03/2021."""
    if not value:
        return "—"
    return format_datetime(value, "dd/MM/yyyy") if isinstance(value, datetime) else value.strftime("%d/%m/%Y")


def moment(value) -> str:
    """A moment in the Union's time zone, day first: 26/03/2021 14:05."""
    return format_datetime(value, "dd/MM/yyyy HH:mm") if value else "—"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh")
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.jinja_env.globals.update(get_locale=get_locale, format_datetime=format_datetime, languages=LANGUAGES,
                                 counted=counted)
    app.jinja_env.filters.update(number=number, day=day, moment=moment)
