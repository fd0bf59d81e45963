"""Query costs and the cost bucket, computed the way Shopify documents them for the GraphQL Admin API.

A field's cost comes from what it returns: a scalar or an enum 0, an object 1 plus what is selected in it, an
interface or a union the most expensive of its possible selections, a connection 2 plus its page size (`first`
or `last`) times the cost of one node, a mutation 10. A list sized by `first` (Order.fulfillments) or by the ids
asked for (`nodes(ids:)`) costs its size times one item. The requested cost is reckoned from the document before
it runs; the actual cost from the answer, with connections and lists at the size they came back, and the
difference is returned to the bucket. A query may not request more than 1,000 points. The bucket, one per app
and shop, holds `maximum` points and refills at `restore_rate` points a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)

from tests.shopify_schema import fragment_part, parsed, schema

MUTATION_COST = 10
SINGLE_QUERY_LIMIT = 1000


def requested_cost(document: str, variables: Mapping[str, Any], version: str) -> int:
    return _Reckoner(document, variables, version).total(None)


def actual_cost(document: str, variables: Mapping[str, Any], version: str, data: Any) -> int:
    return _Reckoner(document, variables, version).total(data)


class _Reckoner:
    def __init__(self, document: str, variables: Mapping[str, Any], version: str) -> None:
        self.schema: GraphQLSchema = schema(version)
        tree = parsed(document)
        self.operation = next(node for node in tree.definitions if isinstance(node, OperationDefinitionNode))
        self.fragments = {
            node.name.value: node for node in tree.definitions if isinstance(node, FragmentDefinitionNode)
        }
        self.variables = dict(variables)

    def total(self, data: Any) -> int:
        """The requested cost with `data` None, else the actual cost of that answer."""
        if self.operation.operation == OperationType.MUTATION:
            return MUTATION_COST * len(self._fields(self.operation.selection_set))
        root = self.schema.query_type
        assert root is not None
        return self._selection(self.operation.selection_set, root, data, requested=data is None)

    def _selection(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, data: Any, requested: bool
    ) -> int:
        """The cost of what is selected inside one object: the fields every type shares, plus the dearest of the
        groups selected only on some types (inline fragments and fragment spreads)."""
        if selection_set is None:
            return 0
        shared = 0
        by_condition: dict[str, int] = {}
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                shared += self._field(selection, parent, data, requested)
                continue
            part = fragment_part(selection, self.fragments)
            if part is None:
                continue
            condition, inner = part
            on_type = self.schema.get_type(condition.name.value) if condition else parent
            assert on_type is not None
            key = on_type.name
            by_condition[key] = by_condition.get(key, 0) + self._selection(inner, on_type, data, requested)
        return shared + max(by_condition.values(), default=0)

    def _field(self, node: FieldNode, parent: GraphQLNamedType, data: Any, requested: bool) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields[name]
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        key = node.alias.value if node.alias else name
        value = data.get(key) if isinstance(data, dict) else None
        arguments = self._arguments(node)
        if named.name.endswith("Connection") and isinstance(named, GraphQLObjectType):
            return self._connection(node, named, arguments, value, requested)
        if _is_list(definition.type):
            if requested:
                size = len(arguments["ids"]) if "ids" in arguments else _page_size(arguments) or 1
                return size * self._one(node, named, None, requested=True)
            return sum(self._one(node, named, item, requested=False) for item in value or [])
        return self._one(node, named, value, requested)

    def _connection(
        self, node: FieldNode, connection: GraphQLObjectType, arguments: dict[str, Any], value: Any, requested: bool
    ) -> int:
        """2 + the page size times one node; pageInfo is free."""
        cost = 2
        for inner in self._fields(node.selection_set):
            name = inner.name.value
            key = inner.alias.value if inner.alias else name
            page = value.get(key) if isinstance(value, dict) else None
            if name == "nodes":
                node_type = get_named_type(connection.fields["nodes"].type)
                per_node = [(inner, item) for item in page or []]
            elif name == "edges":
                edge_type = get_named_type(connection.fields["edges"].type)
                assert isinstance(edge_type, GraphQLObjectType)
                node_type = get_named_type(edge_type.fields["node"].type)
                node_fields = [field for field in self._fields(inner.selection_set) if field.name.value == "node"]
                if not node_fields:
                    continue
                per_node = [(node_fields[0], (edge or {}).get("node")) for edge in page or []]
                inner = node_fields[0]
            else:
                continue
            if requested:
                cost += (_page_size(arguments) or 1) * self._one(inner, node_type, None, requested=True)
            else:
                cost += sum(self._one(field_node, node_type, item, requested=False) for field_node, item in per_node)
        return cost

    def _one(self, node: FieldNode, named: GraphQLNamedType, value: Any, requested: bool) -> int:
        """An object: 1 and its selection (of an interface or union, the dearest type-specific part)."""
        if not requested and value is None:
            return 1
        return 1 + self._selection(node.selection_set, named, value, requested)

    def _fields(self, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        return [node for node in (selection_set.selections if selection_set else ()) if isinstance(node, FieldNode)]

    def _arguments(self, node: FieldNode) -> dict[str, Any]:
        arguments = {}
        for argument in node.arguments or ():
            if isinstance(argument.value, VariableNode):
                arguments[argument.name.value] = self.variables.get(argument.value.name.value)
            else:
                arguments[argument.name.value] = value_from_ast_untyped(argument.value, self.variables)
        return arguments


def _page_size(arguments: Mapping[str, Any]) -> int | None:
    size = arguments.get("first") or arguments.get("last")
    return int(size) if size is not None else None


def _is_list(of_type: Any) -> bool:
    if isinstance(of_type, GraphQLNonNull):
        of_type = of_type.of_type
    return isinstance(of_type, GraphQLList)


@dataclass
class CostBucket:
    """The leaky bucket of one app on one shop: it refills continuously at `restore_rate` points a second, up to
    `maximum`. `pass_time` moves its clock on without sleeping, for tests whose client waits are recorded; a test
    that counts points exactly gives it a `clock` that stands still."""

    maximum: float = 2000.0
    restore_rate: float = 100.0
    _available: float | None = None
    clock: Callable[[], float] = time.monotonic
    _at: float | None = None
    _skipped: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _now(self) -> float:
        return self.clock() + self._skipped

    def available(self) -> float:
        with self._lock:
            return self._refill()

    def _refill(self) -> float:
        now = self._now()
        level = self.maximum if self._available is None else self._available
        elapsed = 0.0 if self._at is None else now - self._at
        self._available = min(self.maximum, level + elapsed * self.restore_rate)
        self._at = now
        return self._available

    def take(self, points: float) -> bool:
        """Takes `points` if the bucket holds them; False (and nothing taken) if not."""
        with self._lock:
            if self._refill() < points:
                return False
            self._available = (self._available or 0.0) - points
            return True

    def give_back(self, points: float) -> None:
        with self._lock:
            self._available = min(self.maximum, self._refill() + points)

    def drain(self) -> None:
        with self._lock:
            self._refill()
            self._available = 0.0

    def pass_time(self, seconds: float) -> None:
        with self._lock:
            self._skipped += max(seconds, 0.0)

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": self.available(),
            "restoreRate": self.restore_rate,
        }
