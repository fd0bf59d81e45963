"""Shopify's published Admin GraphQL schema, held against every document we send and every answer the fakes give.

Two questions, one per function:
- `document_problems`: would Shopify accept this document (and does it avoid deprecated fields)?
- `answer_problems`: could Shopify have sent this answer to this document? The document is executed over the
  answer with graphql-core, reading each selected field from the answer, so the schema's own types judge it:
  a null where the schema says non-null, a selected field missing, a field nobody selected, and every scalar held
  to the form Shopify serializes it in (Money and Decimal as decimal strings, DateTime as ISO 8601 with an offset,
  Int as a JSON integer, ID as a string, enums from their value list). graphql-core's own scalars are lenient on
  output (they turn 1.0 into 1 and 1 into "1"), so the strict checks happen here, before they run.

Problems come with the path into the answer, e.g. `fulfillment.name: null where the schema says String!`.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    build_client_schema,
    execute_sync,
    get_operation_ast,
    is_abstract_type,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoDeprecatedCustomRule

SCHEMAS = Path(__file__).parent / "fixtures" / "shopify_admin_schema"
VERSIONS = ("2026-04", "2026-07")

_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_GID = re.compile(r"gid://shopify/(\w+)/\d+(\?.*)?")
_INT32 = range(-(2**31), 2**31)


@dataclass(frozen=True)
class Problem:
    path: str  # into the answer, e.g. "order.lineItems.nodes[0].originalUnitPriceSet.shopMoney.amount"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@functools.cache
def schema(version: str) -> GraphQLSchema:
    path = SCHEMAS / f"admin_{version}.json.gz"
    if not path.exists():
        known = ", ".join(VERSIONS)
        raise LookupError(f"no Shopify Admin schema for version {version!r} (have {known})")
    with gzip.open(path) as introspection:
        # assume_valid: graphql-core's schema check trips over a quirk of Shopify's (deprecated fields that
        # implement non-deprecated interface fields); the documents and answers are what we check.
        return build_client_schema(json.load(introspection)["data"], assume_valid=True)


@functools.cache
def parsed(document: str) -> DocumentNode:
    return parse(document)


@functools.cache
def document_problems(document: str, version: str, deprecated_allowed: bool = False) -> tuple[str, ...]:
    """Why Shopify `version` would refuse the document; unless `deprecated_allowed`, each deprecated field,
    argument or enum value it uses counts as a problem too."""
    try:
        tree = parsed(document)
    except GraphQLError as error:
        return (error.message,)
    rules = list(specified_rules) if deprecated_allowed else [*specified_rules, NoDeprecatedCustomRule]
    return tuple(error.message for error in validate(schema(version), tree, rules))


def answer_problems(
    document: str, data: Any, variables: Mapping[str, Any] | None = None, version: str = VERSIONS[0]
) -> list[Problem]:
    """Every way `data` (an answer's "data") differs from what Shopify `version` could send for `document`."""
    refused = document_problems(document, version, deprecated_allowed=True)
    if refused:
        return [Problem("", f"Shopify would refuse the document: {message}") for message in refused]
    if not isinstance(data, dict):
        return [Problem("", f"data must be an object, got {_kind(data)}")]
    problems: list[Problem] = []
    result = execute_sync(
        schema(version),
        parsed(document),
        root_value=data,
        context_value=problems,
        variable_values=dict(variables or {}),
        field_resolver=_read_field,
        type_resolver=_resolve_type,
    )
    problems.extend(_problem(error) for error in result.errors or ())
    if result.data is not None:
        problems.extend(_unselected(data, result.data, ""))
    return sorted(set(problems), key=lambda problem: (problem.path, problem.message))


def assert_answer_fits(
    document: str, data: Any, variables: Mapping[str, Any] | None = None, version: str = VERSIONS[0]
) -> None:
    problems = answer_problems(document, data, variables, version)
    if problems:
        raise AssertionError(describe(document, problems))


def describe(document: str, problems: list[Problem]) -> str:
    operation = get_operation_ast(parsed(document))
    name = operation.name.value if operation and operation.name else "anonymous operation"
    lines = "\n".join(f"  {problem}" for problem in problems)
    return f"the answer to {name} does not fit Shopify's schema:\n{lines}"


# Execution over the answer


class _Hole(dict):  # type: ignore[type-arg]
    """Stands in for a value already reported as wrong, so execution goes on to the fields beside it (graphql-core
    would otherwise null the parent and drop its siblings' problems) without reporting what lies under it."""


def _read_field(parent: Any, info: GraphQLResolveInfo, **_arguments: Any) -> Any:
    if isinstance(parent, _Hole):
        return _placeholder(info.return_type, info.schema)
    problems: list[Problem] = info.context
    path = _path(info.path.as_list())
    key = info.path.key
    if key not in parent:
        problems.append(Problem(path, "selected, but missing from the answer"))
        return _placeholder(info.return_type, info.schema)
    value = parent[key]
    misfits = [Problem(path + where, message) for where, message in _misfits(value, info.return_type, info)]
    if misfits:
        problems.extend(misfits)
        return _placeholder(info.return_type, info.schema)
    return value


def _placeholder(of_type: GraphQLOutputType, schema: GraphQLSchema) -> Any:
    """A value of `of_type` that graphql-core accepts without complaint."""
    if isinstance(of_type, GraphQLNonNull):
        of_type = of_type.of_type
    if isinstance(of_type, GraphQLList):
        return []
    if isinstance(of_type, GraphQLEnumType):
        return next(iter(of_type.values))
    if isinstance(of_type, GraphQLScalarType):
        return {"Int": 0, "Float": 0.0, "Boolean": False}.get(of_type.name, "0")
    return _Hole()


def _misfits(value: Any, of_type: GraphQLOutputType, info: GraphQLResolveInfo, where: str = "") -> Iterator[tuple]:
    """(sub-path, message) for each leaf in `value` that Shopify would never serialize that way."""
    if isinstance(of_type, GraphQLNonNull):
        if value is None:
            yield where, f"null where the schema says {of_type}"
            return
        of_type = of_type.of_type
    if value is None:
        return
    if isinstance(of_type, GraphQLList):
        if not isinstance(value, list):
            yield where, f"expected a list ({of_type}), got {_kind(value)}"
            return
        for index, item in enumerate(value):
            yield from _misfits(item, of_type.of_type, info, f"{where}[{index}]")
        return
    if isinstance(of_type, GraphQLEnumType):
        if value not in of_type.values:
            yield where, f"{value!r} is not a value of the enum {of_type.name}"
        return
    if isinstance(of_type, GraphQLScalarType):
        message = _scalar_misfit(of_type.name, value)
        if message is None and of_type.name == "ID" and info.field_name == "id":
            message = _gid_misfit(value, info)
        if message:
            yield where, message
        return
    if not isinstance(value, dict):
        yield where, f"expected an object ({of_type}), got {_kind(value)}"


def _scalar_misfit(name: str, value: Any) -> str | None:
    if name == "Int":
        ok = isinstance(value, int) and not isinstance(value, bool) and value in _INT32
        return None if ok else f"expected Int (a JSON integer), got {_kind(value)} {value!r}"
    if name == "Float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"expected Float (a JSON number), got {_kind(value)} {value!r}"
    if name == "Boolean":
        return None if isinstance(value, bool) else f"expected Boolean, got {_kind(value)} {value!r}"
    if name == "JSON":
        return None
    if not isinstance(value, str):
        return f"expected {name} as a string, got {_kind(value)} {value!r}"
    if name in ("Money", "Decimal") and not _DECIMAL.fullmatch(value):
        return f"expected {name} as a decimal string like '29.99', got {value!r}"
    if name == "DateTime" and not _is_date_time(value):
        return f"expected DateTime as ISO 8601 with an offset like '2019-09-07T15:50:00Z', got {value!r}"
    if name == "Date" and not _DATE.fullmatch(value):
        return f"expected Date as 'YYYY-MM-DD', got {value!r}"
    if name == "UnsignedInt64" and not value.isdigit():
        return f"expected UnsignedInt64 as a string of digits, got {value!r}"
    if name == "BigInt" and not re.fullmatch(r"-?\d+", value):
        return f"expected BigInt as a string of digits, got {value!r}"
    if name == "URL" and not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://", value):
        return f"expected URL with a scheme and host, got {value!r}"
    return None


def _is_date_time(value: str) -> bool:
    if not _DATE_TIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _gid_misfit(value: str, info: GraphQLResolveInfo) -> str | None:
    """A Node's id names its own type: Order.id is gid://shopify/Order/<number>."""
    parent = info.parent_type
    if not any(interface.name == "Node" for interface in parent.interfaces):
        return None
    match = _GID.fullmatch(value)
    if match is None or match.group(1) != parent.name:
        return f"expected an id of the form 'gid://shopify/{parent.name}/<number>', got {value!r}"
    return None


def _resolve_type(value: Any, info: GraphQLResolveInfo, abstract_type: GraphQLAbstractType) -> str | None:
    """The concrete type of an interface or union value. Shopify sends __typename only when asked for it; otherwise
    the type is the one its id names, or else the one whose selected fields match the keys the answer holds."""
    if isinstance(value, _Hole):
        return info.schema.get_possible_types(abstract_type)[0].name
    if "__typename" in value:
        return str(value["__typename"])
    keys = set(value)
    selections = [node.selection_set for node in info.field_nodes if node.selection_set]
    candidates = info.schema.get_possible_types(abstract_type)
    named = _GID.fullmatch(str(value.get("id", "")))
    if named and any(candidate.name == named.group(1) for candidate in candidates):
        return named.group(1)  # a Shopify id names its type
    best, best_distance = None, None
    for candidate in candidates:
        selected = set().union(*(_response_keys(selection, candidate, info) for selection in selections))
        distance = len(selected ^ keys)
        if best_distance is None or distance < best_distance:
            best, best_distance = candidate.name, distance
            if not distance:
                break
    return best


def fragment_part(selection: Any, fragments: Mapping[str, Any]) -> tuple[Any, SelectionSetNode] | None:
    """An inline fragment's or a fragment spread's type condition and selections; None for anything else."""
    if isinstance(selection, InlineFragmentNode):
        return selection.type_condition, selection.selection_set
    if isinstance(selection, FragmentSpreadNode):
        fragment = fragments[selection.name.value]
        return fragment.type_condition, fragment.selection_set
    return None


def _response_keys(selection_set: SelectionSetNode, object_type: GraphQLObjectType, info: GraphQLResolveInfo) -> set:
    keys: set[str] = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            keys.add(selection.alias.value if selection.alias else selection.name.value)
            continue
        part = fragment_part(selection, info.fragments)
        if part is None:
            continue
        condition, inner = part
        if condition is None or _applies(condition.name.value, object_type, info.schema):
            keys |= _response_keys(inner, object_type, info)
    return keys


def _applies(condition: str, object_type: GraphQLObjectType, schema: GraphQLSchema) -> bool:
    if condition == object_type.name:
        return True
    condition_type = schema.get_type(condition)
    return is_abstract_type(condition_type) and schema.is_sub_type(condition_type, object_type)


def _unselected(answer: Any, executed: Any, path: str) -> Iterator[Problem]:
    """Keys the answer holds that the document never selected (the executed result holds exactly the selection)."""
    if isinstance(answer, dict) and isinstance(executed, dict):
        for key, value in answer.items():
            where = f"{path}.{key}" if path else key
            if key not in executed:
                yield Problem(where, "not selected by the document, and Shopify never sends what was not asked for")
            elif key == "__typename" and value != executed[key]:
                yield Problem(where, f"{value!r}, but the fields sent are those of {executed[key]!r}")
            else:
                yield from _unselected(value, executed[key], where)
    elif isinstance(answer, list) and isinstance(executed, list):
        for index, (item, executed_item) in enumerate(zip(answer, executed, strict=False)):
            yield from _unselected(item, executed_item, f"{path}[{index}]")


def _path(parts: list[str | int]) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _problem(error: GraphQLError) -> Problem:
    if error.path is None:
        return Problem("", f"the request's variables: {error.message}")
    return Problem(_path(list(error.path)), error.message)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", type(None): "null", bool: "a boolean"}.get(type(value)) or type(
        value
    ).__name__
