"""`flask --app app exchange demo`: a few transfers in the demo catalog, so the exchange pages, the reports
and the library pages have something to show on `make run`. Recorded through the real service, as the
coordinator would; run twice, it adds nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import click
from flask_babel import gettext as _
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

import database
from exchange import transfers
from exchange.models import Transfer
from exchange.transfers import LineReceipt, LineSpec

exchange_cli = AppGroup("exchange", help="Trao đổi và tặng sách giữa các thư viện.")
OCCASION = "Hội nghị giao ban giữa nhiệm kỳ 2020–2022, Cồn Cỏ, 26–27/3/2021"


@dataclass(frozen=True)
class DemoCoordinator:
    """The Union's coordinator as the demo's author: may act for any library (recorded as such)."""

    username: str = "demo"
    role: str = "coordinator"
    library_code: str | None = None
    disabled: bool = False


@exchange_cli.command("demo")
@with_appcontext
def demo() -> None:
    """Record the demo's transfers (the demo catalog must be imported first)."""
    actor = DemoCoordinator()
    with database.transaction() as db:
        if db.scalar(select(func.count()).select_from(Transfer)):
            click.echo(_("Đã có phiếu chuyển: không thêm gì."))
            return
        donation = transfers.create_transfer(
            db, actor, kind="donation", from_code="TVQT", to_code="TVCC", transfer_date=date(2021, 3, 26),
            occasion=OCCASION, note="Sách địa chí tặng thư viện huyện đảo.",
            lines=[LineSpec(copy="DC.005120"), LineSpec(copy="DC.005121"),
                   LineSpec(title="Sách thiếu nhi về biển đảo", quantity=40)])
        transfers.dispatch(db, actor, donation.id)
        title_line = donation.lines[-1]
        transfers.receive(db, actor, donation.id, [LineReceipt(title_line.id, received=38, missing=2)])
        there = transfers.create_transfer(
            db, actor, kind="exchange", from_code="TVQB", to_code="TVHT", transfer_date=date(2022, 5, 4),
            occasion="Trao đổi sách địa chí", note=None, lines=[LineSpec(copy="DC.002250")])
        transfers.create_transfer(  # the way back, dispatch still to come
            db, actor, kind="exchange", from_code="TVHT", to_code="TVQB", transfer_date=date(2022, 5, 4),
            occasion="Trao đổi sách địa chí", note=None, lines=[LineSpec(copy="DC.003311")], counterpart=there.id)
        transfers.dispatch(db, actor, there.id)
        draft = transfers.create_transfer(
            db, actor, kind="donation", from_code="TVTTH", to_code="TVCC", transfer_date=date(2026, 11, 20),
            occasion=None, note="Chuẩn bị gửi ra đảo.", lines=[LineSpec(copy="HH.020401")])
    click.echo(_("Đã ghi %(count)s phiếu chuyển mẫu (số %(first)s–%(last)s).", count=4, first=donation.id,
                 last=draft.id))
