"""The gateways sit behind ports that take plain values: the Stripe and Demo adapters, for
payments and for Connect, import nothing from booking nor the code that settles their events,
and the ports import no domain model. Read from the source (imports inside functions too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = [
    "app/payments/stripe_gateway.py",
    "app/payments/demo_gateway.py",
    "app/payouts/stripe_connect.py",
    "app/payouts/demo_connect.py",
    "app/payments/stripe_events.py",  # Stripe's event shape, which both payment adapters read
]
PORTS = ["app/payments/ports.py", "app/payouts/ports.py"]


def imported_modules(path: Path) -> set[str]:
    """Every module the file at ``path`` imports, anywhere in it (inside functions too);
    ``from app import booking`` counts as ``app.booking``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno} uses a relative import"
            module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


@pytest.mark.parametrize("path", ADAPTERS)
def test_a_gateway_adapter_imports_nothing_from_booking_nor_settlement(path):
    imports = imported_modules(ROOT / path)
    assert imports, path  # the file was read
    assert sorted(m for m in imports if within(m, "app.booking")) == []
    assert sorted(m for m in imports if within(m, "app.payments.settlement")) == []


@pytest.mark.parametrize("path", PORTS)
def test_a_port_imports_no_domain_model(path):
    own = {m for m in imported_modules(ROOT / path) if within(m, "app") and m != "app"}
    assert {m for m in own if not within(m, "app.platform.errors")} == set(), path  # the error kinds only


def test_the_reader_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from app import booking\n    import app.booking.models\n")
    assert {"app.booking", "app.booking.models"} <= imported_modules(module)


def test_the_demo_payment_adapter_reads_no_model_nor_the_database():
    """Where a demo session stands comes in plain values (``demo_gateway.session_asked``)."""
    imports = imported_modules(ROOT / "app/payments/demo_gateway.py")
    assert sorted(m for m in imports if m.endswith(".models") or within(m, "app.platform.extensions")) == []
