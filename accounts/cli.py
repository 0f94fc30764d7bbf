"""Command-line interface of accounts: `flask --app app users create|list|disable|enable|set-password|token`."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

import database
from accounts import tokens, users
from catalog.cli import USAGE_ERROR, cli_actor
from catalog.errors import CatalogError
from catalog.permissions import ROLES

users_cli = AppGroup("users", help="Người dùng: thủ thư và điều phối viên.")


def _run(change):
    """Run change(db) in one transaction; a refusal is printed as an error with exit status 2."""
    try:
        with database.transaction() as db:
            return change(db)
    except CatalogError as error:
        click.echo(_("Lỗi: %(message)s", message=error.message), err=True)
        sys.exit(USAGE_ERROR)


def _password(given: str | None) -> str:
    if given is not None:
        return given
    return click.prompt(_("Mật khẩu"), hide_input=True, confirmation_prompt=_("Nhập lại mật khẩu"))


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--library", "library_code", default=None, help="Library code; required for a librarian.")
@click.option("--password", default=None, help="Prompted for when not given.")
def create_command(username: str, role: str, library_code: str | None, password: str | None) -> None:
    """Add a user."""
    password = _password(password)
    user = _run(lambda db: users.create_user(db, username, password, role, library_code, cli_actor()))
    click.echo(_("Đã tạo người dùng %(name)s (%(role)s%(library)s).", name=user.username,
                 role=users.ROLE_NAMES[user.role], library=f", {user.library_code}" if user.library_code else ""))


@users_cli.command("list")
def list_command() -> None:
    """List the users."""
    for user in users.list_users(database.session()):
        status = _("đã khóa") if user.disabled else _("hoạt động")
        click.echo(f"{user.username:20} {user.role:12} {user.library_code or '-':8} {status}")


@users_cli.command("disable")
@click.argument("username")
def disable_command(username: str) -> None:
    """Disable a user: their sessions and tokens stop working at once."""
    _run(lambda db: users.set_disabled(db, users.get_user(db, username), True, cli_actor()))
    click.echo(_("Đã khóa người dùng %(name)s.", name=users.normalize_username(username)))


@users_cli.command("enable")
@click.argument("username")
def enable_command(username: str) -> None:
    """Enable a disabled user again."""
    _run(lambda db: users.set_disabled(db, users.get_user(db, username), False, cli_actor()))
    click.echo(_("Đã mở khóa người dùng %(name)s.", name=users.normalize_username(username)))


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password", default=None, help="Prompted for when not given.")
def set_password_command(username: str, password: str | None) -> None:
    """Set a user's password; their sessions end."""
    password = _password(password)
    _run(lambda db: users.set_password(db, users.get_user(db, username), password, cli_actor()))
    click.echo(_("Đã đặt mật khẩu mới cho %(name)s.", name=users.normalize_username(username)))


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
def token_command(username: str, name: str) -> None:
    """Print a new API token of the user (only its hash is kept: it cannot be shown again)."""
    click.echo(_run(lambda db: tokens.create_token(db, users.get_user(db, username), name, cli_actor())))


def init_app(app) -> None:
    app.cli.add_command(users_cli)
