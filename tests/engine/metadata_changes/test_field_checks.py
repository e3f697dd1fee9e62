"""Field option checks: options fit the type, references resolve, defaults fit the column."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from uuid_utils.compat import uuid7

from engine.errors import Problem
from engine.metadata_changes.field_checks import MAX_TEXT_LENGTH, check_field
from engine.metadata_changes.normalize import normalize_field
from metadata.models import (
    FieldDef,
    FieldState,
    FieldType,
    ObjectState,
    OnDelete,
    TenantMetadata,
)

POINTER = "/fields/0"


DELETED_AT = datetime(2025, 1, 1, tzinfo=UTC)


def field_state(*, deleted: bool = False, **definition: Any) -> FieldState:
    normalized = normalize_field(FieldDef(**definition))
    field_id = uuid7()
    if deleted:
        return FieldState(
            id=field_id,
            column_name=f"_deleted_{normalized.api_name}_{field_id.hex[-8:]}",
            definition=normalized,
            deleted_at=DELETED_AT,
        )
    return FieldState(id=field_id, column_name=normalized.api_name, definition=normalized)


def object_state(api_name: str, *fields: FieldState, deleted: bool = False) -> ObjectState:
    object_id = uuid7()
    return ObjectState(
        id=object_id,
        api_name=api_name,
        table_name=f"_deleted_{api_name}_{object_id.hex[-8:]}" if deleted else api_name,
        label=api_name.capitalize(),
        plural_label=f"{api_name.capitalize()}s",
        fields=fields,
        deleted_at=DELETED_AT if deleted else None,
    )


ACCOUNT = object_state("account", field_state(api_name="name", type="text"))
CONTACT = object_state(
    "contact",
    field_state(api_name="account", type="lookup", target="account"),
    field_state(api_name="amount", type="decimal"),
    field_state(api_name="retired", type="integer", deleted=True),
)
LINE_ITEM = object_state(
    "line_item",
    field_state(api_name="account", type="master_detail", target="account"),
    field_state(api_name="quantity", type="integer"),
)
NOTE = object_state("note", field_state(api_name="body", type="long_text"))
ARCHIVE = object_state("archive", deleted=True)
STATE = TenantMetadata(
    tenant_id=uuid7(),
    schema_name="t_test",
    revision=7,
    objects=(ACCOUNT, CONTACT, LINE_ITEM, NOTE, ARCHIVE),
)


def check(obj: ObjectState = ACCOUNT, **definition: Any) -> list[Problem]:
    return check_field(
        normalize_field(FieldDef(**definition)), obj=obj, state=STATE, pointer=POINTER
    )


def located(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(problem.pointer, problem.code) for problem in problems]


# -- every type has a valid minimal shape --------------------------------------------------

VALID_FIELDS: dict[FieldType, dict[str, Any]] = {
    FieldType.TEXT: {},
    FieldType.LONG_TEXT: {},
    FieldType.INTEGER: {},
    FieldType.DECIMAL: {},
    FieldType.CURRENCY: {},
    FieldType.PERCENT: {},
    FieldType.BOOLEAN: {},
    FieldType.DATE: {},
    FieldType.DATETIME: {},
    FieldType.EMAIL: {},
    FieldType.PHONE: {},
    FieldType.URL: {},
    FieldType.PICKLIST: {"values": [{"value": "open"}]},
    FieldType.MULTI_PICKLIST: {"values": [{"value": "red"}]},
    FieldType.LOOKUP: {"target": "account"},
    FieldType.MASTER_DETAIL: {"target": "account"},
    FieldType.AUTO_NUMBER: {"format": "INV-{YYYY}-{0000}"},
    FieldType.FORMULA: {"expression": "1 + 1", "return_type": "integer"},
    FieldType.ROLLUP_SUMMARY: {"rollup": {"child": "contact", "function": "count"}},
    FieldType.JSON: {},
    FieldType.FILE: {},
}


def test_every_field_type_has_a_valid_shape_listed_here() -> None:
    assert set(VALID_FIELDS) == set(FieldType)


@pytest.mark.parametrize("field_type", list(FieldType))
def test_a_minimal_field_of_each_type_has_no_problem(field_type: FieldType) -> None:
    assert check(api_name="thing", type=field_type, **VALID_FIELDS[field_type]) == []


def test_a_bad_field_name_is_reported_at_the_field_s_api_name() -> None:
    assert located(check(api_name="owner_id", type="text")) == [
        ("/fields/0/api_name", "reserved-name")
    ]


# -- options that do not fit the type ------------------------------------------------------


@pytest.mark.parametrize(
    ("field_type", "option", "value"),
    [
        ("integer", "max_length", 10),
        ("text", "values", [{"value": "a"}]),
        ("text", "target", "account"),
        ("text", "precision", 10),
        ("boolean", "unique", True),
        ("date", "format", "{0000}"),
        ("json", "indexed", True),
        ("lookup", "default", "x"),
        ("formula", "required", True),
    ],
)
def test_an_option_that_does_not_fit_the_type_is_refused(
    field_type: str, option: str, value: Any
) -> None:
    extra = VALID_FIELDS[FieldType(field_type)]
    problems = check(api_name="thing", type=field_type, **extra, **{option: value})
    assert (f"/fields/0/{option}", "option-not-allowed") in located(problems)
    message = next(p.detail for p in problems if p.pointer == f"/fields/0/{option}")
    assert option in message
    assert field_type in message


def test_every_option_that_does_not_fit_is_reported() -> None:
    problems = check(api_name="count", type="integer", max_length=5, target="account", format="x")
    assert located(problems) == [
        ("/fields/0/format", "option-not-allowed"),
        ("/fields/0/max_length", "option-not-allowed"),
        ("/fields/0/target", "option-not-allowed"),
    ]


def test_a_max_length_above_the_limit_is_refused() -> None:
    assert located(check(api_name="body", type="long_text", max_length=MAX_TEXT_LENGTH + 1)) == [
        ("/fields/0/max_length", "out-of-range")
    ]


# -- picklists -----------------------------------------------------------------------------


@pytest.mark.parametrize("field_type", ["picklist", "multi_picklist"])
def test_a_picklist_without_values_is_refused(field_type: str) -> None:
    problems = check(api_name="stage", type=field_type)
    assert located(problems) == [("/fields/0/values", "missing-option")]
    assert "at least one value" in problems[0].detail


@pytest.mark.parametrize("field_type", ["picklist", "multi_picklist"])
def test_a_picklist_value_listed_twice_is_refused_where_it_repeats(field_type: str) -> None:
    values = [{"value": "open"}, {"value": "won"}, {"value": "open", "label": "Again"}]
    problems = check(api_name="stage", type=field_type, values=values)
    assert located(problems) == [("/fields/0/values/2/value", "duplicate-value")]
    assert "'open' is listed twice" in problems[0].detail


def test_a_picklist_value_longer_than_max_length_is_refused() -> None:
    values = [{"value": "ok"}, {"value": "much too long"}]
    problems = check(api_name="stage", type="picklist", values=values, max_length=5)
    assert located(problems) == [("/fields/0/values/1/value", "too-long")]


# -- lookups and master-detail -------------------------------------------------------------


@pytest.mark.parametrize("field_type", ["lookup", "master_detail"])
def test_a_reference_without_target_is_refused(field_type: str) -> None:
    assert located(check(obj=CONTACT, api_name="parent", type=field_type)) == [
        ("/fields/0/target", "missing-option")
    ]


@pytest.mark.parametrize("field_type", ["lookup", "master_detail"])
def test_a_reference_to_an_unknown_object_is_refused_with_the_known_objects(
    field_type: str,
) -> None:
    problems = check(obj=CONTACT, api_name="parent", type=field_type, target="company")
    assert located(problems) == [("/fields/0/target", "unknown-object")]
    assert "'company'" in problems[0].detail
    assert "account, contact, line_item, note" in problems[0].detail


def test_a_lookup_to_a_deleted_object_is_refused() -> None:
    assert located(check(obj=CONTACT, api_name="archived", type="lookup", target="archive")) == [
        ("/fields/0/target", "unknown-object")
    ]


def test_a_lookup_may_point_at_its_own_object() -> None:
    assert check(api_name="parent", type="lookup", target="account") == []


@pytest.mark.parametrize("on_delete", ["restrict", "set_null", "cascade"])
def test_an_optional_lookup_accepts_every_delete_rule(on_delete: str) -> None:
    assert (
        check(obj=CONTACT, api_name="owner", type="lookup", target="account", on_delete=on_delete)
        == []
    )


def test_a_required_lookup_set_to_null_on_delete_is_refused() -> None:
    problems = check(
        obj=CONTACT,
        api_name="parent",
        type="lookup",
        target="account",
        required=True,
        on_delete="set_null",
    )
    assert located(problems) == [("/fields/0/on_delete", "conflicting-options")]
    assert "use restrict or cascade" in problems[0].detail


@pytest.mark.parametrize("on_delete", ["restrict", "cascade"])
def test_a_required_lookup_may_restrict_or_cascade(on_delete: str) -> None:
    assert (
        check(
            obj=CONTACT,
            api_name="parent",
            type="lookup",
            target="account",
            required=True,
            on_delete=on_delete,
        )
        == []
    )


def test_a_required_lookup_without_a_delete_rule_restricts() -> None:
    definition = normalize_field(
        FieldDef(api_name="parent", type="lookup", target="account", required=True)
    )
    assert definition.on_delete is OnDelete.RESTRICT
    assert check_field(definition, obj=CONTACT, state=STATE, pointer=POINTER) == []


def test_an_optional_lookup_without_a_delete_rule_is_set_to_null() -> None:
    definition = normalize_field(FieldDef(api_name="parent", type="lookup", target="account"))
    assert definition.on_delete is OnDelete.SET_NULL


@pytest.mark.parametrize("on_delete", ["restrict", "set_null"])
def test_a_master_detail_that_does_not_cascade_is_refused(on_delete: str) -> None:
    problems = check(
        obj=CONTACT, api_name="parent", type="master_detail", target="account", on_delete=on_delete
    )
    assert located(problems) == [("/fields/0/on_delete", "conflicting-options")]
    assert "always deleted with their parent" in problems[0].detail


def test_a_master_detail_cascades_and_is_required() -> None:
    definition = normalize_field(
        FieldDef(api_name="parent", type="master_detail", target="account")
    )
    assert definition.on_delete is OnDelete.CASCADE
    assert definition.required is True
    assert check_field(definition, obj=CONTACT, state=STATE, pointer=POINTER) == []


# -- auto-numbers --------------------------------------------------------------------------


def test_an_auto_number_without_format_is_refused() -> None:
    problems = check(api_name="number", type="auto_number")
    assert located(problems) == [("/fields/0/format", "missing-option")]
    assert "INV-{YYYY}-{0000}" in problems[0].detail


@pytest.mark.parametrize("fmt", ["INV-{YYYY}", "INV-{0000}-{000}", "INV-0000"])
def test_an_auto_number_format_needs_exactly_one_counter(fmt: str) -> None:
    problems = check(api_name="number", type="auto_number", format=fmt)
    assert located(problems) == [("/fields/0/format", "invalid-format")]
    assert "exactly one counter" in problems[0].detail


@pytest.mark.parametrize("token", ["HH", "yyyy", "", "0a0"])
def test_an_auto_number_format_with_an_unknown_token_is_refused(token: str) -> None:
    problems = check(api_name="number", type="auto_number", format=f"A-{{{token}}}-{{0000}}")
    assert located(problems) == [("/fields/0/format", "invalid-format")]
    assert f"unknown token {{{token}}}" in problems[0].detail


@pytest.mark.parametrize("fmt", ["{0}", "INV-{YYYY}{MM}{DD}-{000000}", "{YY}/{0000}"])
def test_an_auto_number_format_with_known_tokens_is_accepted(fmt: str) -> None:
    assert check(api_name="number", type="auto_number", format=fmt) == []


def test_an_auto_number_is_unique() -> None:
    definition = normalize_field(FieldDef(api_name="number", type="auto_number", format="{0000}"))
    assert definition.unique is True


# -- formulas ------------------------------------------------------------------------------


@pytest.mark.parametrize("expression", [None, "", "   "])
def test_a_formula_needs_an_expression(expression: str | None) -> None:
    problems = check(api_name="total", type="formula", expression=expression, return_type="integer")
    assert located(problems) == [("/fields/0/expression", "missing-option")]


def test_a_formula_needs_a_return_type() -> None:
    assert located(check(api_name="total", type="formula", expression="1")) == [
        ("/fields/0/return_type", "missing-option")
    ]


@pytest.mark.parametrize("return_type", ["picklist", "lookup", "json", "formula", "long_text"])
def test_a_formula_return_type_outside_the_allowed_set_is_refused(return_type: str) -> None:
    problems = check(api_name="total", type="formula", expression="1", return_type=return_type)
    assert located(problems) == [("/fields/0/return_type", "invalid-value")]
    assert "boolean, currency, date" in problems[0].detail


def test_a_formula_with_a_decimal_result_gets_a_precision_and_scale() -> None:
    definition = normalize_field(
        FieldDef(api_name="total", type="formula", expression="1", return_type="currency")
    )
    assert (definition.precision, definition.scale) == (18, 2)
    assert check_field(definition, obj=ACCOUNT, state=STATE, pointer=POINTER) == []


def test_a_formula_with_a_non_decimal_result_refuses_precision() -> None:
    problems = check(
        api_name="total", type="formula", expression="1", return_type="integer", precision=5
    )
    assert located(problems) == [("/fields/0/precision", "option-not-allowed")]


# -- roll-up summaries ---------------------------------------------------------------------


def test_a_rollup_needs_its_definition() -> None:
    assert located(check(api_name="total", type="rollup_summary")) == [
        ("/fields/0/rollup", "missing-option")
    ]


def test_a_rollup_of_an_unknown_object_is_refused() -> None:
    problems = check(
        api_name="total", type="rollup_summary", rollup={"child": "invoice", "function": "count"}
    )
    assert located(problems) == [("/fields/0/rollup/child", "unknown-object")]


def test_a_rollup_of_an_object_that_does_not_look_up_to_the_parent_is_refused() -> None:
    problems = check(
        api_name="notes", type="rollup_summary", rollup={"child": "note", "function": "count"}
    )
    assert located(problems) == [("/fields/0/rollup/child", "not-a-child")]
    assert "'note' has no lookup or master-detail field to 'account'" in problems[0].detail


def test_a_rollup_may_name_the_lookup_it_follows() -> None:
    rollup = {"child": "contact", "function": "count", "link": "account"}
    assert check(api_name="contacts", type="rollup_summary", rollup=rollup) == []


@pytest.mark.parametrize(
    ("link", "code"),
    [("amount", "not-a-link"), ("owner", "unknown-field"), ("retired", "unknown-field")],
)
def test_a_rollup_link_that_is_not_a_lookup_to_the_parent_is_refused(link: str, code: str) -> None:
    rollup = {"child": "contact", "function": "count", "link": link}
    problems = check(api_name="contacts", type="rollup_summary", rollup=rollup)
    assert located(problems) == [("/fields/0/rollup/link", code)]


def test_a_rollup_follows_a_master_detail_link_too() -> None:
    rollup = {"child": "line_item", "field": "quantity", "function": "sum"}
    assert check(api_name="quantity", type="rollup_summary", rollup=rollup) == []


@pytest.mark.parametrize("function", ["sum", "min", "max"])
def test_a_rollup_other_than_count_needs_a_child_field(function: str) -> None:
    problems = check(
        api_name="total", type="rollup_summary", rollup={"child": "contact", "function": function}
    )
    assert located(problems) == [("/fields/0/rollup/field", "missing-option")]


def test_a_rollup_of_an_unknown_child_field_is_refused() -> None:
    rollup = {"child": "contact", "field": "price", "function": "sum"}
    problems = check(api_name="total", type="rollup_summary", rollup=rollup)
    assert located(problems) == [("/fields/0/rollup/field", "unknown-field")]
    assert "'contact' has no field 'price'" in problems[0].detail


def test_a_rollup_of_a_deleted_child_field_is_refused() -> None:
    rollup = {"child": "contact", "field": "retired", "function": "max"}
    problems = check(api_name="latest", type="rollup_summary", rollup=rollup)
    assert located(problems) == [("/fields/0/rollup/field", "unknown-field")]


def test_a_count_rollup_needs_no_child_field() -> None:
    rollup = {"child": "contact", "function": "count"}
    assert check(api_name="contacts", type="rollup_summary", rollup=rollup) == []


def test_a_rollup_with_a_return_type_that_is_not_a_value_is_refused() -> None:
    rollup = {"child": "contact", "field": "amount", "function": "sum"}
    problems = check(
        api_name="total", type="rollup_summary", rollup=rollup, return_type="multi_picklist"
    )
    assert located(problems) == [("/fields/0/return_type", "invalid-value")]


# -- sizes and ranges ----------------------------------------------------------------------


@pytest.mark.parametrize("field_type", ["decimal", "currency", "percent"])
def test_a_precision_of_18_digits_is_accepted(field_type: str) -> None:
    assert check(api_name="amount", type=field_type, precision=18, scale=4) == []


@pytest.mark.parametrize("field_type", ["decimal", "currency", "percent"])
def test_a_precision_above_18_digits_is_refused(field_type: str) -> None:
    problems = check(api_name="amount", type=field_type, precision=19)
    assert located(problems) == [("/fields/0/precision", "out-of-range")]
    assert "at most 18" in problems[0].detail


def test_a_scale_above_the_precision_is_refused() -> None:
    assert located(check(api_name="amount", type="decimal", precision=4, scale=5)) == [
        ("/fields/0/scale", "out-of-range")
    ]


def test_a_scale_above_the_default_precision_is_refused() -> None:
    # A percent is NUMERIC(7, 2) unless told otherwise.
    assert located(check(api_name="rate", type="percent", scale=8)) == [
        ("/fields/0/scale", "out-of-range")
    ]


def test_a_scale_equal_to_the_precision_is_accepted() -> None:
    assert check(api_name="ratio", type="decimal", precision=4, scale=4) == []


@pytest.mark.parametrize(
    ("field_type", "low", "high"),
    [("integer", 10, 1), ("decimal", "2.5", "2.49"), ("currency", 0, -1)],
)
def test_a_min_above_the_max_is_refused(field_type: str, low: Any, high: Any) -> None:
    problems = check(api_name="amount", type=field_type, min=low, max=high)
    assert located(problems) == [("/fields/0/min", "out-of-range")]


def test_a_min_equal_to_the_max_is_accepted() -> None:
    assert check(api_name="amount", type="integer", min=3, max=3) == []


@pytest.mark.parametrize(
    ("field_type", "bound"),
    [
        ("integer", 1.5),
        ("integer", "3"),
        ("decimal", "lots"),
        ("decimal", "NaN"),
        ("decimal", "-Infinity"),
    ],
)
def test_a_bound_that_is_not_a_number_of_the_type_is_refused(field_type: str, bound: Any) -> None:
    problems = check(api_name="amount", type=field_type, min=bound, max=100)
    assert located(problems) == [("/fields/0/min", "invalid-value")]


# -- defaults ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_type", "default"),
    [
        ("text", 5),
        ("integer", "5"),
        ("integer", 2.5),
        ("integer", True),
        ("decimal", "ten"),
        ("decimal", "NaN"),
        ("decimal", "Infinity"),
        ("boolean", "yes"),
        ("boolean", 1),
        ("date", "2025-13-01"),
        ("date", "tomorrow"),
        ("datetime", "2025-01-01 25:00"),
        ("email", ["a@example.com"]),
        ("multi_picklist", "red"),
    ],
)
def test_a_default_that_does_not_fit_the_type_is_refused(field_type: str, default: Any) -> None:
    extra = VALID_FIELDS[FieldType(field_type)]
    problems = check(api_name="thing", type=field_type, **extra, default=default)
    assert located(problems) == [("/fields/0/default", "invalid-default")]
    article = "an" if field_type[0] in "aeiou" else "a"
    assert f"does not fit {article} {field_type} field" in problems[0].detail


@pytest.mark.parametrize(
    ("field_type", "default"),
    [
        ("text", "hello"),
        ("integer", -42),
        ("decimal", "12.30"),
        ("currency", 99.5),
        ("boolean", False),
        ("date", "2025-02-28"),
        ("datetime", "2025-02-28T12:00:00+01:00"),
        ("json", {"any": ["shape"]}),
    ],
)
def test_a_default_that_fits_the_type_is_accepted(field_type: str, default: Any) -> None:
    assert check(api_name="thing", type=field_type, default=default) == []


def test_a_picklist_default_must_be_an_active_value() -> None:
    values = [{"value": "open"}, {"value": "legacy", "active": False}]
    assert check(api_name="stage", type="picklist", values=values, default="open") == []
    for default in ("legacy", "missing"):
        problems = check(api_name="stage", type="picklist", values=values, default=default)
        assert located(problems) == [("/fields/0/default", "invalid-default")]
        assert "not an active picklist value" in problems[0].detail


def test_a_multi_picklist_default_must_list_active_values_only() -> None:
    values = [{"value": "red"}, {"value": "blue"}, {"value": "grey", "active": False}]
    assert check(api_name="tags", type="multi_picklist", values=values, default=["red"]) == []
    problems = check(
        api_name="tags", type="multi_picklist", values=values, default=["red", "grey", "pink"]
    )
    assert located(problems) == [("/fields/0/default", "invalid-default")]
    assert "grey" in problems[0].detail
    assert "pink" in problems[0].detail


@pytest.mark.parametrize("field_type", ["text", "email", "phone", "url", "long_text"])
def test_a_default_longer_than_max_length_is_refused(field_type: str) -> None:
    problems = check(api_name="thing", type=field_type, max_length=3, default="abcd")
    assert located(problems) == [("/fields/0/default", "invalid-default")]
    assert "longer than max_length" in problems[0].detail


def test_a_default_longer_than_the_implicit_max_length_is_refused() -> None:
    # A phone holds 40 characters unless told otherwise.
    problems = check(api_name="phone", type="phone", default="1" * 41)
    assert located(problems) == [("/fields/0/default", "invalid-default")]


def test_a_picklist_default_longer_than_max_length_is_refused() -> None:
    values = [{"value": "abcd"}]
    problems = check(api_name="stage", type="picklist", values=values, max_length=3, default="abcd")
    assert ("/fields/0/default", "invalid-default") in located(problems)


@pytest.mark.parametrize(
    ("field_type", "default", "bound"),
    [("integer", 0, "min"), ("integer", 11, "max"), ("decimal", "10.01", "max")],
)
def test_a_default_outside_min_or_max_is_refused(field_type: str, default: Any, bound: str) -> None:
    problems = check(api_name="amount", type=field_type, min=1, max=10, default=default)
    assert located(problems) == [("/fields/0/default", "invalid-default")]
    assert f"outside {bound}" in problems[0].detail


def test_a_default_on_the_bounds_is_accepted() -> None:
    assert check(api_name="amount", type="integer", min=1, max=10, default=10) == []
    assert check(api_name="amount", type="integer", min=1, max=10, default=1) == []


def test_a_default_with_a_bound_that_is_not_a_number_reports_only_the_bound() -> None:
    problems = check(api_name="amount", type="integer", min=1.5, default=3)
    assert located(problems) == [("/fields/0/min", "invalid-value")]


@pytest.mark.parametrize(
    ("precision", "scale", "default"),
    [(5, 2, "1000"), (5, 2, "-1000"), (5, 2, "999.999"), (18, 2, "1e16")],
)
def test_a_decimal_default_too_large_for_the_column_is_refused(
    precision: int, scale: int, default: str
) -> None:
    problems = check(
        api_name="amount", type="decimal", precision=precision, scale=scale, default=default
    )
    assert located(problems) == [("/fields/0/default", "invalid-default")]
    assert f"at most {precision - scale} digits" in problems[0].detail


def test_a_decimal_default_that_fills_the_column_is_accepted() -> None:
    assert check(api_name="amount", type="decimal", precision=5, scale=2, default="999.99") == []


@pytest.mark.parametrize("default", [2**63, -(2**63) - 1])
def test_an_integer_default_beyond_64_bits_is_refused(default: int) -> None:
    problems = check(api_name="count", type="integer", default=default)
    assert located(problems) == [("/fields/0/default", "invalid-default")]
    assert "64-bit" in problems[0].detail


def test_the_largest_64_bit_integer_is_a_valid_default() -> None:
    assert check(api_name="count", type="integer", default=2**63 - 1) == []
    assert check(api_name="count", type="integer", default=-(2**63)) == []


# -- file fields ---------------------------------------------------------------------------


def test_a_file_field_spells_out_its_default_max_size_and_lowercases_accept() -> None:
    normalized = normalize_field(FieldDef(api_name="scan", type="file", accept=["Image/*"]))
    assert normalized.max_size == 10 * 1024 * 1024
    assert normalized.accept == ["image/*"]


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("required", True, "validation rule such as"),
        ("unique", True, "sha256"),
        ("indexed", True, "is_null"),
        ("default", {"name": "a.pdf"}, "no default"),
    ],
)
def test_a_file_field_refuses_what_an_upload_cannot_satisfy_and_says_why(
    option: str, value: Any, says: str
) -> None:
    problems = check(api_name="scan", type="file", **{option: value})
    assert located(problems) == [(f"/fields/0/{option}", "option-not-allowed")]
    assert says in problems[0].detail


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"max_size": 6 * 1024**3}, [("/fields/0/max_size", "out-of-range")]),
        ({"accept": []}, [("/fields/0/accept", "invalid-value")]),
        ({"accept": ["pdf"]}, [("/fields/0/accept/0", "invalid-content-type")]),
        ({"accept": ["*/*"]}, [("/fields/0/accept/0", "invalid-content-type")]),
        (
            {"accept": ["application/pdf", "image/*", "application/pdf"]},
            [("/fields/0/accept/2", "duplicate-value")],
        ),
        (
            {"accept": ["text/plain; charset=utf-8"]},
            [("/fields/0/accept/0", "invalid-content-type")],
        ),
        ({"accept": [f"image/x-{n}" for n in range(51)]}, [("/fields/0/accept", "out-of-range")]),
    ],
)
def test_file_limits_are_checked_when_the_field_is_saved(
    options: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert located(check(api_name="scan", type="file", **options)) == expected


@pytest.mark.parametrize("option", [("max_size", 1024), ("accept", ["image/*"])])
def test_file_options_do_not_apply_to_other_types(option: tuple[str, Any]) -> None:
    name, value = option
    assert located(check(api_name="title", type="text", **{name: value})) == [
        (f"/fields/0/{name}", "option-not-allowed")
    ]
