"""Random sequences of transfer actions (a Hypothesis state machine) keep the exchange's invariants:
every copy is held by exactly one library, nothing appears or disappears beyond what receipts create,
counts sent equal counts received plus missing, a copy is in transit exactly while its transfer is
dispatched, and no copy is on two open transfers."""
from __future__ import annotations

from collections import Counter
from datetime import date

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

import database
from catalog.errors import CatalogError
from catalog.models import Copy, Library
from exchange import transfers
from exchange.models import Transfer, TransferLine
from tests.factories import iso2709, make_record, write

LIBRARIES = ("TVQT", "TVQB", "TVCC")


class Coordinator:
    role, library_code, username, disabled = "coordinator", None, "dieuphoi", False


def test_random_sequences_of_transfers_keep_the_invariants(app, runner, tmp_path):
    for code in LIBRARIES[:2]:
        path = write(tmp_path / f"{code}.mrc", iso2709(*(
            make_record(f"{code}{n}", org=code, title=f"Sách {code} {n}",
                        copies=tuple((code, f"{code}.{n}.{c}") for c in range(2))) for n in range(4))))
        assert runner.invoke(args=["catalog", "import", str(path), "--library", code]).exit_code == 0
    with app.app_context():
        initial = database.session().scalar(select(func.count()).select_from(Copy))

    class Transfers(RuleBasedStateMachine):
        def act(self, action, *args):
            with app.app_context():
                try:
                    with database.transaction() as db:
                        return action(db, Coordinator(), *args)
                except CatalogError:
                    return None  # refused with a reason: nothing may have changed (the invariants check it)

        def transfers_in(self, state: str) -> list[int]:
            with app.app_context():
                return list(database.session().scalars(select(Transfer.id).where(Transfer.state == state)
                                                       .order_by(Transfer.id)))

        # Every rule draws the same values whatever the database holds (the database outlives each example),
        # and picks among what is there by position.
        @rule(sender=st.sampled_from(LIBRARIES), receiver=st.sampled_from(LIBRARIES),
              picks=st.lists(st.integers(0, 99), max_size=3), quantity=st.integers(0, 3))
        def create(self, sender, receiver, picks, quantity):
            numbers = copies_of(sender)
            named = sorted({numbers[pick % len(numbers)] for pick in picks}) if numbers else []
            lines = [transfers.LineSpec(copy=number) for number in named]
            lines += [transfers.LineSpec(title="Sách chưa biên mục", quantity=quantity)] if quantity else []
            self.act(lambda db, actor: transfers.create_transfer(
                db, actor, kind="donation", from_code=sender, to_code=receiver, transfer_date=date(2021, 3, 26),
                occasion=None, note=None, lines=lines))

        @rule(pick=st.integers(0, 99))
        def dispatch(self, pick):
            if drafts := self.transfers_in("draft"):
                self.act(transfers.dispatch, drafts[pick % len(drafts)])

        @rule(pick=st.integers(0, 99), counts=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)),
                                                        min_size=4, max_size=4))
        def receive(self, pick, counts):
            dispatched = self.transfers_in("dispatched")
            if not dispatched:
                return
            transfer_id = dispatched[pick % len(dispatched)]
            with app.app_context():
                lines = [(line.id, line.quantity) for line in database.session().scalars(
                    select(TransferLine).where(TransferLine.transfer_id == transfer_id))]
            receipts = []
            for (line_id, quantity), (missing, damaged) in zip(lines, counts):
                missing = min(missing, quantity)
                receipts.append(transfers.LineReceipt(line_id, quantity - missing, missing,
                                                      min(damaged, quantity - missing)))
            self.act(transfers.receive, transfer_id, receipts)

        @rule(pick=st.integers(0, 99), state=st.sampled_from(("draft", "dispatched")))
        def cancel(self, pick, state):
            if open_ones := self.transfers_in(state):
                self.act(transfers.cancel, open_ones[pick % len(open_ones)], "Thử hủy")

        @invariant()
        def nothing_appears_or_disappears(self):
            with app.app_context():
                db = database.session()
                total = db.scalar(select(func.count()).select_from(Copy))
                unheld = db.scalar(select(func.count()).select_from(Copy).outerjoin(
                    Library, Library.id == Copy.library_id).where(Library.id.is_(None)))
                # Only a receipt makes copies: one per book received on a title line.
                made = db.scalar(select(func.coalesce(func.sum(TransferLine.received), 0)).join(Transfer).where(
                    Transfer.state.in_(("received", "partly_received")), TransferLine.copy_id.is_(None)))
            assert total == initial + made and unheld == 0

        @invariant()
        def sent_equals_received_plus_missing(self):
            with app.app_context():
                for line in database.session().scalars(select(TransferLine).join(Transfer).where(
                        Transfer.state.in_(("received", "partly_received")))):
                    assert line.received + line.missing == line.quantity and line.damaged <= line.received
                    assert not line.is_open

        @invariant()
        def in_transit_exactly_while_dispatched(self):
            with app.app_context():
                db = database.session()
                on_the_way = set(db.scalars(select(TransferLine.copy_id).join(Transfer).where(
                    Transfer.state == "dispatched", TransferLine.copy_id.is_not(None))))
                in_transit = set(db.scalars(select(Copy.id).where(Copy.status == "in_transit")))
                open_copies = Counter(db.scalars(select(TransferLine.copy_id).where(
                    TransferLine.is_open, TransferLine.copy_id.is_not(None))))
            assert on_the_way == in_transit
            assert all(times == 1 for times in open_copies.values())

    def copies_of(code: str) -> list[str]:
        with app.app_context():
            return sorted(database.session().scalars(select(Copy.registration_number).join(
                Library, Library.id == Copy.library_id).where(Library.code == code, Copy.status.is_(None))))

    run_state_machine_as_test(Transfers, settings=settings(
        max_examples=20, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
