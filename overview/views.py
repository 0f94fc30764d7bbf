"""The home page (search box, the Union's figures and recent activity) and the member libraries' pages."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

import database
from catalog.libraries import KIND_NAMES
from exchange.reading import KIND_NAMES as TRANSFER_KINDS
from exchange.transfers import STATE_NAMES
from overview import activity

bp = Blueprint("overview", __name__)


@bp.context_processor
def transfer_names():
    return {"kind_names": TRANSFER_KINDS, "state_names": STATE_NAMES}


@bp.get("/")
def home():
    db = database.session()
    return render_template("home.html", totals=activity.union_totals(db), records=activity.recent_records(db),
                           transfers=activity.recent_transfers(db) if current_user.is_authenticated else [],
                           batches=activity.recent_imports(db), libraries=activity.libraries_with_counts(db))


@bp.get("/libraries")
def library_list():
    return render_template("libraries.html", summaries=activity.libraries_with_counts(database.session()),
                           kinds=KIND_NAMES)


@bp.get("/libraries/<code>")
def library_page(code: str):
    profile = activity.library_profile(database.session(), code)
    return render_template("library.html", profile=profile, kinds=KIND_NAMES,
                           transfers=profile.transfers if current_user.is_authenticated else [])
