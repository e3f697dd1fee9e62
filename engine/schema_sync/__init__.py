"""Schema sync: plan the DDL that turns one metadata state into another, then apply it."""

from engine.schema_sync.apply import BlockingRows, DataImpact, apply_plan, measure_impact
from engine.schema_sync.checks import ValuesRewritten
from engine.schema_sync.column_slots import ColumnSlots, measure_column_slots
from engine.schema_sync.conversions import ConversionRefused, plan_conversion, render_type
from engine.schema_sync.database_plan import plan_against_database
from engine.schema_sync.plan import ChangeClass, PlanWarning, SchemaPlan, plan_schema_change
from engine.schema_sync.render import render_sql
from engine.schema_sync.table_extras import TableExtras, read_table_extras

__all__ = [
    "BlockingRows",
    "ChangeClass",
    "ColumnSlots",
    "ConversionRefused",
    "DataImpact",
    "PlanWarning",
    "SchemaPlan",
    "TableExtras",
    "ValuesRewritten",
    "apply_plan",
    "measure_column_slots",
    "measure_impact",
    "plan_against_database",
    "plan_conversion",
    "plan_schema_change",
    "read_table_extras",
    "render_sql",
    "render_type",
]
