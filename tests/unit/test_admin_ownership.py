"""Every table of the store is either an account's (reset, exported, imported) or the service's own."""

from app.admin.ownership import ACCOUNT_TABLES
from app.db.base import Base


def test_every_table_is_covered_by_reset_and_export() -> None:
    service_tables = {"store_reset"}
    assert {table.name for table in ACCOUNT_TABLES} == set(Base.metadata.tables) - service_tables
    order = [table.name for table in ACCOUNT_TABLES]
    for table in ACCOUNT_TABLES:  # parents before children, so import can insert in this order
        for key in table.foreign_keys:
            assert order.index(key.column.table.name) < order.index(table.name), table.name
