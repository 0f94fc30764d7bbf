"""Failed sign-ins are limited per account and per address, across processes (the database counts them)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

import database
from accounts.models import AuditEvent, LoginAttempt
from accounts.signin import ACCOUNT_LIMIT, ADDRESS_LIMIT, WINDOW
from tests.conftest import PASSWORD
from tests.forms import token_in


def attempt(client, username: str, password: str, address: str = "127.0.0.1"):
    token = token_in(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def failures(app) -> int:
    with app.app_context():
        return database.session().scalar(select(func.count()).select_from(LoginAttempt)
                                         .where(LoginAttempt.succeeded.is_(False)))


def age_attempts(app, by: timedelta) -> None:
    with app.app_context(), database.transaction() as db:
        for row in db.scalars(select(LoginAttempt)):  # in Python: SQLite has no datetime arithmetic
            row.at -= by


def test_after_five_failures_the_account_waits_even_with_the_right_password(app, client, make_user):
    make_user("thuthu.qt")
    for _ in range(ACCOUNT_LIMIT):
        assert attempt(client, "thuthu.qt", "sai-roi-nhe").status_code == 401
    refused = attempt(client, "ThuThu.QT", PASSWORD)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Đăng nhập sai quá nhiều lần" in page and "thử lại sau 15 phút" in page
    assert 0 < int(refused.headers["Retry-After"]) <= WINDOW.total_seconds()
    assert "lúc " in page and 'name="password"' in page
    assert failures(app) == ACCOUNT_LIMIT  # a refused attempt is not counted: it does not prolong the wait


def test_the_wait_ends_when_the_failures_leave_the_window(app, client, make_user):
    make_user("thuthu.qt")
    for _ in range(ACCOUNT_LIMIT):
        attempt(client, "thuthu.qt", "sai-roi-nhe")
    age_attempts(app, WINDOW - timedelta(minutes=5))
    refused = attempt(client, "thuthu.qt", PASSWORD)
    assert refused.status_code == 429 and "thử lại sau 5 phút" in refused.get_data(as_text=True)
    age_attempts(app, timedelta(minutes=5, seconds=1))
    assert attempt(client, "thuthu.qt", PASSWORD).status_code == 302


def test_other_accounts_are_not_held_up_by_one_accounts_failures(client, make_user):
    make_user("thuthu.qt")
    make_user("thuthu.cc", library="TVCC")
    for _ in range(ACCOUNT_LIMIT):
        attempt(client, "thuthu.qt", "sai-roi-nhe")
    assert attempt(client, "thuthu.cc", PASSWORD).status_code == 302


def test_a_success_clears_nothing_before_it(app, client, make_user):
    make_user("thuthu.qt")
    for _ in range(ACCOUNT_LIMIT - 1):
        attempt(client, "thuthu.qt", "sai-roi-nhe")
    assert attempt(client, "thuthu.qt", PASSWORD).status_code == 302
    assert attempt(client, "thuthu.qt", "sai-roi-nhe").status_code == 401
    assert attempt(client, "thuthu.qt", PASSWORD).status_code == 429
    with app.app_context():
        assert database.session().scalar(select(func.count()).select_from(LoginAttempt)
                                         .where(LoginAttempt.succeeded.is_(True))) == 1


def test_one_address_trying_many_accounts_is_stopped_after_twenty(client, make_user):
    make_user("thuthu.qt")
    for number in range(ADDRESS_LIMIT):
        assert attempt(client, f"doan-{number}", "sai-roi-nhe", "203.0.113.9").status_code == 401
    refused = attempt(client, "thuthu.qt", PASSWORD, "203.0.113.9")
    assert refused.status_code == 429 and "thử lại sau" in refused.get_data(as_text=True)
    assert attempt(client, "thuthu.qt", PASSWORD, "198.51.100.7").status_code == 302  # another address


def test_failures_are_in_the_audit_log_but_not_the_refusals_that_follow(app, client, make_user):
    make_user("thuthu.qt")
    for _ in range(ACCOUNT_LIMIT + 1):
        attempt(client, "thuthu.qt", "sai-roi-nhe")
    with app.app_context():
        actions = list(database.session().scalars(select(AuditEvent.action).where(AuditEvent.action.like("login%"))))
    assert actions == ["login.failed"] * ACCOUNT_LIMIT


def test_attempts_older_than_a_day_are_removed_when_the_next_is_recorded(app, client, make_user):
    from accounts.signin import KEEP_ATTEMPTS

    make_user("thuthu.qt")
    attempt(client, "thuthu.qt", "sai-roi-nhe")
    attempt(client, "thuthu.qt", "sai-roi-nhe")
    age_attempts(app, KEEP_ATTEMPTS + timedelta(minutes=1))
    attempt(client, "thuthu.qt", "sai-roi-nhe")
    assert failures(app) == 1
    with app.app_context():  # the audit log still has all three
        assert database.session().scalar(select(func.count()).select_from(AuditEvent)
                                         .where(AuditEvent.action == "login.failed")) == 3
