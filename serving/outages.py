"""Answers for when something the application stands on is out, rather than broken: the database not answering
(503, with Retry-After, so that a load balancer or a script knows to come back) and the disk full (507). The
reader is told what happened in their language; the operator gets the exception in the log."""
from __future__ import annotations

import errno
import logging
import sqlite3

from flask import Flask, g
from flask_babel import gettext as _
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from accounts.auth import login_manager
from security import error_response

RETRY_AFTER_SECONDS = 10
CONNECTION_SQLSTATES = ("08", "57P")  # connection exceptions; the server shutting down or not yet started
SQLITE_OUT_OF_REACH = ("unable to open database file", "database is locked")
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
log = logging.getLogger(__name__)


def database_unavailable(error: Exception):
    if not _out_of_reach(error):
        raise error  # a deadlock, a missing table, a statement refused: a fault, Flask's 500 with its traceback
    log.error("the database did not answer", exc_info=error)
    # The page's header shows who is signed in, which means reading the user from the database that is out.
    g._login_user = login_manager.anonymous_user()
    # Not "nothing changed": an import commits chunk by chunk, and its report says how far it came.
    return error_response(_("Cơ sở dữ liệu tạm thời không trả lời, nên việc này chưa làm xong. Hãy thử lại sau ít "
                            "phút; nếu vẫn lỗi, báo cho người quản trị."), 503,
                          [("Retry-After", str(RETRY_AFTER_SECONDS))])


def _out_of_reach(error: Exception) -> bool:
    """The connection failed, was lost, or the server is shutting down; SQLite's file could not be opened or
    stayed locked. Not an error of the statement itself."""
    if isinstance(error, (DisconnectionError, InterfaceError)) or getattr(error, "connection_invalidated", False):
        return True
    original = getattr(error, "orig", None)
    sqlstate = getattr(original, "sqlstate", None)
    if isinstance(original, sqlite3.OperationalError):
        return any(words in str(original) for words in SQLITE_OUT_OF_REACH)
    return sqlstate is None or sqlstate.startswith(CONNECTION_SQLSTATES)


def storage_error(error: OSError):
    if error.errno not in NO_SPACE:
        raise error  # any other OSError is a fault: Flask's 500, logged with its traceback
    log.error("no space left to store what a request sent", exc_info=error)
    return error_response(_("Máy chủ đã hết chỗ lưu trên đĩa, nên việc này chưa làm được và chưa có gì được lưu. "
                            "Hãy báo cho người quản trị, rồi thử lại khi đã có chỗ."), 507)


def init_app(app: Flask) -> None:
    for kind in (OperationalError, InterfaceError, DisconnectionError):
        app.register_error_handler(kind, database_unavailable)
    app.register_error_handler(OSError, storage_error)
