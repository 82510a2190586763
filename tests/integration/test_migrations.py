"""The Alembic migrations build exactly the tables the code declares (columns and types), on
SQLite and PostgreSQL: a column added to a model without its migration fails here."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from fintract.keys.tables import metadata as keys_metadata
from services.common.db import create_engine
from services.ingest.models import metadata as ingest_metadata
from services.jobs.store import metadata as jobs_metadata
from tests.conftest import Database

OWNERS = {"ingest": ingest_metadata, "jobs": jobs_metadata, "keys": keys_metadata}


def _differences(connection: sa.Connection, metadata: sa.MetaData) -> list[Any]:
    def own_columns(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
        # Indexes are declared in the migrations only; other owners' tables are theirs.
        return kind != "index" and (kind != "table" or name in metadata.tables)

    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": own_columns}
    )
    return list(compare_metadata(context, metadata))


@pytest.mark.parametrize("owner", sorted(OWNERS))
async def test_migrated_tables_match_the_models(database: Database, owner: str) -> None:
    engine = create_engine(database.url)
    try:
        async with engine.connect() as connection:
            if database.schema:
                await connection.execute(sa.text(f'SET search_path TO "{database.schema}"'))
            found = await connection.run_sync(_differences, OWNERS[owner])
    finally:
        await engine.dispose()
    assert found == []
