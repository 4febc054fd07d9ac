"""`caredesk scenario export`: a contact the demo team worked becomes a scenario the
autopilot solves, with no trace of the real customer, the same bytes every time, the
refusals a trainer can cause, and untrusted text written so it reads back literally."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from sqlalchemy import text

from storage.engine import Database, make_reader
from storage.models import Agent, Customer, Interaction, Order, OrderItem, Ticket
from storage.uow import read_session, unit_of_work
from tests.hostile import INLINE_CASES, load_hostile_cases
from workspace.action_view import ActionRequest
from workspace.agents import resolve_agent
from workspace.cli import main
from workspace.cli.scenario import check_file
from workspace.demo import build_demo
from workspace.policy import fingerprint
from workspace.policy_file import DEFAULT_POLICY, default_policy
from workspace.policy_store import install
from workspace.replay.export import Disguise, as_text, dump, export_contact
from workspace.replay.loading import load_scenario, scenario_from_text
from workspace.replay.model import AmountRange, ExpectedAction, ForbiddenAction
from workspace.workbench import Workbench

NOW = datetime(2026, 11, 7, 15, 41, 9, tzinfo=UTC)


@dataclass(frozen=True)
class Worked:
    """A demo contact alex worked and resolved, and what must not leave the database."""

    db: Database
    contact: str
    opened_at: datetime
    secrets: tuple[str, ...]
    """The customer's name, each of its words, e-mail, phone, id and every order id."""


def work_a_contact(db: Database) -> Worked:
    """The demo set, and its first waiting contact whose customer had an order delivered
    lately: alex replies, is refused a discount of 500 then gets one of 90 approved, gives
    store credit, is refused a cancellation, asks for a replacement nobody decides, and
    resolves it."""
    build_demo(db, customers=40, contacts=30, now=NOW, act=False)
    with read_session(db) as s:
        contact, customer, order = s.execute(
            text(
                "SELECT t.id, t.customer_id, o.id FROM ticket t"
                " JOIN orders o ON o.customer_id = t.customer_id"
                " WHERE t.active AND t.assigned_agent_id IS NULL AND o.status = 'delivered'"
                " AND o.delivered_at >= :since ORDER BY t.id, o.delivered_at DESC LIMIT 1"
            ),
            {"since": NOW - timedelta(days=25)},
        ).one()
        ticket, person = s.get(Ticket, contact), s.get(Customer, customer)
        assert ticket is not None
        opened_at = ticket.opened_at
        assert person is not None and person.email and person.phone
        orders = s.execute(text("SELECT id FROM orders WHERE customer_id = :c"), {"c": customer})
        sku = s.execute(text("SELECT sku FROM order_item WHERE order_id = :o"), {"o": order})
        secrets = (person.name, *person.name.split(), person.email, person.phone, customer)
        secrets += (contact, *orders.scalars())
        first_sku = str(sku.scalars().first())
    tick = itertools.count()

    def clock() -> datetime:
        return NOW + timedelta(seconds=10 * next(tick))

    alex, jordan = (
        Workbench.open(db, resolve_agent(db, name), default_policy(), clock)
        for name in ("alex", "jordan")
    )
    assert alex.desk.claim(contact).claimed
    alex.desk.write(contact, "So sorry about that; let me put it right.")

    def take(kind: str, amount: str | None = None, items: tuple[str, ...] = ()) -> str:
        request = ActionRequest(
            kind=kind,
            customer_id=customer,
            order_id=order,
            amount=amount,
            items=items,
            reason="r",
            ticket_id=contact,
        )
        outcome = alex.actions.take(request)
        if outcome.record.status == "requested" and kind == "discount":
            assert jordan.approvals.approve(outcome.record.id, "fair").changed
        return outcome.record.status

    assert take("discount", amount="500") == "denied"
    assert take("discount", amount="90") == "requested"  # approved by jordan
    assert take("store_credit", amount="5") == "executed"
    assert take("cancel_order") == "denied"
    assert take("replacement", items=(first_sku,)) == "requested"  # left waiting
    alex.desk.resolve(contact, "resolved")
    return Worked(db, contact, opened_at, secrets)


@pytest.fixture
def worked(db: Database) -> Worked:
    """A worked contact on SQLite and on PostgreSQL."""
    return work_a_contact(db)


@pytest.fixture
def worked_sqlite(sqlite_db: Database) -> Worked:
    return work_a_contact(sqlite_db)


def export(
    worked: Worked, capsys: pytest.CaptureFixture[str], out: Path | None, *args: str
) -> tuple[int, str, str]:
    """`caredesk scenario export` on the worked database: exit status, stdout, stderr."""
    argv = ["scenario", "export", *args, "--db", worked.db.url]
    code = main([*argv, "-o", str(out)] if out is not None else argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_worked_contact_exports_as_a_scenario_the_autopilot_solves(
    worked: Worked, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "exported.yaml"
    code, out, err = export(worked, capsys, path, worked.contact)
    assert code == 0 and out == ""
    assert f"exported contact {worked.contact} as scenario contact-" in err
    assert check_file(path) is None  # it loads, and the autopilot scores 100

    scenario = load_scenario(path)
    acted = {a.order for a in scenario.expect.actions}
    assert len(acted) == 1 and (order := acted.pop()) is not None
    # What alex was given, and what was refused; the request left waiting is neither.
    assert scenario.expect.actions == (
        ExpectedAction("discount", order, amount=AmountRange(Decimal("90"), Decimal("90"))),
        ExpectedAction("store_credit", order, amount=AmountRange(Decimal("5"), Decimal("5"))),
    )
    # The refused discount of 500 is not forbidden: a discount within the policy was right.
    assert scenario.expect.forbidden == (ForbiddenAction("cancel_order", order),)
    assert scenario.expect.disposition == "resolved"
    assert scenario.expect.reply_phrases_any == ("sorry", "apolog", "understand")
    assert scenario.expect.within is not None and scenario.expect.within >= timedelta(minutes=5)
    assert scenario.expect.within.total_seconds() % 60 == 0
    assert scenario.agent.name == "trainee" and scenario.agent.role == "agent"  # alex's role
    assert scenario.now == worked.opened_at
    assert scenario.contact.turns[0].at == timedelta(0)
    assert fingerprint(scenario.policy) == fingerprint(default_policy())
    # The history is the customer's earlier messages, oldest first, at most twenty; those
    # from another channel than the contact's are to be reviewed.
    history = scenario.history
    assert 0 < len(history) <= 20 and all(h.at < scenario.now for h in history)
    assert [h.at for h in history] == sorted(h.at for h in history)
    other = tuple(n for n, h in enumerate(history) if h.channel != scenario.contact.channel)
    assert scenario.expect.review_history == other


def test_nothing_of_the_real_customer_reaches_the_file(
    worked_sqlite: Worked, capsys: pytest.CaptureFixture[str]
) -> None:
    worked = worked_sqlite
    code, written, _ = export(worked, capsys, None, worked.contact)
    assert code == 0
    raw = written.casefold()
    for secret in worked.secrets:
        assert secret.casefold() not in raw, secret
    phone = next(s for s in worked.secrets if s.startswith("+"))
    national = re.sub(r"\D", "", phone)[1:]  # however it is punctuated
    assert national not in re.sub(r"[ .()/+-]", "", written)
    # The team's names are replaced too (authors and signatures).
    with read_session(worked.db) as s:
        team = list(s.execute(text("SELECT display_name FROM agent")).scalars())
    for name in team:
        assert name.casefold() not in raw, name
    # One fake for each original, wherever it appears: the customer's first name in the
    # earlier messages is the fake's first name.
    scenario = scenario_from_text(written, Path("exported.yaml"))
    first = scenario.customer.name.split()[0]
    assert any(first in h.text for h in scenario.history)


def test_two_exports_of_a_contact_are_the_same_bytes(
    worked_sqlite: Worked, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    worked = worked_sqlite
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    assert export(worked, capsys, first, worked.contact)[0] == 0
    assert export(worked, capsys, second, worked.contact)[0] == 0
    assert first.read_bytes() == second.read_bytes()
    # In a fresh process with another hash seed too: nothing depends on the order of a set.
    command = [sys.executable, "-m", "workspace.cli", "scenario", "export", worked.contact]
    env = os.environ | {"PYTHONHASHSEED": "12345"}
    run = subprocess.run(
        [*command, "--db", worked.db.url], capture_output=True, env=env, check=True
    )
    assert run.stdout == first.read_bytes()


def test_an_unknown_or_unresolved_contact_is_refused_by_name(
    worked_sqlite: Worked, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    worked = worked_sqlite
    path = tmp_path / "never.yaml"
    code, out, err = export(worked, capsys, path, "T-404")
    assert (code, out) == (2, "")
    assert err.startswith("caredesk: ") and "'T-404'" in err and err.count("\n") == 1
    with read_session(worked.db) as s:
        waiting = s.execute(text("SELECT id FROM ticket WHERE active LIMIT 1")).scalar_one()
    code, out, err = export(worked, capsys, path, waiting)
    assert (code, out) == (2, "")
    assert f"'{waiting}'" in err and "not resolved" in err and err.count("\n") == 1
    assert not path.exists()


def test_the_teams_installed_policy_is_written_inline_and_a_refused_action_left_out(
    worked_sqlite: Worked, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A policy installed since: the discount of 90 alex was given would now be refused, so
    the scenario cannot expect it, and says so."""
    worked = worked_sqlite
    stricter = tmp_path / "stricter.yaml"
    shipped = DEFAULT_POLICY.read_text(encoding="utf-8")
    stricter.write_text(shipped.replace("up_to_amount: 100.00", "up_to_amount: 50.00", 1))
    policy, _ = install(worked.db, stricter, by="jordan", at=NOW + timedelta(hours=1))
    path = tmp_path / "exported.yaml"
    code, _, err = export(worked, capsys, path, worked.contact)
    assert code == 0
    assert "discount on " in err and "is left out of expect.actions" in err
    scenario = load_scenario(path)
    assert fingerprint(scenario.policy) == fingerprint(policy)
    assert [a.action for a in scenario.expect.actions] == ["store_credit"]
    assert check_file(path) is None


# -- untrusted text ------------------------------------------------------------------------------


def hostile_texts() -> list[str]:
    """Every case of the shared corpus but NUL, which no database column can hold."""
    cases = load_hostile_cases() or INLINE_CASES
    return [t for _, t in cases if "\x00" not in t]


def test_hostile_text_reads_back_literally(sqlite_db: Database) -> None:
    """Customer text with terminal escapes, bidi overrides, odd line breaks and markup, as
    the contact's messages, earlier messages and their subjects: the file loads back with
    each text as it was, and holds no control or invisible character itself."""
    texts = hostile_texts()
    opened = NOW - timedelta(hours=1)
    with unit_of_work(sqlite_db) as s:
        s.add(Agent(name="sam", display_name="Sam Okafor", role="senior"))
        s.add(Customer(id="C-1", name="Dana Whitfield", tier="gold", email="d@example.com"))
        s.flush()
        s.add(
            Ticket(
                id="T-1",
                customer_id="C-1",
                channel="chat",
                subject=texts[0],
                status="resolved",
                active=False,
                priority="normal",
                priority_rank=2,
                opened_at=opened,
                sla_due_at=opened + timedelta(hours=1),
                resolved_at=opened + timedelta(minutes=3),
                disposition="resolved",
            )
        )
        s.add(Order(id="W1", customer_id="C-1", placed_at=opened - timedelta(days=3),
                    status="delivered", total=Decimal("10.00")))  # fmt: skip
        s.flush()
        s.add(OrderItem(order_id="W1", line=1, sku="S-1", name=texts[1], price=Decimal("10")))
        for n, hostile in enumerate(texts):
            for ticket, at in ((None, opened - timedelta(days=1)), ("T-1", opened)):
                s.add(
                    Interaction(
                        ref=f"{ticket}-{n}",
                        customer_id="C-1",
                        ticket_id=ticket,
                        at=at + timedelta(seconds=n),
                        channel="email",
                        direction="inbound",
                        kind="message",
                        subject=hostile,
                        text=hostile,
                    )
                )
    exported = export_contact(make_reader(sqlite_db.url), "T-1")
    scenario = exported.scenario
    readable = [t for t in texts if t.strip()]
    assert [turn.customer for turn in scenario.contact.turns] == readable
    assert [h.text for h in scenario.history] == readable[-20:]
    assert [h.subject for h in scenario.history] == readable[-20:]
    assert scenario.contact.subject == texts[0] and scenario.orders[0].items[0].name == texts[1]
    hidden = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
    assert not [c for c in exported.text if c != "\n" and unicodedata.category(c) in hidden]


_SHIPPED_POLICY = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
        min_size=1,
        max_size=64,  # it is an order id too, and the database keeps 64 characters of one
    ).filter(str.strip)
)
def test_any_text_is_written_so_it_reads_back_literally(written: str) -> None:
    turns = CommentedSeq([CommentedMap(at="0s", customer=as_text(written))])
    item = CommentedMap(sku="S-1", name=as_text(written), price=Decimal("1.00"))
    item.fa.set_flow_style()
    order = CommentedMap(id=written, placed_at=NOW, status="delivered", items=[item])
    doc = CommentedMap(
        scenario=1,
        id="any",
        title=as_text(written),
        policy=_SHIPPED_POLICY,
        customer=CommentedMap(id="C-1", name=written, since=date(2019, 4, 2)),
        orders=[order],
        history=[CommentedMap(at=NOW, channel="chat", direction="inbound", text=written)],
        contact=CommentedMap(channel="chat", subject=as_text(written), turns=turns),
    )
    scenario = scenario_from_text(dump(doc), Path("any.yaml"))
    assert scenario.title == scenario.contact.subject == scenario.customer.name == written
    assert scenario.contact.turns[0].customer == scenario.history[0].text == written
    assert scenario.orders[0].id == scenario.orders[0].items[0].name == written


# -- the fakes -----------------------------------------------------------------------------------


def test_each_original_has_one_fake_wherever_and_however_it_is_written() -> None:
    disguise = Disguise("T-1")
    disguise.reserve(["Siobhán Whitfield", "siobhan@example.com", "+1 503 555 0142", "W100"])
    name = disguise.person("Siobhán Whitfield")
    email = disguise.email("siobhan@example.com", name)
    phone = disguise.phone("+1 503 555 0142")
    order = disguise.ident("W100")
    first, last = name.split()
    assert email == f"{first.lower()}.{last.lower()}@example.com"
    assert re.fullmatch(r"\+1 555 01\d\d", phone) and re.fullmatch(r"[A-Z]\d{3}", order)
    said = (
        "SIOBHAN here (Siobhán Whitfield; whitfield to friends), SIOBHAN@example.com. "
        "Call (503) 555-0142 or +1.503.555.0142 about w100, W100 and W1001. "
        "Send it to 12 Oak Street, Portland, OR 97205, or mail ana.b@example.org."
    )
    disguised = disguise.text(said)
    assert disguised.startswith(f"{first} here ({name}; {last} to friends), {email}. ")
    assert f"Call {phone} or {phone} about {order}, {order} and W1001. " in disguised
    for original in ("12 Oak Street", "Portland, OR 97205", "ana.b@example.org"):
        assert original not in disguised
    assert disguise.text(said) == disguised  # the same fakes the second time
    again = Disguise("T-1")
    again.reserve(["Siobhán Whitfield", "siobhan@example.com", "+1 503 555 0142", "W100"])
    assert again.person("Siobhán Whitfield") == name  # seeded from the contact
    assert Disguise("T-2").person("Siobhán Whitfield") != name


def test_a_bare_number_keeps_its_shape_and_short_numbers_stay() -> None:
    disguise = Disguise("T-1")
    said = "Tracking 123456789012, order total 129.00 on 2026-11-07, ref RF-1234567."
    disguised = disguise.text(said)
    tracking = re.search(r"Tracking (\S+),", disguised)
    assert tracking and re.fullmatch(r"\d{12}", tracking[1]) and tracking[1] != "123456789012"
    assert disguised.endswith(", order total 129.00 on 2026-11-07, ref RF-1234567.")


def test_a_contact_nobody_wrote_on_still_has_a_turn(sqlite_db: Database) -> None:
    with unit_of_work(sqlite_db) as s:
        s.add(Customer(id="C-1", name="Dana Whitfield", tier="standard"))
        s.flush()
        s.add(
            Ticket(id="T-1", customer_id="C-1", channel="call", subject="Call about W1",
                   status="resolved", active=False, priority="normal", priority_rank=2,
                   opened_at=NOW, sla_due_at=NOW, resolved_at=NOW + timedelta(seconds=20))
        )  # fmt: skip
    scenario = export_contact(make_reader(sqlite_db.url), "T-1").scenario
    assert [(t.at, t.customer) for t in scenario.contact.turns] == [(timedelta(0), "Call about W1")]
    assert scenario.expect.within == timedelta(minutes=5) and scenario.expect.disposition is None
    assert scenario.customer.email is None and scenario.orders == ()


def test_long_texts_are_disguised_in_linear_time() -> None:
    """The corpus's 100,000-character line once took minutes: an e-mail pattern that may
    start anywhere in a run of word characters is tried from each of them."""
    disguise = Disguise("T-1")
    disguise.person("Dana Whitfield")
    disguise.phone("+1 503 555 0142")
    for n in range(2000):  # a customer with thousands of orders
        disguise.ident(f"W{100000 + n}")
    started = time.perf_counter()
    for long in ("a" * 100_000, "a." * 50_000 + "@", "1 " * 50_000, "Aa, " * 25_000):
        assert disguise.text(long) == long
    assert time.perf_counter() - started < 10
