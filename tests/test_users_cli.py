"""`flask --app app users …`: the commands other tools rely on, round trip through the real sign-in and API."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

import database
from accounts.models import AuditEvent
from tests.factories import iso2709, make_record
from tests.forms import token_in


def users(runner, *args, input: str | None = None):
    return runner.invoke(args=["users", *args], input=input)


def can_sign_in(app, username: str, password: str) -> bool:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token_in(client.get("/login").get_data(as_text=True))})
    return response.status_code == 302


def audit_rows(app) -> list[tuple]:
    with app.app_context():
        return [(event.action, event.username.split(":")[0], event.target, event.library_code)
                for event in database.session().scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_create_then_list_then_sign_in(app, runner):
    created = users(runner, "create", "ThuThu.QT", "--role", "librarian", "--library", "tvqt",
                    "--password", "mat-khau-1")
    assert created.exit_code == 0 and "thuthu.qt" in created.output and "TVQT" in created.output
    assert users(runner, "create", "dieuphoi", "--role", "coordinator", "--password", "mat-khau-2").exit_code == 0
    listed = users(runner, "list").output.splitlines()
    assert [line.split() for line in listed] == [["dieuphoi", "coordinator", "-", "hoạt", "động"],
                                                  ["thuthu.qt", "librarian", "TVQT", "hoạt", "động"]]
    assert can_sign_in(app, "thuthu.qt", "mat-khau-1") and can_sign_in(app, "DieuPhoi", "mat-khau-2")
    assert audit_rows(app)[:2] == [("user.create", "cli", "thuthu.qt", "TVQT"),
                                   ("user.create", "cli", "dieuphoi", None)]


def test_create_prompts_for_the_password_twice_without_echo(app, runner):
    result = users(runner, "create", "thuthu.qt", "--role", "librarian", "--library", "TVQT",
                   input="mat-khau-1\nmat-khau-1\n")
    assert result.exit_code == 0 and "mat-khau-1" not in result.output and "Nhập lại mật khẩu" in result.output
    assert can_sign_in(app, "thuthu.qt", "mat-khau-1")


@pytest.mark.parametrize("args, message", [
    (["thuthu.qt", "--role", "librarian", "--password", "mat-khau-1"], "phải thuộc một thư viện"),
    (["thuthu.qt", "--role", "librarian", "--library", "NOPE", "--password", "mat-khau-1"], "Không có thư viện mã"),
    (["thuthu.qt", "--role", "coordinator", "--password", "ngan"], "ít nhất 8 ký tự"),
    (["thu thu", "--role", "coordinator", "--password", "mat-khau-1"], "không dùng được"),
])
def test_create_refuses_with_a_clear_message_and_status_2(runner, args, message):
    result = users(runner, "create", *args)
    assert result.exit_code == 2 and message in result.output
    assert users(runner, "list").output == ""


def test_a_second_user_of_the_same_name_is_refused_whatever_the_case(runner):
    users(runner, "create", "dieuphoi", "--role", "coordinator", "--password", "mat-khau-1")
    result = users(runner, "create", "DieuPhoi", "--role", "coordinator", "--password", "mat-khau-1")
    assert result.exit_code == 2 and "Đã có người dùng “dieuphoi”" in result.output


def test_disable_and_enable(app, runner):
    users(runner, "create", "thuthu.qt", "--role", "librarian", "--library", "TVQT", "--password", "mat-khau-1")
    assert users(runner, "disable", "THUTHU.QT").exit_code == 0
    assert "đã khóa" in users(runner, "list").output and not can_sign_in(app, "thuthu.qt", "mat-khau-1")
    assert users(runner, "enable", "thuthu.qt").exit_code == 0
    assert can_sign_in(app, "thuthu.qt", "mat-khau-1")
    assert [row[0] for row in audit_rows(app)] == ["user.create", "user.disable", "login.failed", "user.enable",
                                                   "login"]
    missing = users(runner, "disable", "khong-co")
    assert missing.exit_code == 2 and "Không có người dùng “khong-co”" in missing.output


def test_set_password_prompts_and_the_old_one_stops_working(app, runner):
    users(runner, "create", "thuthu.qt", "--role", "librarian", "--library", "TVQT", "--password", "mat-khau-1")
    result = users(runner, "set-password", "thuthu.qt", input="mat-khau-moi\nmat-khau-moi\n")
    assert result.exit_code == 0 and "mat-khau-moi" not in result.output
    assert can_sign_in(app, "thuthu.qt", "mat-khau-moi") and not can_sign_in(app, "thuthu.qt", "mat-khau-1")
    assert ("user.password", "cli", "thuthu.qt", "TVQT") in audit_rows(app)


def test_token_prints_only_a_new_token_that_a_script_can_use(app, runner):
    users(runner, "create", "thuthu.qt", "--role", "librarian", "--library", "TVQT", "--password", "mat-khau-1")
    result = users(runner, "token", "thuthu.qt")
    secret = result.stdout.strip()
    assert result.exit_code == 0 and len(secret) >= 40 and "\n" not in secret
    assert users(runner, "token", "thuthu.qt").stdout.strip() != secret
    response = app.test_client().post(
        "/api/imports", data={"file": (io.BytesIO(iso2709(make_record("C1"))), "c.mrc")},
        content_type="multipart/form-data", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201 and response.get_json()["new"] == 1
    assert ("token.create", "cli", "thuthu.qt", "TVQT") in audit_rows(app)


def test_the_last_active_coordinator_cannot_be_disabled(runner):
    users(runner, "create", "dieuphoi", "--role", "coordinator", "--password", "mat-khau-1")
    result = users(runner, "disable", "dieuphoi")
    assert result.exit_code == 2 and "điều phối viên duy nhất" in result.output
