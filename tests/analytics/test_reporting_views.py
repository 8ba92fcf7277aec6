"""Analytics reads other domains only through the reporting views those domains own
(``reporting.py`` in app/booking, app/venues, app/payouts, app/reviews and app/accounts), never
through SQL on their tables; each view in the database is the one its domain declares, and
each is one table's columns, which PostgreSQL inlines into the query that reads it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from app.accounts import reporting as accounts_reporting
from app.booking import reporting as booking_reporting
from app.payouts import reporting as payouts_reporting
from app.platform.extensions import db
from app.reviews import reporting as reviews_reporting
from app.venues import reporting as venues_reporting

ANALYTICS = Path(__file__).resolve().parents[2] / "app" / "analytics"
DECLARED = {
    name: query
    for module in (booking_reporting, venues_reporting, payouts_reporting, reviews_reporting, accounts_reporting)
    for name, query in module.VIEWS.items()
}
# Where SQL names the relation it reads or writes (analytics writes its keywords in capitals).
RELATION = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|USING|TABLE)\s+(?:ONLY\s+)?\"?(\w+)")
ONE_TABLE = re.compile(r"SELECT \w+(?:, \w+)* FROM \w+")


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def named_relations(source: str) -> set[str]:
    """The relations named after FROM, JOIN, INTO... in a module's strings (docstrings left out)."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.update(RELATION.findall(node.value))
    return found


def other_domains_tables() -> set[str]:
    own = {
        mapper.local_table.name
        for mapper in db.Model.registry.mappers
        if mapper.class_.__module__.startswith("app.analytics.")
    }
    return set(db.metadata.tables) - own


def test_the_scan_sees_a_table_named_in_sql_and_not_in_prose():
    source = (
        '"""Counted from bookings."""\nSQL = "SELECT count(*) FROM bookings b JOIN orders o ON o.id = b.order_id"\n'
    )
    assert named_relations(source) == {"bookings", "orders"}


def test_analytics_names_no_other_domains_table(app):
    foreign = other_domains_tables()
    assert {"bookings", "orders", "venues", "services", "reviews", "users", "venue_transfers"} <= foreign
    named = {path.name: named_relations(path.read_text()) & foreign for path in sorted(ANALYTICS.glob("*.py"))}
    reading = {module: sorted(tables) for module, tables in named.items() if tables}
    assert not reading, (
        f"app/analytics reads other domains' tables: {reading}; read the view their domain owns "
        "(its reporting.py), or add one there with a migration"
    )


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_each_reporting_view_is_one_tables_columns(name):
    assert ONE_TABLE.fullmatch(DECLARED[name]), f"{name}: a reporting view is one table's columns, nothing else"


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_the_database_holds_each_view_as_its_domain_declares_it(ctx, name):
    db.session.execute(text(f"CREATE TEMPORARY VIEW declared_{name} AS {DECLARED[name]}"))
    declared = db.session.scalar(text("SELECT pg_get_viewdef(CAST(:view AS regclass))"), {"view": f"declared_{name}"})
    migrated = db.session.scalar(text("SELECT pg_get_viewdef(CAST(:view AS regclass))"), {"view": name})
    assert migrated == declared


def test_a_query_on_a_view_is_planned_as_on_its_table(ctx):
    query = "SELECT client_id FROM {} WHERE venue_id = 1 AND starts_at >= now() AND status = 'confirmed'"
    plans = [
        db.session.execute(text("EXPLAIN (COSTS OFF) " + query.format(relation))).scalars().all()
        for relation in ("bookings", booking_reporting.BOOKINGS)
    ]
    assert plans[0] == plans[1]
