"""Streaming large results as plain tuples, straight from the database driver.

SQLAlchemy builds a Row object per row; for the few tables with millions of rows (the
pedagogical registrations) that doubles the cost of reading them. `stream_tuples` compiles the
same Core statement for the connection's dialect and fetches it in batches from the driver's
own cursor: a server-side cursor on PostgreSQL, `arraysize` batches on Oracle and SQLite. Other
databases go through SQLAlchemy's batched results. Only use it for columns the driver already
returns as the right Python type (integers and strings).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Select

BATCH = 20_000
_names = itertools.count()


def stream_tuples(connection: Connection, query: Select[Any], batch: int = BATCH) -> Iterator[Any]:
    """The rows of `query` as driver tuples, fetched `batch` at a time."""
    dialect = connection.dialect
    if dialect.name not in {"sqlite", "postgresql", "oracle"}:
        result = connection.execute(query.execution_options(yield_per=batch))
        yield from itertools.chain.from_iterable(result.partitions())
        return
    # Lists given to IN are rendered as one parameter each (SQLAlchemy expands them itself
    # only when it executes the statement).
    compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    arguments: Any = (
        tuple(params[name] for name in compiled.positiontup or ()) if dialect.positional else params
    )
    raw = connection.connection.dbapi_connection
    assert raw is not None
    if dialect.name == "postgresql":
        # A named cursor stays on the server: rows come over batch by batch.
        cursor = raw.cursor(name=f"jonction_stream_{next(_names)}")
    else:
        cursor = raw.cursor()
    try:
        cursor.arraysize = batch
        cursor.execute(str(compiled), arguments)
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()
