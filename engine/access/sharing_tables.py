"""The tables record sharing keeps in each tenant's schema, and the keys they hold.

Their names start with `_`, which no object's table can take (api names start with a
letter), so they live beside the object tables without a clash:

- `_access_owners(viewer_id, owner_id, access)`: whose records a user sees without a
  share: its own, those of users in roles below its role, those of the queues it is in,
  and those of its partner account's users (and, where granted, of the accounts below).
- `_access_shares(object_id, record_id, grantee, access, cause)`: records shared by hand
  with a principal (`cause` = `manual`).

The read predicate is then two indexed semi-joins: the record's owner among the caller's
`_access_owners`, or the record among the shares to the caller's principals; sharing
rules add their filters (`rule_conditions.py`) and store nothing. The principals a user
counts as (the keys below) are not stored either: they follow from the user and the
metadata (`closure.principals_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import Column, Index, MetaData, PrimaryKeyConstraint, String, Table, Uuid, delete
from sqlalchemy.engine import Connection

from engine.catalog import Catalog

OWNERS_TABLE = "_access_owners"
SHARES_TABLE = "_access_shares"
#: The longest group key or cause: a prefix and a UUID.
KEY_LENGTH = 64
#: The `access` column's values (those of `ShareAccess`).
ACCESS_LENGTH = 16
#: The cause of a share made by hand on one record.
MANUAL = "manual"
#: Rows one change writes to a sharing table past which PostgreSQL's statistics of it are
#: gathered again in the change: the next read's plan depends on how many rows each
#: principal has (an index per principal, or one pass over the table), and autovacuum
#: would only notice a minute later.
ANALYZE_AFTER_ROWS = 1000


def user_key(user_id: UUID) -> str:
    """The principal of one user."""
    return f"user:{user_id}"


def role_key(role_id: UUID) -> str:
    """The principal of the users holding one role."""
    return f"role:{role_id}"


def role_and_subordinates_key(role_id: UUID) -> str:
    """The principal of the users holding a role or any role below it."""
    return f"role_sub:{role_id}"


def group_key(group_id: UUID) -> str:
    """The principal of a public group's or queue's members (nested groups included)."""
    return f"group:{group_id}"


def partner_key(account_id: UUID) -> str:
    """The principal of the users of one partner account."""
    return f"partner:{account_id}"


@dataclass(frozen=True)
class AccessTables:
    """The two sharing tables of one tenant schema."""

    owners: Table
    shares: Table

    @property
    def metadata(self) -> MetaData:
        """The SQLAlchemy metadata holding them."""
        return self.owners.metadata


def access_tables(schema: str) -> AccessTables:
    """Describe the sharing tables of the tenant schema `schema` (no I/O)."""
    metadata = MetaData()
    owners = Table(
        OWNERS_TABLE,
        metadata,
        Column("viewer_id", Uuid, nullable=False),
        Column("owner_id", Uuid, nullable=False),
        Column("access", String(ACCESS_LENGTH), nullable=False),
        PrimaryKeyConstraint("viewer_id", "owner_id", name="pk__access_owners"),
        schema=schema,
    )
    shares = Table(
        SHARES_TABLE,
        metadata,
        Column("object_id", Uuid, nullable=False),
        Column("record_id", Uuid, nullable=False),
        Column("grantee", String(KEY_LENGTH), nullable=False),
        Column("access", String(ACCESS_LENGTH), nullable=False),
        Column("cause", String(KEY_LENGTH), nullable=False),
        PrimaryKeyConstraint(
            "object_id", "record_id", "grantee", "cause", name="pk__access_shares"
        ),
        schema=schema,
    )
    # The predicate: from the caller's principals to the records of one object.
    Index(
        "ix__access_shares_grantee",
        shares.c.grantee,
        shares.c.object_id,
        shares.c.record_id,
    )
    return AccessTables(owners=owners, shares=shares)


def tables_of(catalog: Catalog) -> AccessTables:
    """The sharing tables of the catalog's tenant (described once per revision)."""
    schema = catalog.metadata_state.schema_name
    return catalog.statements.get_or_build(("access_tables",), lambda: access_tables(schema))


def refresh_statistics(connection: Connection, table: Table, *, changed: int) -> None:
    """Gather a sharing table's statistics after a change wrote `changed` rows to it
    (PostgreSQL; SQLite plans these reads well without them)."""
    if connection.dialect.name != "postgresql" or changed < ANALYZE_AFTER_ROWS:
        return
    name = connection.dialect.identifier_preparer.format_table(table)
    connection.exec_driver_sql(f"ANALYZE {name}")


def create_access_tables(connection: Connection, schema: str) -> None:
    """Create the sharing tables (and their indexes) in a new tenant's schema."""
    access_tables(schema).metadata.create_all(connection)


#: Record ids per statement: a bulk delete's whole batch fits in one.
_IDS_PER_STATEMENT = 10_000


def forget_records(
    connection: Connection, tables: AccessTables, *, object_id: UUID, ids: Sequence[UUID]
) -> None:
    """Remove every share of deleted records."""
    shares = tables.shares
    for start in range(0, len(ids), _IDS_PER_STATEMENT):
        connection.execute(
            delete(shares).where(
                shares.c.object_id == object_id,
                shares.c.record_id.in_(list(ids[start : start + _IDS_PER_STATEMENT])),
            )
        )
