"""Domain errors say what kind of refusal they are; only the web layer turns a kind into an
HTTP status (app/ops/errors.py), so services stay usable without a request."""

import ast
from pathlib import Path

import pytest

from app.booking.errors import CartItemInvalid, SlotUnavailable
from app.ops.errors import http_status
from app.payments.ports import GatewayError, InvalidEvent
from app.platform.errors import DomainError, InvalidTransition, LimitReached, NotAllowed, NotFound
from app.platform.storage import StorageFull

ROOT = Path(__file__).resolve().parents[2]


def test_no_domain_error_carries_an_http_status():
    found = []
    for path in [*ROOT.glob("app/**/*.py"), *ROOT.glob("search/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    targets = statement.targets if isinstance(statement, ast.Assign) else []
                    if any(isinstance(t, ast.Name) and t.id == "status_code" for t in targets):
                        found.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert found == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DomainError("bad"), 400),
        (CartItemInvalid("x"), 422),
        (SlotUnavailable("x"), 409),
        (LimitReached("x"), 409),
        (InvalidTransition("x"), 409),
        (NotFound("x"), 404),
        (NotAllowed("x"), 403),
        (InvalidEvent("x"), 400),
        (GatewayError("x"), 502),
        (StorageFull(), 507),
    ],
)
def test_one_table_maps_each_kind_to_its_status(error, status):
    assert http_status(error) == status
