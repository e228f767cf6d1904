"""
The console's DynamoDB pages: tables with their keys and indexes, items
through a Scan or a Query form with pagination, and an item as DynamoDB JSON
and as plain JSON.

A page of items carries where the next one starts (C{LastEvaluatedKey}) in
its link, as DynamoDB JSON in a query argument: nothing is kept on the
server between pages.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from twisted.web.template import Tag, tags

from ruststack.console.client import AwsCallError
from ruststack.console.pages import (
    Answer,
    Page,
    Route,
    Section,
    View,
    definitions,
    error_box,
    link,
    table,
    url,
)

TABLES_PER_PAGE = 100
ITEMS_PER_PAGE = 50
MAX_COLUMNS = 12
SORT_CONDITIONS = ("=", "<", "<=", ">", ">=", "begins_with", "between")


class BadInput(ValueError):
    """
    A value in a console form or link the console cannot use.
    """


# DynamoDB JSON as botocore gives and takes it has bytes for B and BS;
# in text (a page, a link) they are base64, as on the wire.


def wire(value: Any) -> Any:
    """
    An attribute value (or a map of them) as botocore parsed it, in DynamoDB
    JSON as sent on the wire: binary values in base64.
    """
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {name: wire(item) for name, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [wire(item) for item in value]
    return value


def unwire(value: Any) -> Any:
    """
    The inverse of L{wire}, for an attribute value map: what botocore's
    serializer takes.

    @raise BadInput: not a map of attribute values.
    """
    if not isinstance(value, dict):
        raise BadInput("not a map of attribute values")
    return {str(name): _unwire_value(item) for name, item in value.items()}


def _unwire_value(value: Any) -> Any:
    if not isinstance(value, dict) or len(value) != 1:
        raise BadInput("an attribute value is an object with one type")
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": _b64(inner)}
    if kind == "BS":
        return {"BS": [_b64(item) for item in _list(inner)]}
    if kind == "M":
        return {"M": unwire(inner)}
    if kind == "L":
        return {"L": [_unwire_value(item) for item in _list(inner)]}
    if kind in ("S", "N"):
        if not isinstance(inner, str):
            raise BadInput(f"a {kind} value is a string")
        return {kind: inner}
    if kind in ("SS", "NS"):
        items = _list(inner)
        if not all(isinstance(item, str) for item in items):
            raise BadInput(f"a {kind} value is a list of strings")
        return {kind: items}
    if kind in ("BOOL", "NULL"):
        if not isinstance(inner, bool):
            raise BadInput(f"a {kind} value is true or false")
        return {kind: inner}
    raise BadInput(f"unknown attribute type {kind!r}")


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise BadInput("a set or list value is a list")
    return value


def _b64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise BadInput("a binary value is base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as e:
        raise BadInput("a binary value is base64 text") from e


def plain(value: Mapping[str, Any]) -> Any:
    """
    One attribute value (as botocore parsed it) as plain JSON: numbers as
    numbers, sets as lists, binary as base64.
    """
    ((kind, inner),) = value.items()
    if kind == "N":
        return _number(inner)
    if kind == "NS":
        return [_number(item) for item in inner]
    if kind in ("B", "BS"):
        return wire(inner)
    if kind == "M":
        return {name: plain(item) for name, item in inner.items()}
    if kind == "L":
        return [plain(item) for item in inner]
    if kind == "NULL":
        return None
    return inner  # S, SS, BOOL


def _number(text: str) -> int | float | str:
    try:
        exact = Decimal(text)
    except ArithmeticError:
        return text
    if not exact.is_finite():
        return text
    if exact == exact.to_integral_value():
        return int(exact)
    # Beyond a float's precision, the digits as DynamoDB keeps them.
    approximate = float(exact)
    return approximate if Decimal(repr(approximate)) == exact else text


def plain_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: plain(value) for name, value in item.items()}


def cell(value: Mapping[str, Any]) -> str:
    shown = plain(value)
    text = shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False)
    return text if len(text) <= 200 else text[:200] + "..."


def key_token(key: Mapping[str, Any]) -> str:
    """
    A key (C{LastEvaluatedKey}, an item's key) as text for a link.
    """
    return json.dumps(wire(key), separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def parse_key_token(text: str) -> dict[str, Any]:
    """
    @raise BadInput: not what L{key_token} writes.
    """
    try:
        return unwire(json.loads(text))
    except ValueError as e:  # JSONDecodeError and BadInput
        raise BadInput(f"not a key: {e}") from e


async def tables(view: View) -> Answer:
    params: dict[str, Any] = {"Limit": TABLES_PER_PAGE}
    if view.arg("start"):
        params["ExclusiveStartTableName"] = view.arg("start")
    answer = await view.client.call("dynamodb", "ListTables", params)
    rows = [(link(name, url("dynamodb", "tables", name)),) for name in answer.get("TableNames", [])]
    pager = []
    if answer.get("LastEvaluatedTableName"):
        pager.append(link("Next page", url("dynamodb", start=answer["LastEvaluatedTableName"]), id="next-page"))
    body = [table(["Table"], rows, id="tables"), tags.div(*pager, class_="pager")]
    return Page("DynamoDB tables", body, crumbs=[("DynamoDB", url("dynamodb"))])


def _key_text(schema: list[dict[str, str]], types: Mapping[str, str]) -> str:
    return ", ".join(
        f"{part['AttributeName']} ({types.get(part['AttributeName'], '?')}, {part['KeyType']})" for part in schema
    )


def _indexes(description: Mapping[str, Any]) -> list[tuple[str, str, list[dict[str, str]], dict[str, Any]]]:
    """
    (kind, name, key schema, description) of each index.
    """
    found = []
    for kind, member in (("global", "GlobalSecondaryIndexes"), ("local", "LocalSecondaryIndexes")):
        for index in description.get(member, []):
            found.append((kind, index["IndexName"], index["KeySchema"], index))
    return found


async def table_page(view: View) -> Answer:
    name = view.params["table"]
    description = (await view.client.call("dynamodb", "DescribeTable", {"TableName": name}))["Table"]
    types = {each["AttributeName"]: each["AttributeType"] for each in description["AttributeDefinitions"]}
    schemas = {"": description["KeySchema"]}
    for _, index_name, schema, _ in _indexes(description):
        schemas[index_name] = schema
    facts: list[tuple[str, Any]] = [
        ("Key", _key_text(description["KeySchema"], types)),
        ("Items", f"{description.get('ItemCount', 0)} (as DescribeTable counts them)"),
        ("Size", f"{description.get('TableSizeBytes', 0)} bytes"),
        ("Status", description.get("TableStatus", "")),
        ("Billing", description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")),
        ("Created", str(description.get("CreationDateTime", ""))),
        ("ARN", description.get("TableArn", "")),
    ]
    stream = description.get("StreamSpecification")
    if stream and stream.get("StreamEnabled"):
        facts.append(("Stream", f"{stream.get('StreamViewType', '')} {description.get('LatestStreamArn', '')}"))
    index_rows = [
        (
            index_name,
            kind,
            _key_text(schema, types),
            index.get("Projection", {}).get("ProjectionType", ""),
            str(index.get("ItemCount", "")),
        )
        for kind, index_name, schema, index in _indexes(description)
    ]
    index = view.arg("index")
    if index not in schemas:
        index = ""
    mode = "query" if view.arg("mode") == "query" else "scan"
    body: list[Any] = [
        definitions(facts),
        tags.h2("Indexes"),
        table(["Index", "Kind", "Key", "Projection", "Items"], index_rows, id="indexes"),
        tags.h2("Items"),
        _forms(view, name, schemas, types, index, mode),
        await _items(view, name, description, schemas, types, index, mode),
    ]
    return Page(name, body, crumbs=[("DynamoDB", url("dynamodb")), (name, url("dynamodb", "tables", name))])


def _index_select(schemas: Mapping[str, Any], chosen: str, element_id: str) -> Tag:
    options = []
    for index_name in schemas:
        label = index_name or "(the table)"
        attributes = {"value": index_name}
        if index_name == chosen:
            attributes["selected"] = "selected"
        options.append(tags.option(label, **attributes))
    return tags.select(*options, name="index", id=element_id)


def _forms(view: View, name: str, schemas: Mapping[str, Any], types: Mapping[str, str], index: str, mode: str) -> Tag:
    action = url("dynamodb", "tables", name)
    scan = tags.form(method="get", action=action, class_="query", id="scan-form")(
        tags.input(type="hidden", name="mode", value="scan"),
        tags.label("Scan", _index_select(schemas, index if mode == "scan" else "", "scan-index")),
        tags.button("Scan", type="submit", id="scan"),
    )
    schema = schemas[index if mode == "query" else ""]
    partition = next(part["AttributeName"] for part in schema if part["KeyType"] == "HASH")
    sort = next((part["AttributeName"] for part in schema if part["KeyType"] == "RANGE"), None)
    chosen_op = view.arg("sk_op") or "="
    ops = [
        tags.option(op, value=op, selected="selected") if op == chosen_op else tags.option(op, value=op)
        for op in SORT_CONDITIONS
    ]
    query = tags.form(method="get", action=action, class_="query", id="query-form")(
        tags.input(type="hidden", name="mode", value="query"),
        tags.label("Query", _index_select(schemas, index if mode == "query" else "", "query-index")),
        tags.label(
            f"{partition} ({types.get(partition, '?')}) =",
            tags.input(name="pk", id="pk", value=view.arg("pk") if mode == "query" else ""),
        ),
        tags.label("sort key condition", tags.select(*ops, name="sk_op", id="sk_op")),
        tags.label(f"{sort or 'sort key'}", tags.input(name="sk", id="sk", value=view.arg("sk"))),
        tags.label("and (between)", tags.input(name="sk2", id="sk2", value=view.arg("sk2"))),
        tags.button("Query", type="submit", id="query"),
    )
    return tags.div(scan, query, class_="forms")


def typed(kind: str, text: str) -> dict[str, Any]:
    """
    A key value typed in a form as the attribute value of its key's type
    (binary ones in base64).

    @raise BadInput: binary that is not base64.
    """
    if kind == "B":
        return {"B": _b64(text)}
    return {kind: text}


def query_params(
    table_name: str, schema: list[dict[str, str]], types: Mapping[str, str], index: str, form: Mapping[str, str]
) -> dict[str, Any]:
    """
    Query's parameters for the Query form's values.

    @raise BadInput: a value the form cannot make into a key condition.
    """
    partition = next(part["AttributeName"] for part in schema if part["KeyType"] == "HASH")
    sort = next((part["AttributeName"] for part in schema if part["KeyType"] == "RANGE"), None)
    names = {"#pk": partition}
    values = {":pk": typed(types.get(partition, "S"), form.get("pk", ""))}
    condition = "#pk = :pk"
    op, low, high = form.get("sk_op") or "=", form.get("sk", ""), form.get("sk2", "")
    if sort is not None and low:
        if op not in SORT_CONDITIONS:
            raise BadInput(f"unknown sort key condition {op!r}")
        names["#sk"] = sort
        values[":sk"] = typed(types.get(sort, "S"), low)
        if op == "begins_with":
            condition += " AND begins_with(#sk, :sk)"
        elif op == "between":
            values[":sk2"] = typed(types.get(sort, "S"), high)
            condition += " AND #sk BETWEEN :sk AND :sk2"
        else:
            condition += f" AND #sk {op} :sk"
    params: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "Limit": ITEMS_PER_PAGE,
    }
    if index:
        params["IndexName"] = index
    return params


async def _items(
    view: View,
    name: str,
    description: Mapping[str, Any],
    schemas: Mapping[str, list[dict[str, str]]],
    types: Mapping[str, str],
    index: str,
    mode: str,
) -> Tag:
    form = {field: view.arg(field) for field in ("pk", "sk_op", "sk", "sk2")}
    limit = view.int_arg("limit", ITEMS_PER_PAGE, 1, 1000)
    try:
        if mode == "query":
            if not form["pk"]:
                return tags.p("Enter a partition key value to query.", class_="muted", id="items-note")
            params = query_params(name, schemas[index], types, index, form)
            params["Limit"] = limit
        else:
            params = {"TableName": name, "Limit": limit}
            if index:
                params["IndexName"] = index
        if view.arg("start"):
            params["ExclusiveStartKey"] = parse_key_token(view.arg("start"))
    except BadInput as e:
        return error_box("ValidationException", str(e))
    try:
        answer = await view.client.call("dynamodb", "Query" if mode == "query" else "Scan", params)
    except AwsCallError as e:
        return error_box(e.code, e.message)
    items = answer.get("Items", [])
    key_names = [part["AttributeName"] for part in description["KeySchema"]]
    index_names = [part["AttributeName"] for part in schemas[index] if part["AttributeName"] not in key_names]
    columns = key_names + index_names
    for item in items:
        for attribute in item:
            if attribute not in columns and len(columns) < MAX_COLUMNS:
                columns.append(attribute)
    rows = []
    for item in items:
        key = {attribute: item[attribute] for attribute in key_names if attribute in item}
        item_link = link("item", url("dynamodb", "tables", name, "item", key=key_token(key)), class_="item")
        rows.append((item_link, *[cell(item[column]) if column in item else "" for column in columns]))
    pager = []
    if view.arg("start"):
        first = {field: value for field, value in form.items() if value and mode == "query"}
        if limit != ITEMS_PER_PAGE:
            first["limit"] = str(limit)
        pager.append(
            link(
                "First page", url("dynamodb", "tables", name, mode=mode, index=index or None, **first), id="first-page"
            )
        )
    last = answer.get("LastEvaluatedKey")
    if last:
        following = {field: value for field, value in form.items() if value and mode == "query"}
        if limit != ITEMS_PER_PAGE:
            following["limit"] = str(limit)
        next_url = url("dynamodb", "tables", name, mode=mode, index=index or None, start=key_token(last), **following)
        pager.append(link("Next page", next_url, id="next-page"))
    count = f"{len(items)} items on this page" + (" (more on the next pages)" if last else "")
    return tags.div(
        tags.p(count, class_="muted", id="items-note"),
        table(["", *columns], rows, id="items"),
        tags.div(*pager, class_="pager"),
    )


async def item_page(view: View) -> Answer:
    name = view.params["table"]
    try:
        key = parse_key_token(view.arg("key"))
    except BadInput as e:
        return Page("Item", error_box("ValidationException", str(e)), 400)
    answer = await view.client.call("dynamodb", "GetItem", {"TableName": name, "Key": key})
    crumbs = [("DynamoDB", url("dynamodb")), (name, url("dynamodb", "tables", name))]
    if "Item" not in answer:
        return Page("Item", tags.p("No item has this key.", class_="message"), 404, crumbs)
    item = answer["Item"]
    body = [
        tags.h2("Plain JSON"),
        tags.pre(tags.code(json.dumps(plain_item(item), indent=2, ensure_ascii=False, sort_keys=True)), id="plain"),
        tags.h2("DynamoDB JSON"),
        tags.pre(tags.code(json.dumps(wire(item), indent=2, ensure_ascii=False, sort_keys=True)), id="dynamodb-json"),
    ]
    title = ", ".join(f"{attribute}={cell(value)}" for attribute, value in key.items())
    return Page(title, body, crumbs=crumbs)


SECTION = Section(
    name="dynamodb",
    title="DynamoDB",
    service="dynamodb",
    summary="tables with their keys and indexes, items through Scan and Query, an item's JSON",
    order=20,
    routes=[
        Route("", tables),
        Route("tables/{table}", table_page),
        Route("tables/{table}/item", item_page),
    ],
)
