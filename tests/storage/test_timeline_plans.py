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
from tests.storage.test_query_plans import Case, Seed, _seed, check_plans
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


@pytest.fixture(scope="module")
def seeded(module_db: Database) -> tuple[Database, Seed]:
    """`test_query_plans`'s data, once in the module's database of each kind: every case
    only reads, in a session that rolls back."""
    return module_db, _seed(module_db)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_the_timeline_reads_a_page_down_an_index(seeded: tuple[Database, Seed], case: Case) -> None:
    db, seed = seeded
    assert not case.write
    check_plans(db, case, seed=seed, also=_pg_sorts)
