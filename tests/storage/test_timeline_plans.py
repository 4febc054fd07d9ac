"""The timeline's reads of actions are keyset reads down an index, on SQLite and PostgreSQL:
a customer with thousands of actions costs a page of them, never a sort of them all.

The checks and the data are `test_query_plans`'s; PostgreSQL is also held to no sort at all
(a Sort above the index would read every action of the customer before the LIMIT).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection

from storage import action_queries, customer_queries
from storage.engine import Database
from tests.factories import NOW
from tests.storage.test_query_plans import Case, _pg_plan, _seed, _sqlite_plan, _statements
from workspace.timeline import ACTION, DECISION, INTERACTION, ORDER_EVENT, TimelineKey

#: A key of each source at one moment: a lower source's, the same source's and a higher one's.
_KEYS = {
    "top": None,
    "interaction_key": TimelineKey(NOW, INTERACTION, 3),
    "order_key": TimelineKey(NOW, ORDER_EVENT, "W1/placed"),
    "action_key": TimelineKey(NOW, ACTION, 2),
    "decision_key": TimelineKey(NOW, DECISION, 2),
}


def _cases() -> Iterator[Case]:
    a, c = action_queries, customer_queries
    for name, key in _KEYS.items():
        yield Case(
            f"taken_page/{name}",
            lambda s, d, key=key: a.taken_page(s, "C-1", key, 51, source=ACTION),
            ("ix_action_customer",),
        )
        yield Case(
            f"decided_page/{name}",
            lambda s, d, key=key: a.decided_page(s, "C-1", key, 51, source=DECISION),
            ("ix_action_customer_decided",),
        )
        yield Case(
            f"interactions_page/{name}",
            lambda s, d, key=key: c.interactions_page(s, "C-1", key, 51),
            ("ix_interaction_timeline",),
        )


CASES = list(_cases())


def _pg_sorts(conn: Connection, statement: str, parameters: Any) -> list[str]:
    """The sorts in the statement's PostgreSQL plan."""
    ((plan,),) = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).all()
    found: list[str] = []

    def visit(node: dict[str, Any]) -> None:
        if "Sort" in node["Node Type"]:
            found.append(f"{node['Node Type']} by {node.get('Sort Key')}")
        for child in node.get("Plans", []):
            visit(child)

    visit(plan[0]["Plan"])
    return found


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_timeline_reads_a_page_down_an_index(db: Database, case: Case) -> None:
    seed = _seed(db)
    statements = _statements(db, case, seed)
    assert statements, f"{case.name} ran no SELECT"
    where = f"{case.name} on {db.read.dialect.name}"
    problems: list[str] = []
    indexes: set[str] = set()
    with db.read.connect() as conn:
        for statement, parameters in statements:
            if db.is_sqlite:
                found, used = _sqlite_plan(conn, statement, parameters, case)
                indexes |= used
            else:
                found = _pg_plan(conn, statement, parameters, case)
                found += _pg_sorts(conn, statement, parameters)
                conn.rollback()
            problems += [f"{p}\n    in: {' '.join(statement.split())}" for p in found]
    assert not problems, f"{where} reads more than a page:\n" + "\n".join(problems)
    if db.is_sqlite:
        assert set(case.uses) <= indexes, f"{where} went through {sorted(indexes)}"
