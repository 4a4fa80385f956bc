"""Validation: a record is checked against schema v1 before it is written.

A record that does not fit the contract becomes a rejection with the reason,
never a crash of the writer and never a malformed row in the archive.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa

from pipelines.rejections import PageRejected
from schemas import ARTICLE_SCHEMA


def schema_violations(record: dict[str, Any], schema: pa.Schema = ARTICLE_SCHEMA) -> list[str]:
    """Everything wrong with `record` under `schema`; empty when it fits."""
    problems = []
    unknown = set(record) - set(schema.names)
    if unknown:
        problems.append(f"fields not in the schema: {', '.join(sorted(unknown))}")
    for field in schema:
        value = record.get(field.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if not field.nullable:
                problems.append(f"{field.name} is empty")
            continue
        if _plainly_fits(value, field.type):
            continue
        try:
            pa.array([value], type=field.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as exc:
            problems.append(f"{field.name}: {exc}")
    return problems


_INT_RANGES = {pa.int16(): 2**15, pa.int32(): 2**31, pa.int64(): 2**63}


def _plainly_fits(value: Any, type_: pa.DataType) -> bool:
    """True when `value` certainly converts to `type_` (the common cases, checked
    in Python: pa.array per field was most of this stage's time); False: ask pyarrow."""
    if pa.types.is_string(type_):
        return isinstance(value, str)
    if type_ in _INT_RANGES:
        limit = _INT_RANGES[type_]
        return type(value) is int and -limit <= value < limit
    if pa.types.is_timestamp(type_):
        return isinstance(value, datetime)
    if pa.types.is_list(type_) and pa.types.is_string(type_.value_type):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return False


class ValidatePipeline:
    def process_item(self, record: dict[str, Any]) -> dict[str, Any]:
        problems = schema_violations(record)
        if problems:
            raise PageRejected("invalid_record", "; ".join(problems))
        return record
