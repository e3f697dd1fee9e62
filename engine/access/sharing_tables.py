"""The tables record sharing keeps in each tenant's schema, and the keys they hold.

Their names start with `_`, which no object's table can take (api names start with a
letter), so they live beside the object tables without a clash:

- `_access_members(user_id, group_key)`: every principal a user counts as: the user
  itself, its role, the role-and-subordinates group of its role and of each role above,
  the public groups and queues it is in (nested groups resolved), its partner account.
- `_access_owners(viewer_id, owner_id, access)`: whose records a user sees without a
  share: its own, those of users in roles below its role, those of the queues it is in,
  and those of its partner account's users (and, where granted, of the accounts below).
- `_access_shares(object_id, record_id, grantee, access, cause)`: records shared with a
  principal, by a sharing rule (`cause` = `rule:<rule id>`) or by hand (`manual`).

The read predicate is then two indexed semi-joins: the record's owner among the caller's
`_access_owners`, or the record among the shares to the caller's principals.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import Column, Index, MetaData, PrimaryKeyConstraint, String, Table, Uuid
from sqlalchemy.engine import Connection

from engine.catalog import Catalog

MEMBERS_TABLE = "_access_members"
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


def rule_cause(rule_id: UUID) -> str:
    """The cause of the shares one sharing rule makes."""
    return f"rule:{rule_id}"


@dataclass(frozen=True)
class AccessTables:
    """The three sharing tables of one tenant schema."""

    members: Table
    owners: Table
    shares: Table

    @property
    def metadata(self) -> MetaData:
        """The SQLAlchemy metadata holding them."""
        return self.members.metadata


def access_tables(schema: str) -> AccessTables:
    """Describe the sharing tables of the tenant schema `schema` (no I/O)."""
    metadata = MetaData()
    members = Table(
        MEMBERS_TABLE,
        metadata,
        Column("user_id", Uuid, nullable=False),
        Column("group_key", String(KEY_LENGTH), nullable=False),
        PrimaryKeyConstraint("user_id", "group_key", name="pk__access_members"),
        schema=schema,
    )
    # Upkeep finds the members of a principal; the predicate goes from the user.
    Index("ix__access_members_group_key", members.c.group_key)
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
    # A rule's recomputation drops its rows.
    Index("ix__access_shares_cause", shares.c.cause, shares.c.object_id)
    return AccessTables(members=members, owners=owners, shares=shares)


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
