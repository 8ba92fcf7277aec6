"""Migrations newer than BASELINE take no long lock that blocks writes on an existing table.

Every table that exists before a migration is treated as large (docs/operations.md,
"Migrations without long locks"): a list of "big" tables would go stale the day a small one
grows. A table the same migration creates is exempt: it holds no rows yet. The checker reads
each migration's ``upgrade()`` with ``ast`` (the code is not run) and refuses:

- ``op.create_index`` without ``postgresql_concurrently=True`` inside
  ``with op.get_context().autocommit_block():`` (CONCURRENTLY cannot run in a transaction);
- ``op.add_column`` of a NOT NULL column without a ``server_default`` (PostgreSQL 11+ adds a
  column with a constant default without rewriting the table);
- ``op.alter_column`` changing ``type_`` (a rewrite) or setting ``nullable=False`` (a scan);
- ``op.create_check_constraint`` / ``op.create_foreign_key`` without
  ``postgresql_not_valid=True``, or with it but no ``VALIDATE CONSTRAINT`` in the migration;
- ``op.execute`` SQL doing the same by hand: ``CREATE INDEX`` without ``CONCURRENTLY``,
  ``SET NOT NULL``, ``ALTER COLUMN ... TYPE``, ``ADD CONSTRAINT`` without ``NOT VALID``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
BASELINE = "0056"  # the last released revision; newer ones are this release's and are checked

SQL_RULES = (
    (re.compile(r"\bCREATE\s+(UNIQUE\s+)?INDEX\b(?!\s+CONCURRENTLY)", re.I), "CREATE INDEX without CONCURRENTLY"),
    (re.compile(r"\bSET\s+NOT\s+NULL\b", re.I), "SET NOT NULL scans the table under an exclusive lock"),
    (re.compile(r"\bALTER\s+COLUMN\s+\w+\s+(SET\s+DATA\s+)?TYPE\b", re.I), "a column type change rewrites the table"),
)
ADD_CONSTRAINT = re.compile(r"\bADD\s+CONSTRAINT\b[^;]*?(CHECK|FOREIGN\s+KEY)\b", re.I | re.S)
ALTER_TABLE = re.compile(r"\bALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?\"?(\w+)\"?", re.I)
ON_TABLE = re.compile(r"\bON\s+(?:ONLY\s+)?\"?(\w+)\"?", re.I)


def revision_of(path: Path) -> str:
    match = re.search(r"_(\d{4})_", path.name)
    return match.group(1) if match else ""


def checked_migrations() -> list[Path]:
    return sorted(path for path in VERSIONS.glob("*.py") if revision_of(path) > BASELINE)


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level string constants, so ``op.execute(MARK_BOOKING)`` can be read."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            text = _text(node.value, {})
            if text is not None:
                found[node.targets[0].id] = text
    return found


def _text(node: ast.AST | None, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.JoinedStr):  # an f-string: its fixed parts are enough for the rules
        return "".join(_text(part, constants) or " x " for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left, constants), _text(node.right, constants)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Call) and node.args:  # sa.text("...")
        return _text(node.args[0], constants)
    return None


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _is_false(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _op_call(node: ast.AST) -> str | None:
    """``op.NAME(...)``'s NAME."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "op"
    ):
        return node.func.attr
    return None


def _is_autocommit_block(item: ast.withitem) -> bool:
    call = item.context_expr
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "autocommit_block"


def _table_arg(call: ast.Call, position: int, keyword: str, constants) -> str | None:
    node = call.args[position] if len(call.args) > position else _keyword(call, keyword)
    return _text(node, constants)


def lock_problems(source: str) -> list[str]:
    """What in this migration's ``upgrade()`` would hold a write-blocking lock on an existing table."""
    tree = ast.parse(source)
    constants = _constants(tree)
    upgrade = next((node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "upgrade"), None)
    if upgrade is None:
        return []
    created = {
        _text(node.args[0], constants) for node in ast.walk(upgrade) if _op_call(node) == "create_table" and node.args
    }
    statements = [
        _text(node.args[0], constants) or "" for node in ast.walk(upgrade) if _op_call(node) == "execute" and node.args
    ]
    validates = any(re.search(r"\bVALIDATE\s+CONSTRAINT\b", sql, re.I) for sql in statements)
    problems: list[str] = []

    def existing(table: str | None) -> bool:
        return table is not None and table not in created

    def visit(node: ast.AST, autocommit: bool) -> None:
        if isinstance(node, ast.With):
            inside = autocommit or any(_is_autocommit_block(item) for item in node.items)
            for child in node.body:
                visit(child, inside)
            return
        name = _op_call(node)
        line = getattr(node, "lineno", "?")
        if name == "create_index":
            table = _table_arg(node, 1, "table_name", constants)
            if existing(table):
                if not _is_true(_keyword(node, "postgresql_concurrently")):
                    problems.append(f"line {line}: index on {table} without postgresql_concurrently=True")
                elif not autocommit:
                    problems.append(f"line {line}: concurrent index on {table} outside an autocommit_block()")
        elif name == "add_column":
            table = _table_arg(node, 0, "table_name", constants)
            column = node.args[1] if len(node.args) > 1 else _keyword(node, "column")
            if (
                existing(table)
                and isinstance(column, ast.Call)
                and _is_false(_keyword(column, "nullable"))
                and _keyword(column, "server_default") is None
            ):
                problems.append(f"line {line}: NOT NULL column added to {table} without a server_default")
        elif name == "alter_column":
            table = _table_arg(node, 0, "table_name", constants)
            if existing(table):
                if _keyword(node, "type_") is not None:
                    problems.append(f"line {line}: column type changed on {table} (a table rewrite)")
                if _is_false(_keyword(node, "nullable")):
                    problems.append(f"line {line}: SET NOT NULL on {table} (a scan under an exclusive lock)")
        elif name in ("create_check_constraint", "create_foreign_key"):
            table = _table_arg(
                node, 1, "table_name" if name == "create_check_constraint" else "source_table", constants
            )
            if existing(table):
                if not _is_true(_keyword(node, "postgresql_not_valid")):
                    problems.append(f"line {line}: constraint on {table} without postgresql_not_valid=True")
                elif not validates:
                    problems.append(f"line {line}: NOT VALID constraint on {table} never validated")
        elif name == "execute" and node.args:
            sql = _text(node.args[0], constants) or ""
            table_match = ALTER_TABLE.search(sql) or ON_TABLE.search(sql)
            table = table_match.group(1) if table_match else None
            if existing(table):
                for pattern, why in SQL_RULES:
                    if pattern.search(sql):
                        problems.append(f"line {line}: {why} ({table})")
                if ADD_CONSTRAINT.search(sql) and not re.search(r"\bNOT\s+VALID\b", sql, re.I):
                    problems.append(f"line {line}: ADD CONSTRAINT on {table} without NOT VALID")
        for child in ast.iter_child_nodes(node):
            visit(child, autocommit)

    for statement in upgrade.body:
        visit(statement, False)
    return problems


def test_there_are_migrations_to_check():
    assert [revision_of(path) for path in checked_migrations()][:1] == ["0057"]


@pytest.mark.parametrize("path", checked_migrations(), ids=lambda path: path.name)
def test_migration_takes_no_long_write_lock(path):
    assert lock_problems(path.read_text()) == []


# The checker itself, on small fake migrations.

BAD = """
import sqlalchemy as sa
from alembic import op

ADD = "ALTER TABLE orders ADD CONSTRAINT ck_x CHECK (total >= 0)"

def upgrade():
    op.create_index("ix_bookings_x", "bookings", ["x"])
    op.add_column("users", sa.Column("age", sa.Integer(), nullable=False))
    op.alter_column("venues", "name", type_=sa.Text())
    op.alter_column("venues", "city", nullable=False)
    op.create_check_constraint("ck_y", "payments", "amount > 0")
    op.create_foreign_key("fk_z", "reviews", "users", ["user_id"], ["id"])
    op.execute("CREATE INDEX ix_q ON notices (created_at)")
    op.execute("ALTER TABLE orders ALTER COLUMN note SET NOT NULL")
    op.execute(ADD)
    with op.get_context().autocommit_block():
        op.create_index("ix_users_y", "users", ["y"])
    op.create_index("ix_users_z", "users", ["z"], postgresql_concurrently=True)
"""

GOOD = """
import sqlalchemy as sa
from alembic import op

def upgrade():
    op.create_table("things", sa.Column("id", sa.Integer(), primary_key=True))
    op.create_index("ix_things_id", "things", ["id"])
    op.add_column("things", sa.Column("size", sa.Integer(), nullable=False))
    op.create_check_constraint("ck_things", "things", "size > 0")
    op.add_column("users", sa.Column("age", sa.Integer(), nullable=True))
    op.add_column("orders", sa.Column("channel", sa.String(12), server_default="web", nullable=False))
    op.create_check_constraint("ck_y", "payments", "amount > 0", postgresql_not_valid=True)
    with op.get_context().autocommit_block():
        op.create_index("ix_bookings_x", "bookings", ["x"], postgresql_concurrently=True)
        op.execute("ALTER TABLE payments VALIDATE CONSTRAINT ck_y")
        op.execute("CREATE INDEX CONCURRENTLY ix_q ON notices (created_at)")
"""


def test_the_checker_refuses_each_long_lock():
    problems = lock_problems(BAD)
    expected = [
        "index on bookings without postgresql_concurrently",
        "NOT NULL column added to users",
        "column type changed on venues",
        "SET NOT NULL on venues",
        "constraint on payments without postgresql_not_valid",
        "constraint on reviews without postgresql_not_valid",
        "CREATE INDEX without CONCURRENTLY (notices)",
        "SET NOT NULL scans the table under an exclusive lock (orders)",
        "ADD CONSTRAINT on orders without NOT VALID",
        "index on users without postgresql_concurrently",
        "concurrent index on users outside an autocommit_block()",
    ]
    assert len(problems) == len(expected), problems
    for problem, words in zip(problems, expected, strict=True):
        assert words in problem


def test_the_checker_accepts_new_tables_defaults_and_concurrent_work():
    assert lock_problems(GOOD) == []


def test_a_not_valid_constraint_must_be_validated():
    source = GOOD.replace('op.execute("ALTER TABLE payments VALIDATE CONSTRAINT ck_y")', "pass")
    problems = lock_problems(source)
    assert len(problems) == 1
    assert "NOT VALID constraint on payments never validated" in problems[0]
