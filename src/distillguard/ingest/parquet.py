"""Read a v1 table from Parquet files in bounded memory, casting onto the contract.

Files are read batch by batch (``iter_batches``), only the contract's columns. A
column may arrive in a wider or narrower physical type (``large_string``, ``int32``,
dictionary-encoded strings, ``timestamp[ns, UTC]``) and is cast; a column of another
kind (a string where a timestamp belongs, a timestamp without a time zone) is a
:class:`~distillguard.errors.SchemaError` naming the file and the field. In a
hive-partitioned tree (``model=atlas-2/part-0.parquet``) a contract field that lives
only in the directory names is filled from them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.errors import FormatError, SchemaError
from distillguard.ingest.candidates import Candidate
from distillguard.schema import FIELDS, MESSAGE, TIMESTAMP, TableName, arrow_schema


def _stringish(dtype: pa.DataType) -> bool:
    if pa.types.is_dictionary(dtype):
        return _stringish(dtype.value_type)
    return bool(pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_string_view(dtype))


def _listish(dtype: pa.DataType) -> bool:
    return bool(pa.types.is_list(dtype) or pa.types.is_large_list(dtype) or pa.types.is_list_view(dtype))


def compatible(physical: pa.DataType, target: pa.DataType) -> bool:
    """Whether a column of type ``physical`` may be cast onto the contract's ``target``."""
    if target == TIMESTAMP:
        return pa.types.is_timestamp(physical) and physical.tz is not None
    if target == pa.list_(MESSAGE):
        if not _listish(physical) or not pa.types.is_struct(physical.value_type):
            return False
        inner = physical.value_type
        names = {inner.field(i).name for i in range(inner.num_fields)}
        return {"role", "content"} <= names and all(
            _stringish(inner.field(n).type) or pa.types.is_null(inner.field(n).type) for n in ("role", "content")
        )
    if pa.types.is_list(target):
        return _listish(physical) and _stringish(physical.value_type)
    if pa.types.is_string(target):
        return _stringish(physical)
    if pa.types.is_integer(target):
        return bool(pa.types.is_integer(physical))
    if pa.types.is_floating(target):
        return bool(pa.types.is_floating(physical) or pa.types.is_integer(physical))
    if pa.types.is_boolean(target):
        return bool(pa.types.is_boolean(physical))
    return False


def _partition_values(path: Path, root: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for part in path.relative_to(root).parts[:-1]:
        key, sep, value = part.partition("=")
        if sep:
            values[key] = value
    return values


def _cast_messages(column: pa.Array) -> pa.Array:
    """Keep only ``role`` and ``content`` of each message, as strings."""
    if pa.types.is_large_list(column.type) or pa.types.is_list_view(column.type):
        column = column.cast(pa.list_(column.type.value_type))
    flat = column.values
    pairs = [pc.cast(flat.field(name), pa.string()) for name in ("role", "content")]
    structs = pa.StructArray.from_arrays(pairs, fields=list(MESSAGE), mask=flat.is_null())
    return pa.ListArray.from_arrays(column.offsets, structs, mask=column.is_null())


def _check_schema(path: Path, physical: pa.Schema, partitions: dict[str, str], table: TableName) -> None:
    for field in FIELDS[table]:
        if field.name in physical.names:
            found = physical.field(field.name).type
            if not compatible(found, field.type):
                hint = " (timestamps must carry a time zone, UTC)" if field.type == TIMESTAMP else ""
                raise SchemaError(f"{path}: field `{field.name}` has type {found}, expected {field.type}{hint}")
        elif field.required and field.name not in partitions:
            columns = ", ".join(physical.names)
            raise SchemaError(f"{path}: required field `{field.name}` is missing (columns: {columns})")


def _row_reader(batch: pa.RecordBatch) -> Callable[[int], object]:
    def row(index: int) -> object:
        return batch.slice(index, 1).to_pylist()[0]

    return row


def _canonical(raw: pa.RecordBatch, schema: pa.Schema, partitions: dict[str, str]) -> pa.RecordBatch:
    n = raw.num_rows
    columns: list[pa.Array] = []
    for field in schema:
        if field.name in raw.schema.names:
            column = raw.column(field.name)
            if field.type == pa.list_(MESSAGE):
                column = _cast_messages(column)
            columns.append(pc.cast(column, field.type))
        elif field.name in partitions:
            columns.append(pc.cast(pa.array([partitions[field.name]] * n, pa.string()), field.type))
        else:
            columns.append(pa.nulls(n, field.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def read_parquet(path: Path, root: Path, table: TableName, batch_rows: int) -> Iterator[Candidate]:
    """Yield candidate batches of ``table`` from one Parquet file."""
    try:
        handle = pq.ParquetFile(path, pre_buffer=True)  # one read per column chunk: about 2x faster
    except (pa.ArrowException, OSError) as exc:
        raise FormatError(f"{path}: not a readable Parquet file ({exc})") from exc
    physical = handle.schema_arrow
    partitions = _partition_values(path, root)
    _check_schema(path, physical, partitions, table)
    schema = arrow_schema(table)
    present = [f.name for f in FIELDS[table] if f.name in physical.names]
    offset = 0
    name = str(path)
    try:
        for raw in handle.iter_batches(batch_size=batch_rows, columns=present):
            batch = _canonical(raw, schema, partitions)
            rows = np.arange(offset + 1, offset + batch.num_rows + 1, dtype=np.int64)
            yield Candidate(batch, name, rows, _row_reader(batch))
            offset += batch.num_rows
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise SchemaError(f"{path}: rows after {offset} cannot be cast onto the v1 schema ({exc})") from exc
    except (pa.ArrowException, OSError) as exc:
        raise FormatError(f"{path}: cannot read rows after {offset} ({exc})") from exc
