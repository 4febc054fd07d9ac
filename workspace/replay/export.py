"""A resolved contact of the team's database as a training scenario (`caredesk scenario
export`, specs/scenario.md), with every person in it replaced by a consistent fake.

Trainers rehearse real contacts, but real people must never reach a training room: names,
e-mail addresses, phone numbers, street addresses and customer, contact and order ids are
swapped for fakes (`disguise.py`), seeded from the contact's id so one contact always
exports to the same bytes, and each original maps to one fake wherever it appears, free
text included. The file (written by `scenario_yaml.py`) is checked before it is handed
back: it loads, and the autopilot can solve it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from sqlalchemy import Row
from sqlmodel import Session

from storage import agent_queries, customer_queries, scenario_queries
from storage.customer_queries import OrderRows
from storage.engine import Reader
from storage.metric_queries import snapshot
from workspace.errors import CareDeskError, InputRejected
from workspace.policy_file import DEFAULT_POLICY
from workspace.policy_store import installed
from workspace.replay.autopilot import autopilot
from workspace.replay.disguise import Disguise
from workspace.replay.loading import scenario_from_text
from workspace.replay.model import FORMAT_VERSION, Scenario
from workspace.replay.scenario_yaml import as_text, dump, flow, flow_seq
from workspace.replay.scoring import score
from workspace.replay.yaml_input import MAX_BYTES, MAX_OFFSET
from workspace.vocabulary import (
    ActionKind,
    ActionStatus,
    ContactStatus,
    Direction,
    Disposition,
    Role,
    VerdictKind,
    member,
)

# Disguise, as_text and dump live in disguise.py and scenario_yaml.py; named here too for
# the callers (and tests) that import them from the export.
__all__ = ["Disguise", "Exported", "as_text", "dump", "export_contact"]

MAX_ORDERS = 10
"""Orders placed up to the contact's opening that a scenario shows (the newest), besides
those its actions name."""

MAX_HISTORY = 20
"""Earlier messages a scenario shows (the newest)."""

MAX_TURNS = 50
"""The contact's own inbound messages a scenario plays (the first)."""

EMPATHY = ("sorry", "apolog", "understand")
"""The reply phrases every exported scenario expects one of."""

LEAST_WITHIN = timedelta(minutes=5)
"""The shortest `within` written: a contact closed in a minute still gives a trainee five."""

HEADER = """\
Exported by `caredesk scenario export` from a resolved contact. Every name, e-mail address,
phone number, street address and id in it is a fake; products and amounts are real."""


@dataclass(frozen=True)
class Exported:
    """A contact as a scenario file."""

    text: str
    """The YAML file, as written."""
    scenario: Scenario
    """The same file, loaded back."""
    notes: tuple[str, ...]
    """What the export left out, and why (for the trainer, on standard error)."""


def export_contact(db: Reader, contact_id: str) -> Exported:
    """The resolved contact `contact_id` as a scenario; refused (CareDeskError) when there is
    no such contact or it is not resolved. Reads only."""
    found = installed(db)
    policy_text = found[1].body if found else DEFAULT_POLICY.read_text(encoding="utf-8")
    with snapshot(db) as session:
        facts = _read(session, contact_id)
    return _build(facts, yaml.safe_load(policy_text))


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    """What a scenario is made of, as the database holds it."""

    contact: Row[Any]
    customer: Row[Any]
    actions: Sequence[Row[Any]]
    turns: Sequence[Row[Any]]
    """The contact's inbound messages, oldest first."""
    history: Sequence[Row[Any]]
    """Earlier messages, oldest first."""
    orders: Sequence[OrderRows]
    """The orders shown, oldest first."""
    order_ids: Sequence[str]
    """Every order id of the customer: none may reach the text."""
    agents: Sequence[Row[Any]]


def _read(session: Session, contact_id: str) -> _Facts:
    contact = scenario_queries.contact(session, contact_id)
    if contact is None:
        raise CareDeskError(f"scenario export: there is no contact {contact_id!r}")
    if contact.status != ContactStatus.RESOLVED:
        raise CareDeskError(
            f"scenario export: contact {contact_id!r} is {contact.status}, not resolved: "
            "only a resolved contact can be exported"
        )
    customer_id = contact.customer_id
    customer = customer_queries.get_customer(session, customer_id)
    assert customer is not None  # a foreign key
    actions = scenario_queries.contact_actions(session, customer_id, contact_id)
    dates = scenario_queries.order_dates(session, customer_id)
    placed = [o.id for o in dates if o.placed_at <= contact.opened_at]
    shown = set(placed[:MAX_ORDERS])
    shown |= {a.order_id for a in actions if a.order_id is not None}
    orders = [o for o in (customer_queries.get_order(session, i) for i in shown) if o]
    directions = (Direction.INBOUND, Direction.OUTBOUND)
    history = scenario_queries.history_before(
        session, customer_id, contact.opened_at, contact_id, directions, MAX_HISTORY
    )
    return _Facts(
        contact=contact,
        customer=customer,
        actions=actions,
        turns=scenario_queries.contact_messages(session, contact_id, Direction.INBOUND, MAX_TURNS),
        history=history[::-1],
        orders=sorted(orders, key=lambda o: (o[0].placed_at, o[0].id)),
        order_ids=[o.id for o in dates],
        agents=agent_queries.all_agents(session),
    )


# -- who is faked ----------------------------------------------------------------------------


def _disguise(facts: _Facts) -> Disguise:
    """The fakes of everyone the contact names: the customer, the team, the ids."""
    customer, contact = facts.customer, facts.contact
    originals = [customer.id, customer.name, customer.email, customer.phone, contact.id]
    originals += facts.order_ids
    for agent in facts.agents:
        originals += [agent.name, agent.display_name, agent.email]
    originals += [h.author for h in facts.history]
    texts = [contact.subject, *(m.text for m in facts.turns)]
    texts += [t for h in facts.history for t in (h.text, h.subject) if t]
    disguise = Disguise(contact.id)
    disguise.reserve((o for o in originals if o), texts)
    name = disguise.person(customer.name)
    if customer.email:
        disguise.email(customer.email, name)
    if customer.phone:
        disguise.phone(customer.phone)
    disguise.ident(customer.id)
    for agent in facts.agents:
        fake = disguise.person(agent.display_name)
        disguise.alias(agent.name, fake.split()[0])
        if agent.email:
            disguise.email(agent.email, fake)
    for order_id in facts.order_ids:
        disguise.ident(order_id)
    disguise.ident(contact.id)
    return disguise


# -- the scenario --------------------------------------------------------------------------------


def _build(facts: _Facts, policy: object) -> Exported:
    """The scenario of `facts` under `policy` (a policy file's mapping), disguised and
    checked: an expected action the policy now refuses is left out, with a note, so the
    scenario stays solvable."""
    disguise = _disguise(facts)
    orders = {rows[0].id: _order(rows, disguise) for rows in facts.orders if rows[1]}
    notes = [
        f"order {disguise.ident(rows[0].id)} has no items and is left out"
        for rows in facts.orders
        if not rows[1]
    ]
    expected, forbidden = _actions(facts, disguise, orders, notes)
    doc = _document(facts, disguise, list(orders.values()), expected, forbidden)
    doc["policy"] = policy
    text, scenario = _written(doc, facts.contact.id)
    report = score(scenario, autopilot(scenario))
    refused = [n for n, a in enumerate(report.actions) if a.verdict == VerdictKind.DENY]
    if refused:
        for n in refused:
            taken = report.actions[n]
            notes.append(
                f"{ActionKind(taken.action).words} on {taken.order or 'no order'} is left out "
                f"of expect.actions: the policy in effect refuses it now ({taken.rule})"
            )
        kept = [e for n, e in enumerate(expected) if n not in refused]
        if kept:
            doc["expect"]["actions"] = CommentedSeq(kept)
        else:
            del doc["expect"]["actions"]
        text, scenario = _written(doc, facts.contact.id)
        report = score(scenario, autopilot(scenario))
    if report.score != 100:
        notes.append(f"the autopilot scores {report.score}, not 100: run caredesk scenario check")
    return Exported(text=text, scenario=scenario, notes=tuple(notes))


def _document(
    facts: _Facts,
    disguise: Disguise,
    orders: list[CommentedMap],
    expected: list[CommentedMap],
    forbidden: list[CommentedMap],
) -> CommentedMap:
    """The scenario file's mapping, in the spec's order, every text disguised."""
    contact, customer = facts.contact, facts.customer
    opened: datetime = contact.opened_at
    doc = CommentedMap()
    doc.yaml_set_start_comment(HEADER)
    doc["scenario"] = FORMAT_VERSION
    fake_id = re.sub(r"[^A-Za-z0-9._-]+", "-", disguise.ident(contact.id)).strip("-")
    doc["id"] = f"contact-{fake_id}" if fake_id else "contact"
    subject = as_text(disguise.text(contact.subject), "(no subject)")
    doc["title"] = subject
    roles = [contact.role, *(a.role for a in reversed(facts.actions)), Role.AGENT]
    role = next(r for r in roles if member(Role, r or ""))
    doc["agent"] = flow(name="trainee", role=str(role))
    doc["now"] = opened
    person = CommentedMap(id=disguise.ident(customer.id), name=disguise.person(customer.name))
    if customer.email:
        person["email"] = disguise.email(customer.email)
    if customer.phone:
        person["phone"] = disguise.phone(customer.phone)
    person["tier"] = customer.tier
    if customer.since is not None:
        person["since"] = customer.since
    doc["customer"] = person
    if orders:
        doc["orders"] = CommentedSeq(orders)
    history = [_entry(h, disguise) for h in facts.history]
    if history:
        doc["history"] = CommentedSeq(history)
    turns = CommentedSeq()
    for message in (m for m in facts.turns if m.text.strip()):
        offset = max(message.at - opened, timedelta(0)) if turns else timedelta(0)
        turns.append(
            CommentedMap(at=_offset(offset), customer=as_text(disguise.text(message.text)))
        )
    if not turns:  # the contact was opened without a word from the customer
        turns.append(CommentedMap(at=_offset(timedelta(0)), customer=subject))
    doc["contact"] = CommentedMap(channel=contact.channel, subject=subject, turns=turns)
    expect = CommentedMap()
    if expected:
        expect["actions"] = CommentedSeq(expected)
    if forbidden:
        expect["forbidden"] = CommentedSeq(forbidden)
    if (disposition := member(Disposition, contact.disposition or "")) is not None:
        expect["disposition"] = disposition.value
    review = [n for n, h in enumerate(facts.history) if h.channel != contact.channel]
    if review:
        expect["review_history"] = flow_seq(review)
    expect["reply_phrases_any"] = flow_seq(EMPATHY)
    if contact.resolved_at is not None:
        minutes = -(-int((contact.resolved_at - opened).total_seconds()) // 60)
        expect["within"] = _offset(max(timedelta(minutes=minutes), LEAST_WITHIN))
    doc["expect"] = expect
    return doc


def _order(rows: OrderRows, disguise: Disguise) -> CommentedMap:
    """An order and its items; lines of one SKU are one item (a scenario's SKUs are unique)."""
    order, lines = rows
    items: dict[str, CommentedMap] = {}
    for line in lines:
        if line.sku in items:
            items[line.sku]["quantity"] += line.quantity
            continue
        name = line.name if line.name.strip() else line.sku
        items[line.sku] = flow(sku=line.sku, name=name, price=line.price, quantity=line.quantity)
    entry = CommentedMap(id=disguise.ident(order.id), placed_at=order.placed_at)
    entry["status"] = order.status
    if order.promised_by is not None:
        entry["promised_by"] = order.promised_by
    if order.delivered_at is not None:
        entry["delivered_at"] = order.delivered_at
    entry["items"] = CommentedSeq(items.values())
    return entry


def _entry(message: Row[Any], disguise: Disguise) -> CommentedMap:
    """An earlier message as a history entry."""
    entry = CommentedMap(at=message.at, channel=message.channel, direction=message.direction)
    if message.author:
        entry["author"] = disguise.person(message.author)
    if message.subject and message.subject.strip():
        entry["subject"] = as_text(disguise.text(message.subject))
    entry["text"] = as_text(disguise.text(message.text), "(no text)")
    return entry


def _actions(
    facts: _Facts, disguise: Disguise, orders: dict[str, CommentedMap], notes: list[str]
) -> tuple[list[CommentedMap], list[CommentedMap]]:
    """What the agent did (executed or approved) as expected actions, and what was refused
    as forbidden ones, but never one that forbids what is expected."""
    expected: list[CommentedMap] = []
    refused: list[tuple[ActionKind, str | None]] = []
    for action in facts.actions:
        kind, status = member(ActionKind, action.kind), member(ActionStatus, action.status)
        order = disguise.ident(action.order_id) if action.order_id else None
        if kind is None or (action.order_id is not None and action.order_id not in orders):
            continue
        if status is ActionStatus.DENIED:
            refused.append((kind, order))
        if status not in (ActionStatus.EXECUTED, ActionStatus.APPROVED):
            continue
        entry = CommentedMap(action=kind.value)
        if order is not None:
            entry["order"] = order
        elif kind.needs_order:
            continue
        if kind.takes_items:
            known = {item["sku"] for item in orders[action.order_id]["items"]}
            skus = [s for s in dict.fromkeys(_skus(action.items)) if s in known]
            if not skus:
                notes.append(f"a {kind.words} on {order} names none of its items: left out")
                continue
            entry["items"] = flow_seq(skus)
        if kind.typed_amount:
            entry["amount"] = flow(min=action.amount, max=action.amount)
        expected.append(entry)
    forbidden = []
    for kind, order in dict.fromkeys(refused):
        if any(e["action"] == kind and order in (None, e.get("order")) for e in expected):
            continue  # refused at first, then taken within the policy: not a wrong move
        forbidden.append(CommentedMap(action=kind.value, **({"order": order} if order else {})))
    return expected, forbidden


def _skus(stored: str | None) -> list[str]:
    """The SKUs of a replacement, as stored (a JSON array)."""
    try:
        skus = json.loads(stored or "[]")
    except ValueError:
        return []
    return [s for s in skus if isinstance(s, str)] if isinstance(skus, list) else []


def _offset(offset: timedelta) -> str:
    """`45s`, `2m`, `1h30m`: a relative time as the spec writes one."""
    seconds = int(min(offset, MAX_OFFSET).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return "".join(parts) + (f"{seconds}s" if seconds or not (hours or minutes) else "")


def _written(doc: CommentedMap, contact_id: str) -> tuple[str, Scenario]:
    """The file's text, and the scenario it loads as; refused when the loader refuses it
    (a value the database holds that no scenario may), naming the contact."""
    text = dump(doc)
    if (size := len(text.encode("utf-8"))) > MAX_BYTES:
        raise CareDeskError(
            f"scenario export: contact {contact_id!r} makes a {size}-byte scenario; a "
            f"scenario file may be at most {MAX_BYTES} bytes"
        )
    try:
        return text, scenario_from_text(text, Path(f"{doc['id']}.yaml"))
    except InputRejected as refused:  # what the database holds that no scenario may
        raise CareDeskError(
            f"scenario export: contact {contact_id!r} cannot be written as a scenario: "
            + "; ".join(str(p) for p in refused.problems)
        ) from None
