"""What one GraphQL request may ask, checked before anything runs (docs/graphql.md "Limits").

- Size: at most ``MAX_QUERY_BYTES`` of query text and ``MAX_TOKENS`` tokens.
- Depth: at most ``MAX_DEPTH`` fields nested (``{venue {services {options {price {amount}}}}}`` is
  5); introspection counts like any field.
- Arguments: every ``first`` and ``limit`` 1 to 50, every ``days`` 1 to 14.
- Cost: at most ``MAX_COST``, the number of objects the query can return, read from its
  arguments: an object field costs 1 for each parent, a list field its ``first`` (or ``limit``;
  50 for a list without one) for each parent, so nested lists multiply, and ``freeTimes`` costs
  ``FREE_DAY_COST`` more for each day it searches, for each service.
- Work: at most ``MAX_VISITS`` field selections walked, fragments expanded (so fragments
  spread inside fragments can't make the check itself slow).

A query over a limit is refused whole with a message that names the limit (HTTP 400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef
from graphql.utilities import get_operation_ast

MAX_QUERY_BYTES = 8_000
MAX_TOKENS = 2_000
MAX_DEPTH = 6
MAX_COST = 10_000
MAX_VISITS = 2_000
FREE_DAY_COST = 10
LIST_SIZE = 50  # a list field without ``first`` or ``limit`` (introspection's) counts as this long
CAPS = {"first": 50, "limit": 50, "days": 14}
META_FIELDS = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef, "__typename": TypeNameMetaFieldDef}


class Refused(Exception):
    """A request over a limit (or that can't be read): its message and a code for clients."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Measure:
    depth: int
    cost: int


class _Walk:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.depth = 0
        self.cost = 0
        self.visits = 0

    def selections(self, parent: Any, selection_set: SelectionSetNode, depth: int, parents: int) -> None:
        for selection in selection_set.selections:
            self.visits += 1
            if self.visits > MAX_VISITS:
                raise Refused(
                    _("This query selects too many fields (at most %(num)d, fragments expanded).", num=MAX_VISITS),
                    "QUERY_TOO_COMPLEX",
                )
            if isinstance(selection, FieldNode):
                self.field(parent, selection, depth + 1, parents)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                self.selections(
                    self.schema.get_type(fragment.type_condition.name.value), fragment.selection_set, depth, parents
                )
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                kind = self.schema.get_type(condition.name.value) if condition else parent
                self.selections(kind, selection.selection_set, depth, parents)

    def field(self, parent: Any, node: FieldNode, depth: int, parents: int) -> None:
        name = node.name.value
        definition: GraphQLField = META_FIELDS.get(name) or parent.fields[name]
        if depth > MAX_DEPTH:
            raise Refused(
                _(
                    "This query is nested %(depth)d fields deep; at most %(num)d are allowed.",
                    depth=depth,
                    num=MAX_DEPTH,
                ),
                "QUERY_TOO_DEEP",
            )
        self.depth = max(self.depth, depth)
        arguments = get_argument_values(definition, node, self.variables)
        for argument, cap in CAPS.items():
            value = arguments.get(argument)
            if value is not None and not 1 <= value <= cap:
                raise Refused(
                    _("%(name)s must be from 1 to %(num)d.", name=f"{name}({argument})", num=cap), "BAD_USER_INPUT"
                )
        if node.selection_set is None:
            return  # a scalar: its object is counted already
        many = is_list_type(get_nullable_type(definition.type))
        size = (arguments.get("first") or arguments.get("limit") or LIST_SIZE) if many else 1
        self.cost += parents * size
        if name == "freeTimes":  # the slot engine runs once a day searched
            self.cost += parents * arguments.get("days", 1) * FREE_DAY_COST
        if self.cost > MAX_COST:
            raise Refused(
                _(
                    "This query could cost more than %(num)d (each list counts its first or limit for each "
                    "parent, free times %(day)d a day more): ask for fewer rows.",
                    num=MAX_COST,
                    day=FREE_DAY_COST,
                ),
                "QUERY_TOO_COSTLY",
            )
        self.selections(get_named_type(definition.type), node.selection_set, depth, parents * size)


def measure(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: dict[str, Any] | None
) -> Measure:
    """The depth and cost of the operation a (valid) document runs; Refused over any limit."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        raise Refused(_("Say which operation to run (operationName)."), "BAD_REQUEST")
    if operation.operation is not OperationType.QUERY:
        raise Refused(_("This API only reads: send a query."), "BAD_REQUEST")
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        raise Refused(coerced[0].message, "BAD_USER_INPUT")
    walk = _Walk(schema, document, coerced)
    walk.selections(schema.query_type, operation.selection_set, 0, 1)
    return Measure(depth=walk.depth, cost=walk.cost)
