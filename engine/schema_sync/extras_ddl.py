"""The PostgreSQL statements that give a rebuilt table the extras its old one had.

Names (the table, its columns, roles, publications, policies) are quoted by the
dialect's identifier preparer and comments are rendered as literals by SQLAlchemy.
Expressions and definitions (a policy's `USING`, a trigger, an index) are SQL that
PostgreSQL wrote itself from its catalog (`pg_get_expr`, `pg_get_triggerdef`, …), run
again as they are, as `pg_dump` does.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from sqlalchemy import Column, MetaData, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import DDL, ExecutableDDLElement, SetColumnComment, SetTableComment

from engine.schema_sync.table_extras import Privilege, RowPolicy, TableExtras

#: What `aclexplode` names; anything else is refused rather than written into a statement.
_PRIVILEGES = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"}
)
_COLUMN_OPTIONS = frozenset({"n_distinct", "n_distinct_inherited"})
_POLICY_COMMANDS = frozenset({"ALL", "SELECT", "INSERT", "UPDATE", "DELETE"})
_TRIGGER_FIRINGS = frozenset({"ENABLE", "DISABLE", "ENABLE REPLICA", "ENABLE ALWAYS"})
_REPLICA_IDENTITIES = frozenset({"DEFAULT", "NOTHING", "FULL", "USING INDEX"})


def statement(sql: str) -> ExecutableDDLElement:
    """A statement run as written (SQLAlchemy's `DDL` formats with `%`, hence the doubling)."""
    return DDL(sql.replace("%", "%%"))  # type: ignore[no-untyped-call]


def restore_extras(
    extras: TableExtras, *, schema: str, table: str, dialect: Dialect
) -> list[ExecutableDDLElement]:
    """Return the statements that give `schema.table` the `extras`, in the order they run.

    The owner changes last: until then the role making the change owns the new table,
    which lets it grant, create policies and triggers.
    """
    writer = _Writer(extras, schema=schema, table=table, dialect=dialect)
    return [
        *writer.privileges(),
        *writer.comments(),
        *writer.statistics_targets(),
        *writer.definitions(),
        *writer.replica_identity(),
        *writer.row_security(),
        *writer.triggers(),
        *writer.publications(),
        *writer.owner(),
    ]


def analyze(*, schema: str, table: str, dialect: Dialect) -> ExecutableDDLElement:
    """The statement that gathers a table's statistics."""
    return statement(f"ANALYZE {_qualified(schema, table, dialect)}")


def rename_constraint(
    *, schema: str, table: str, old: str, new: str, dialect: Dialect
) -> ExecutableDDLElement:
    """The statement that renames one of a table's constraints."""
    quote = dialect.identifier_preparer.quote
    return statement(
        f"ALTER TABLE {_qualified(schema, table, dialect)} "
        f"RENAME CONSTRAINT {quote(old)} TO {quote(new)}"
    )


def _qualified(schema: str, table: str, dialect: Dialect) -> str:
    preparer = dialect.identifier_preparer
    return f"{preparer.quote_schema(schema)}.{preparer.quote(table)}"


class _Writer:
    def __init__(self, extras: TableExtras, *, schema: str, table: str, dialect: Dialect) -> None:
        self.extras = extras
        self.schema = schema
        self.table = table
        self.dialect = dialect
        self.quote = dialect.identifier_preparer.quote
        self.qualified = _qualified(schema, table, dialect)

    def role(self, name: str | None) -> str:
        return "PUBLIC" if name is None else self.quote(name)

    def alter(self, clause: str) -> ExecutableDDLElement:
        return statement(f"ALTER TABLE {self.qualified} {clause}")

    def privileges(self) -> list[ExecutableDDLElement]:
        extras = self.extras
        found = [
            statement(f"REVOKE ALL ON TABLE {self.qualified} FROM {self.role(grantee)}")
            for grantee in extras.default_grantees
        ]
        if extras.revoked_from_owner:
            found.append(
                statement(
                    f"REVOKE {_privilege_list(extras.revoked_from_owner)} "
                    f"ON TABLE {self.qualified} FROM CURRENT_USER"
                )
            )

        def key(item: Privilege) -> tuple[str | None, str | None, bool]:
            return (item.column, item.grantee, item.is_grantable)

        # One GRANT per role, column and grant option, in the order they were read.
        for (column, grantee, is_grantable), group in groupby(extras.privileges, key=key):
            names = _privilege_list([item.privilege for item in group])
            columns = "" if column is None else f" ({self.quote(column)})"
            option = " WITH GRANT OPTION" if is_grantable else ""
            found.append(
                statement(
                    f"GRANT {names}{columns} ON TABLE {self.qualified} "
                    f"TO {self.role(grantee)}{option}"
                )
            )
        return found

    def comments(self) -> list[ExecutableDDLElement]:
        extras = self.extras
        columns: list[Column[Any]] = [
            Column(name, comment=comment) for name, comment in extras.column_comments
        ]
        table = Table(self.table, MetaData(), *columns, schema=self.schema, comment=extras.comment)
        found: list[ExecutableDDLElement] = []
        if extras.comment is not None:
            found.append(SetTableComment(table))
        found.extend(SetColumnComment(column) for column in columns)
        return found

    def statistics_targets(self) -> list[ExecutableDDLElement]:
        found = [
            self.alter(f"ALTER COLUMN {self.quote(column)} SET STATISTICS {int(target)}")
            for column, target in self.extras.statistics_targets
        ]
        for column, option, value in self.extras.column_options:
            if option not in _COLUMN_OPTIONS:
                raise ValueError(f"unknown column option {option!r}")
            found.append(
                self.alter(f"ALTER COLUMN {self.quote(column)} SET ({option} = {float(value)!r})")
            )
        return found

    def definitions(self) -> list[ExecutableDDLElement]:
        return [
            self.alter(f"ADD CONSTRAINT {self.quote(item.name)} {item.definition}")
            if item.kind == "constraint"
            else statement(item.definition)
            for item in self.extras.definitions
        ]

    def replica_identity(self) -> list[ExecutableDDLElement]:
        identity = self.extras.replica_identity
        if identity not in _REPLICA_IDENTITIES:
            raise ValueError(f"unknown replica identity {identity!r}")
        if identity == "DEFAULT":
            return []
        if identity == "USING INDEX":
            return [
                self.alter(
                    f"REPLICA IDENTITY USING INDEX {self.quote(self.extras.replica_index or '')}"
                )
            ]
        return [self.alter(f"REPLICA IDENTITY {identity}")]

    def row_security(self) -> list[ExecutableDDLElement]:
        found = []
        if self.extras.has_row_security:
            found.append(self.alter("ENABLE ROW LEVEL SECURITY"))
        if self.extras.forces_row_security:
            found.append(self.alter("FORCE ROW LEVEL SECURITY"))
        found.extend(self.policy(policy) for policy in self.extras.policies)
        return found

    def policy(self, policy: RowPolicy) -> ExecutableDDLElement:
        if policy.command not in _POLICY_COMMANDS:
            raise ValueError(f"unknown policy command {policy.command!r}")
        kind = "PERMISSIVE" if policy.is_permissive else "RESTRICTIVE"
        roles = ", ".join(self.role(role) for role in policy.roles) or "PUBLIC"
        sql = (
            f"CREATE POLICY {self.quote(policy.name)} ON {self.qualified} "
            f"AS {kind} FOR {policy.command} TO {roles}"
        )
        if policy.using is not None:
            sql += f" USING ({policy.using})"
        if policy.with_check is not None:
            sql += f" WITH CHECK ({policy.with_check})"
        return statement(sql)

    def triggers(self) -> list[ExecutableDDLElement]:
        found = []
        for trigger in self.extras.triggers:
            if trigger.firing not in _TRIGGER_FIRINGS:
                raise ValueError(f"unknown trigger firing {trigger.firing!r}")
            found.append(statement(trigger.definition))
            if trigger.firing != "ENABLE":
                found.append(self.alter(f"{trigger.firing} TRIGGER {self.quote(trigger.name)}"))
        return found

    def publications(self) -> list[ExecutableDDLElement]:
        found = []
        for membership in self.extras.publications:
            sql = (
                f"ALTER PUBLICATION {self.quote(membership.publication)} ADD TABLE {self.qualified}"
            )
            if membership.columns:
                sql += f" ({', '.join(self.quote(column) for column in membership.columns)})"
            if membership.row_filter is not None:
                sql += f" WHERE ({membership.row_filter})"
            found.append(statement(sql))
        return found

    def owner(self) -> list[ExecutableDDLElement]:
        if self.extras.owner is None:
            return []
        return [self.alter(f"OWNER TO {self.quote(self.extras.owner)}")]


def _privilege_list(privileges: list[str] | tuple[str, ...]) -> str:
    unknown = set(privileges) - _PRIVILEGES
    if unknown:
        raise ValueError(f"unknown privileges {sorted(unknown)}")
    return ", ".join(privileges)
