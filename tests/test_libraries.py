"""The init command and the libraries commands."""
from __future__ import annotations

from sqlalchemy import func, select

import database
from catalog.models import Library


def library_count(app) -> int:
    with app.app_context():
        return database.session().scalar(select(func.count()).select_from(Library))


def test_init_is_idempotent_and_seeds_the_union(app, runner):
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["init"])
    assert "đã thêm 0 thư viện" in again.output
    assert library_count(app) == 7


def test_list_shows_members_and_the_district_library(runner):
    output = runner.invoke(args=["libraries", "list"]).output
    assert "TVCC" in output and "Thư viện huyện đảo Cồn Cỏ" in output and "district" in output
    assert output.count("member") == 6


def test_add_a_library_with_an_organization_code(app, runner):
    result = runner.invoke(args=["libraries", "add", "TVGL", "Thư viện huyện Gio Linh", "--kind", "district",
                                 "--org-code", "VN-QT-GL"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        library = database.session().scalar(select(Library).where(Library.code == "TVGL"))
    assert (library.kind, library.org_code) == ("district", "VN-QT-GL")


def test_add_defaults_the_organization_code_and_refuses_duplicates(app, runner):
    runner.invoke(args=["libraries", "add", "TVVL", "Thư viện huyện Vĩnh Linh"])
    result = runner.invoke(args=["libraries", "add", "TVVL", "Trùng mã"])
    assert result.exit_code == 2
    assert "Đã có thư viện mã “TVVL”" in result.output
    assert library_count(app) == 8
