"""What a PostgreSQL table has beyond what Tessera made: privileges, policies, triggers, ….

Tessera makes a table's columns, its primary key, the indexes and foreign keys of its
fields. An administrator may give it more: privileges for a BI role, comments, triggers,
row-level security and its policies, statistics targets, indexes, constraints, a place in
a publication. A rebuild (`column_slots.py`) creates a new table, so it carries each of
them over; what it cannot carry safely (a rule, a view on the table, inheritance) is a
blocker, and the planner refuses the change rather than lose it.

The reader runs in the change's transaction when a plan rebuilds a table; the planner
stays pure and takes the description as it takes the column slots.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import TextClause

#: Tessera's rebuild names its scratch table (and, before it kept names, its primary key)
#: with this prefix; API names start with a letter, so no table of an object does.
REBUILD_PREFIX = "_tessera_rebuild_"
#: PostgreSQL cuts longer identifiers (NAMEDATALEN - 1).
MAX_IDENTIFIER_LENGTH = 63


@dataclass(frozen=True)
class Privilege:
    """A privilege on the table, or on one of its columns, and to whom it is granted."""

    privilege: str
    #: The role; None for PUBLIC.
    grantee: str | None
    column: str | None = None
    is_grantable: bool = False


@dataclass(frozen=True)
class RowPolicy:
    """A row-level security policy, its expressions as PostgreSQL writes them."""

    name: str
    #: ALL, SELECT, INSERT, UPDATE or DELETE.
    command: str
    is_permissive: bool
    #: The roles it applies to; None stands for PUBLIC.
    roles: tuple[str | None, ...]
    using: str | None
    with_check: str | None


@dataclass(frozen=True)
class Trigger:
    """A trigger made outside Tessera: its definition and when it fires."""

    name: str
    #: `pg_get_triggerdef`, which names the table by its schema and name.
    definition: str
    #: How `ALTER TABLE` sets its firing: ENABLE (the default), DISABLE, ENABLE REPLICA or
    #: ENABLE ALWAYS.
    firing: str = "ENABLE"


@dataclass(frozen=True)
class Definition:
    """An index, constraint or statistics object of the table, as PostgreSQL writes it."""

    #: `index` and `statistics` definitions are whole statements; a `constraint`'s is the
    #: part after `ADD CONSTRAINT <name>`.
    kind: str
    name: str
    definition: str


@dataclass(frozen=True)
class PublicationMembership:
    """The table's place in a publication that lists it."""

    publication: str
    #: The columns published; empty for all of them.
    columns: tuple[str, ...] = ()
    row_filter: str | None = None


@dataclass(frozen=True)
class IncomingForeignKey:
    """A foreign key of another table that points at this one."""

    name: str
    #: The table it belongs to, as `schema.table`.
    table: str


@dataclass(frozen=True)
class TableExtras:
    """What a table has that its rebuild must give the new table, and what stops it.

    Attributes:
        primary_key_name: the name the primary key takes after a rebuild: the one it has,
            or PostgreSQL's usual `<table>_pkey` for one an earlier rebuild named.
        owner: the role to give the new table to; None when the role making the change
            owns the table already (it owns the new one).
        privileges: granted on the table and on its columns (the owner's own are left out).
        revoked_from_owner: privileges the owner has revoked from itself.
        default_grantees: roles the schema's default privileges would give the new table
            privileges, which the old one may not have had (None stands for PUBLIC).
        foreign_keys_in: keys of other tables into this one; the planner keeps Tessera's.
        blockers: what the rebuild cannot carry over, said for a person to act on.
    """

    primary_key_name: str
    owner: str | None = None
    privileges: tuple[Privilege, ...] = ()
    revoked_from_owner: tuple[str, ...] = ()
    default_grantees: tuple[str | None, ...] = ()
    comment: str | None = None
    #: (column, comment)
    column_comments: tuple[tuple[str, str], ...] = ()
    #: (column, target)
    statistics_targets: tuple[tuple[str, int], ...] = ()
    #: (column, option, value): `n_distinct` and `n_distinct_inherited`.
    column_options: tuple[tuple[str, str, float], ...] = ()
    has_row_security: bool = False
    forces_row_security: bool = False
    policies: tuple[RowPolicy, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    definitions: tuple[Definition, ...] = ()
    #: DEFAULT, NOTHING, FULL, or USING INDEX (`replica_index`).
    replica_identity: str = "DEFAULT"
    replica_index: str | None = None
    publications: tuple[PublicationMembership, ...] = ()
    foreign_keys_in: tuple[IncomingForeignKey, ...] = ()
    blockers: tuple[str, ...] = ()

    def without(self, names: Collection[str]) -> TableExtras:
        """The same extras without the definitions named `names` (those Tessera makes)."""
        return replace(
            self,
            definitions=tuple(item for item in self.definitions if item.name not in names),
        )

    @property
    def is_empty(self) -> bool:
        """Whether a rebuilt table needs nothing beyond what Tessera makes."""
        return not self.parts()

    def parts(self) -> list[str]:
        """What is carried over, counted for a person: `2 privileges`, `1 trigger`, …."""
        counts = [
            (len(self.privileges), "privilege"),
            (len(self.column_comments) + (self.comment is not None), "comment"),
            (len(self.statistics_targets), "statistics target"),
            (len(self.column_options), "column option"),
            (sum(item.kind == "index" for item in self.definitions), "index"),
            (sum(item.kind == "constraint" for item in self.definitions), "constraint"),
            (sum(item.kind == "statistics" for item in self.definitions), "statistics object"),
            (len(self.policies), "row-level security policy"),
            (len(self.triggers), "trigger"),
            (len(self.publications), "publication"),
        ]
        parts = [f"{count} {_plural(noun, count)}" for count, noun in counts if count]
        if self.revoked_from_owner or self.default_grantees:
            parts.insert(0, "the owner's privileges")
        if self.has_row_security or self.forces_row_security:
            parts.append("row-level security")
        if self.replica_identity != "DEFAULT":
            parts.append("the replica identity")
        if self.owner is not None:
            parts.append(f"the owner {self.owner}")
        return parts


def _plural(noun: str, count: int) -> str:
    if count == 1:
        return noun
    if noun.endswith("y"):
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith("x") else "s")


def default_primary_key_name(table: str) -> str:
    """PostgreSQL's name for a table's primary key: `<table>_pkey`, the table's name cut to fit."""
    return table[: MAX_IDENTIFIER_LENGTH - len("_pkey")] + "_pkey"


def read_table_extras(
    connection: Connection, schema: str, tables: Iterable[str]
) -> dict[str, TableExtras]:
    """Return the extras of each of `tables` (by name) in `schema`; empty on SQLite."""
    if connection.dialect.name != "postgresql":
        return {}
    found = {}
    for name in tables:
        row = connection.execute(_TABLE, {"schema": schema, "table": name}).one_or_none()
        if row is not None:
            found[name] = _Reader(connection, row).read()
    return found


@dataclass(frozen=True)
class _Reader:
    connection: Connection
    #: The table's row of `_TABLE`.
    table: Row[Any]

    def rows(self, query: TextClause) -> list[Row[Any]]:
        return list(self.connection.execute(query, {"oid": self.table.oid}))

    def read(self) -> TableExtras:
        table = self.table
        columns = self.rows(_COLUMNS)
        primary_key = self.primary_key_name()
        replica_index = table.replica_index
        if table.replica_index_is_primary_key:
            replica_index = primary_key
        return TableExtras(
            primary_key_name=primary_key,
            owner=None if table.is_owned_by_current_user else table.owner,
            privileges=tuple(
                Privilege(
                    privilege=row.privilege,
                    grantee=row.grantee,
                    column=row.column_name,
                    is_grantable=row.is_grantable,
                )
                for row in self.rows(_PRIVILEGES)
            ),
            revoked_from_owner=tuple(row.privilege for row in self.rows(_REVOKED_FROM_OWNER)),
            default_grantees=tuple(
                row.grantee
                for row in self.connection.execute(
                    _DEFAULT_GRANTEES, {"namespace": table.namespace}
                )
            ),
            comment=table.comment,
            column_comments=tuple(
                (row.name, row.comment) for row in columns if row.comment is not None
            ),
            statistics_targets=tuple(
                (row.name, row.statistics_target)
                for row in columns
                if row.statistics_target is not None
            ),
            column_options=tuple(
                (row.name, option, value)
                for row in columns
                for option, value in _column_options(row.attoptions)
            ),
            has_row_security=table.relrowsecurity,
            forces_row_security=table.relforcerowsecurity,
            policies=tuple(
                RowPolicy(
                    name=row.name,
                    command=_POLICY_COMMANDS[row.command],
                    is_permissive=row.is_permissive,
                    roles=tuple(row.roles),
                    using=row.using_expression,
                    with_check=row.check_expression,
                )
                for row in self.rows(_POLICIES)
            ),
            triggers=tuple(
                Trigger(row.name, row.definition, _TRIGGER_FIRING[row.enabled])
                for row in self.rows(_TRIGGERS)
            ),
            definitions=tuple(
                Definition(row.kind, row.name, row.definition) for row in self.rows(_DEFINITIONS)
            ),
            replica_identity=_REPLICA_IDENTITY[table.relreplident],
            replica_index=replica_index,
            publications=tuple(
                PublicationMembership(row.name, tuple(row.columns), row.row_filter)
                for row in self.rows(
                    _PUBLICATIONS
                    if (self.connection.dialect.server_version_info or (0,)) >= (15,)
                    else _PUBLICATIONS_BEFORE_15
                )
            ),
            foreign_keys_in=tuple(
                IncomingForeignKey(row.name, row.table_name) for row in self.rows(_FOREIGN_KEYS_IN)
            ),
            blockers=tuple(self.blockers(columns)),
        )

    def primary_key_name(self) -> str:
        """The name the primary key keeps; an earlier rebuild's goes back to PostgreSQL's."""
        name: str | None = self.table.primary_key
        if name is not None and not name.startswith(REBUILD_PREFIX):
            return name
        taken = {
            row.relname
            for row in self.connection.execute(_RELATION_NAMES, {"namespace": self.table.namespace})
        }
        # As PostgreSQL chooses: the plain name, else the first free numbered one.
        base = default_primary_key_name(self.table.relname)
        candidate, number = base, 0
        while candidate in taken:
            number += 1
            suffix = f"_pkey{number}"
            candidate = self.table.relname[: MAX_IDENTIFIER_LENGTH - len(suffix)] + suffix
        return candidate

    def blockers(self, columns: list[Row[Any]]) -> list[str]:
        table = self.table
        found = [row.description for row in self.rows(_BLOCKERS)]
        for row in columns:
            found.extend(
                f"{what} column {row.name}"
                for what, present in (
                    ("a default on", row.has_default),
                    ("the identity of", row.is_identity),
                    ("the generation expression of", row.is_generated),
                    ("the storage of", row.has_storage),
                    ("the compression of", row.has_compression),
                )
                if present
            )
        if table.reloptions:
            found.append(f"storage parameters ({', '.join(table.reloptions)})")
        if table.toast_options:
            found.append(f"TOAST storage parameters ({', '.join(table.toast_options)})")
        return found


#: The options PostgreSQL has for a column (`ALTER COLUMN … SET (…)`).
_COLUMN_OPTIONS = ("n_distinct", "n_distinct_inherited")


def _column_options(options: list[str] | None) -> list[tuple[str, float]]:
    """The planner options among a column's `attoptions` (`n_distinct=-0.5`).

    A build of PostgreSQL may keep options of its own there, on every column; a new
    column gets its own, so they are not carried.
    """
    found = []
    for option in options or ():
        name, _, value = option.partition("=")
        if name in _COLUMN_OPTIONS:
            found.append((name, float(value)))
    return found


_POLICY_COMMANDS = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}
_TRIGGER_FIRING = {"O": "ENABLE", "D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}
_REPLICA_IDENTITY = {"d": "DEFAULT", "n": "NOTHING", "f": "FULL", "i": "USING INDEX"}

_TABLE = text(
    "SELECT c.oid, c.relname, c.relnamespace AS namespace, "
    "pg_get_userbyid(c.relowner) AS owner, "
    "c.relowner = (SELECT r.oid FROM pg_roles AS r WHERE r.rolname = current_user) "
    "AS is_owned_by_current_user, "
    "c.relrowsecurity, c.relforcerowsecurity, c.relreplident, c.reloptions, "
    "t.reloptions AS toast_options, obj_description(c.oid, 'pg_class') AS comment, "
    "(SELECT k.conname FROM pg_constraint AS k WHERE k.conrelid = c.oid AND k.contype = 'p') "
    "AS primary_key, "
    "(SELECT i.relname FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid "
    "WHERE x.indrelid = c.oid AND x.indisreplident) AS replica_index, "
    "COALESCE((SELECT x.indisprimary FROM pg_index AS x "
    "WHERE x.indrelid = c.oid AND x.indisreplident), false) AS replica_index_is_primary_key "
    "FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_class AS t ON t.oid = c.reltoastrelid "
    "WHERE n.nspname = :schema AND c.relname = :table AND c.relkind = 'r'"
)

_RELATION_NAMES = text("SELECT relname FROM pg_class WHERE relnamespace = :namespace")

_GRANTEE = "CASE WHEN x.grantee = 0 THEN NULL ELSE pg_get_userbyid(x.grantee) END"

# The owner's own privileges are implied (its revoked ones are read apart); privileges a
# role other than the owner granted come back granted by the owner.
_PRIVILEGES = text(
    f"SELECT NULL AS column_name, {_GRANTEE} AS grantee, x.privilege_type AS privilege, "
    "x.is_grantable, 0 AS attnum "
    "FROM pg_class AS c, aclexplode(c.relacl) AS x "
    "WHERE c.oid = :oid AND x.grantee <> c.relowner "
    f"UNION ALL SELECT a.attname, {_GRANTEE}, x.privilege_type, x.is_grantable, a.attnum "
    "FROM pg_attribute AS a, aclexplode(a.attacl) AS x "
    "WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped "
    "ORDER BY attnum, grantee NULLS FIRST, privilege"
)

_REVOKED_FROM_OWNER = text(
    "SELECT d.privilege_type AS privilege "
    "FROM pg_class AS c, aclexplode(acldefault('r', c.relowner)) AS d "
    "WHERE c.oid = :oid AND c.relacl IS NOT NULL AND NOT EXISTS ("
    "SELECT 1 FROM aclexplode(c.relacl) AS x "
    "WHERE x.grantee = c.relowner AND x.privilege_type = d.privilege_type) "
    "ORDER BY 1"
)

_DEFAULT_GRANTEES = text(
    f"SELECT DISTINCT {_GRANTEE} AS grantee "
    "FROM pg_default_acl AS d, aclexplode(d.defaclacl) AS x "
    "WHERE d.defaclrole = (SELECT r.oid FROM pg_roles AS r WHERE r.rolname = current_user) "
    "AND d.defaclobjtype = 'r' AND d.defaclnamespace IN (0, :namespace) "
    "AND x.grantee <> d.defaclrole ORDER BY 1 NULLS FIRST"
)

_COLUMNS = text(
    "SELECT a.attname AS name, col_description(a.attrelid, a.attnum) AS comment, "
    "CASE WHEN a.attstattarget >= 0 THEN a.attstattarget END AS statistics_target, "
    "a.atthasdef AND a.attgenerated = '' AS has_default, "
    "a.attidentity <> '' AS is_identity, a.attgenerated <> '' AS is_generated, "
    "a.attoptions, a.attstorage <> t.typstorage AS has_storage, "
    "a.attcompression <> '' AS has_compression "
    "FROM pg_attribute AS a JOIN pg_type AS t ON t.oid = a.atttypid "
    "WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
)

_POLICIES = text(
    "SELECT p.polname AS name, p.polcmd AS command, p.polpermissive AS is_permissive, "
    "ARRAY(SELECT CASE WHEN r.oid = 0 THEN NULL ELSE pg_get_userbyid(r.oid) END "
    "FROM unnest(p.polroles) WITH ORDINALITY AS r(oid, position) ORDER BY r.position) "
    "AS roles, "
    "pg_get_expr(p.polqual, p.polrelid) AS using_expression, "
    "pg_get_expr(p.polwithcheck, p.polrelid) AS check_expression "
    "FROM pg_policy AS p WHERE p.polrelid = :oid ORDER BY p.polname"
)

# A constraint trigger is a trigger here (its definition makes the constraint too).
_TRIGGERS = text(
    "SELECT t.tgname AS name, pg_get_triggerdef(t.oid) AS definition, "
    "t.tgenabled AS enabled "
    "FROM pg_trigger AS t WHERE t.tgrelid = :oid AND NOT t.tgisinternal ORDER BY t.tgname"
)

# Indexes first (a constraint may need one), then constraints (foreign keys last), then
# statistics objects. The indexes behind constraints come with their constraints; not
# null constraints (PostgreSQL 18) come with the columns.
_DEFINITIONS = text(
    "SELECT kind, name, definition FROM ("
    "SELECT 1 AS position, 'index' AS kind, i.relname AS name, "
    "pg_get_indexdef(i.oid) AS definition "
    "FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid "
    "WHERE x.indrelid = :oid AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k "
    "WHERE k.conindid = x.indexrelid AND k.conrelid = :oid AND k.contype IN ('p', 'u', 'x')) "
    "UNION ALL SELECT CASE WHEN k.contype = 'f' THEN 3 ELSE 2 END, 'constraint', k.conname, "
    "pg_get_constraintdef(k.oid) FROM pg_constraint AS k "
    "WHERE k.conrelid = :oid AND k.contype NOT IN ('p', 'n', 't') "
    "UNION ALL SELECT 4, 'statistics', s.stxname, pg_get_statisticsobjdef(s.oid) "
    "FROM pg_statistic_ext AS s WHERE s.stxrelid = :oid"
    ") AS found ORDER BY position, name"
)

_PUBLICATIONS = text(
    "SELECT p.pubname AS name, pg_get_expr(r.prqual, r.prrelid) AS row_filter, "
    "ARRAY(SELECT a.attname FROM unnest(r.prattrs::int2[]) WITH ORDINALITY "
    "AS u(attnum, position) JOIN pg_attribute AS a "
    "ON a.attrelid = r.prrelid AND a.attnum = u.attnum ORDER BY u.position) AS columns "
    "FROM pg_publication_rel AS r JOIN pg_publication AS p ON p.oid = r.prpubid "
    "WHERE r.prrelid = :oid ORDER BY p.pubname"
)

# Before PostgreSQL 15 a publication lists whole tables only.
_PUBLICATIONS_BEFORE_15 = text(
    "SELECT p.pubname AS name, NULL AS row_filter, ARRAY[]::name[] AS columns "
    "FROM pg_publication_rel AS r JOIN pg_publication AS p ON p.oid = r.prpubid "
    "WHERE r.prrelid = :oid ORDER BY p.pubname"
)

_FOREIGN_KEYS_IN = text(
    "SELECT k.conname AS name, n.nspname || '.' || c.relname AS table_name "
    "FROM pg_constraint AS k JOIN pg_class AS c ON c.oid = k.conrelid "
    "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
    "WHERE k.confrelid = :oid AND k.conrelid <> :oid AND k.contype = 'f' ORDER BY 2, 1"
)

# What a rebuild cannot carry: the table's own rules, its place in an inheritance tree,
# and whatever else depends on the table or its row type and would stop DROP TABLE
# (views, functions, other tables' policies, columns of its row type). Foreign keys of
# other tables are read apart: the planner drops and adds back Tessera's own.
_BLOCKERS = text(
    "SELECT description FROM ("
    "SELECT 1 AS position, 'rule ' || r.rulename || ' on it' AS description "
    "FROM pg_rewrite AS r WHERE r.ev_class = :oid AND r.rulename <> '_RETURN' "
    "UNION ALL SELECT 2, CASE WHEN c.relispartition THEN 'it is a partition of ' "
    "ELSE 'it inherits from ' END || pg_describe_object('pg_class'::regclass, i.inhparent, 0) "
    "FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid WHERE i.inhrelid = :oid "
    "UNION ALL SELECT 3, pg_describe_object('pg_class'::regclass, i.inhrelid, 0) "
    "|| ' inherits from it' FROM pg_inherits AS i WHERE i.inhparent = :oid "
    "UNION ALL SELECT DISTINCT 4, CASE WHEN r.rulename = '_RETURN' "
    "THEN pg_describe_object('pg_class'::regclass, r.ev_class, 0) "
    "ELSE pg_describe_object(d.classid, d.objid, 0) END || ' depends on it' "
    "FROM pg_depend AS d LEFT JOIN pg_rewrite AS r "
    "ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid "
    "WHERE d.deptype = 'n' AND ("
    "(d.refclassid = 'pg_class'::regclass AND d.refobjid = :oid) OR "
    "(d.refclassid = 'pg_type'::regclass AND d.refobjid = "
    "(SELECT c.reltype FROM pg_class AS c WHERE c.oid = :oid))) "
    "AND NOT (d.classid = 'pg_class'::regclass AND (d.objid = :oid OR EXISTS ("
    "SELECT 1 FROM pg_inherits AS i WHERE i.inhrelid = d.objid AND i.inhparent = :oid) "
    "OR EXISTS (SELECT 1 FROM pg_index AS x WHERE x.indexrelid = d.objid "
    "AND x.indrelid = :oid))) "
    "AND NOT (d.classid = 'pg_constraint'::regclass AND EXISTS (SELECT 1 FROM pg_constraint "
    "AS k WHERE k.oid = d.objid AND (k.conrelid = :oid OR k.contype = 'f'))) "
    "AND NOT (d.classid = 'pg_rewrite'::regclass AND r.ev_class = :oid) "
    "AND NOT (d.classid = 'pg_trigger'::regclass AND EXISTS (SELECT 1 FROM pg_trigger AS t "
    "WHERE t.oid = d.objid AND t.tgrelid = :oid)) "
    "AND NOT (d.classid = 'pg_policy'::regclass AND EXISTS (SELECT 1 FROM pg_policy AS p "
    "WHERE p.oid = d.objid AND p.polrelid = :oid)) "
    "AND NOT (d.classid = 'pg_statistic_ext'::regclass AND EXISTS (SELECT 1 FROM "
    "pg_statistic_ext AS s WHERE s.oid = d.objid AND s.stxrelid = :oid)) "
    "AND NOT (d.classid = 'pg_attrdef'::regclass AND EXISTS (SELECT 1 FROM pg_attrdef AS f "
    "WHERE f.oid = d.objid AND f.adrelid = :oid)) "
    "AND NOT (d.classid = 'pg_publication_rel'::regclass) "
    # A sequence owned by one of its columns would go with the table.
    "UNION ALL SELECT 5, pg_describe_object(d.classid, d.objid, 0) || ' belongs to column ' "
    "|| a.attname FROM pg_depend AS d JOIN pg_class AS s ON s.oid = d.objid "
    "JOIN pg_attribute AS a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
    "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
    "AND d.refobjid = :oid AND d.deptype = 'a' AND s.relkind = 'S'"
    ") AS found ORDER BY position, description"
)
