"""Validation: a record is checked against schema v1 before it is written.

A record that does not fit the contract becomes a rejection with the reason,
never a crash of the writer and never a malformed row in the archive.
"""

from __future__ import annotations

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
        try:
            pa.array([value], type=field.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as exc:
            problems.append(f"{field.name}: {exc}")
    return problems


class ValidatePipeline:
    def process_item(self, record: dict[str, Any]) -> dict[str, Any]:
        problems = schema_violations(record)
        if problems:
            raise PageRejected("invalid_record", "; ".join(problems))
        return record
