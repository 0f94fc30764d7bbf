"""Sending forms as a browser does: with the CSRF token of the client's session."""
from __future__ import annotations

import re

from flask import session
from flask_wtf.csrf import generate_csrf

TOKEN_INPUT = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


def csrf_token(client) -> str:
    """A valid token for the client's session, as a page's form would carry it."""
    with client.application.test_request_context():
        token, raw = generate_csrf(), session["csrf_token"]
    with client.session_transaction() as client_session:
        client_session["csrf_token"] = raw
    return token


def token_in(page: str) -> str:
    """The CSRF token in the first form of a page."""
    found = TOKEN_INPUT.search(page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)
