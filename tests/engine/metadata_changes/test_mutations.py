"""Pure metadata mutations: each returns a new state or raises with every problem found."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from uuid_utils.compat import uuid7

from engine.errors import Conflict, MetadataError, NotFound
from engine.metadata_changes import mutations
from metadata.models import (
    FieldDef,
    FieldType,
    ObjectDef,
    ObjectPatch,
    OnDelete,
    RollupFunction,
    TenantMetadata,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)


def empty_state() -> TenantMetadata:
    return TenantMetadata(tenant_id=uuid7(), schema_name="t_test", revision=1)


def with_object(state: TenantMetadata, api_name: str, *fields: dict[str, Any]) -> TenantMetadata:
    definition = ObjectDef(api_name=api_name, fields=[FieldDef(**field) for field in fields])
    new_state, _ = mutations.create_object(state, definition, now=NOW)
    return new_state


def crm() -> TenantMetadata:
    """An account with contacts (lookup) and a roll-up of their amounts."""
    state = with_object(empty_state(), "account", {"api_name": "name", "type": "text"})
    state = with_object(
        state,
        "contact",
        {"api_name": "account", "type": "lookup", "target": "account"},
        {"api_name": "amount", "type": "decimal"},
        {"api_name": "email", "type": "email", "unique": True},
    )
    state, _ = mutations.add_field(
        state,
        "account",
        FieldDef(
            api_name="contact_total",
            type="rollup_summary",
            rollup={"child": "contact", "field": "amount", "function": "sum"},
        ),
    )
    return state


def problems_of(error: pytest.ExceptionInfo[MetadataError]) -> list[tuple[str, str]]:
    return [(problem.pointer, problem.code) for problem in error.value.problems]


# -- create_object -------------------------------------------------------------------------


def test_creating_an_object_names_its_table_and_labels_after_the_api_name() -> None:
    state, obj = mutations.create_object(empty_state(), ObjectDef(api_name="opportunity"), now=NOW)
    assert (obj.api_name, obj.table_name) == ("opportunity", "opportunity")
    assert (obj.label, obj.plural_label) == ("Opportunity", "Opportunities")
    assert state.find_object("opportunity") == obj


def test_creating_an_object_normalizes_its_fields() -> None:
    _, obj = mutations.create_object(
        empty_state(),
        ObjectDef(
            api_name="invoice",
            fields=[
                FieldDef(api_name="close_date", type="date"),
                FieldDef(api_name="total", type="currency"),
                FieldDef(api_name="parent", type="lookup", target="invoice"),
            ],
        ),
        now=NOW,
    )
    close_date, total, parent = obj.fields
    assert close_date.definition.label == "Close date"
    assert close_date.column_name == "close_date"
    assert (total.definition.precision, total.definition.scale) == (18, 2)
    assert parent.definition.on_delete is OnDelete.SET_NULL
    assert len({field.id for field in obj.fields}) == 3


def test_creating_an_object_reports_every_problem_of_every_field_at_once() -> None:
    state = empty_state()
    definition = ObjectDef(
        api_name="deal",
        fields=[
            FieldDef(api_name="select", type="text"),
            FieldDef(api_name="count", type="integer", max_length=10),
            FieldDef(api_name="stage", type="picklist"),
            FieldDef(api_name="company", type="lookup", target="company"),
            FieldDef(api_name="ok", type="text"),
            FieldDef(api_name="score", type="decimal", precision=30, default="x"),
        ],
    )
    with pytest.raises(MetadataError) as error:
        mutations.create_object(state, definition, now=NOW)
    assert sorted(problems_of(error)) == [
        ("/fields/0/api_name", "reserved-name"),
        ("/fields/1/max_length", "option-not-allowed"),
        ("/fields/2/values", "missing-option"),
        ("/fields/3/target", "unknown-object"),
        ("/fields/5/default", "invalid-default"),
        ("/fields/5/precision", "out-of-range"),
    ]
    assert "'deal'" in error.value.detail
    assert state.objects == ()


def test_creating_an_object_reports_a_bad_object_name_with_its_fields_problems() -> None:
    definition = ObjectDef(api_name="Deal", fields=[FieldDef(api_name="id", type="text")])
    with pytest.raises(MetadataError) as error:
        mutations.create_object(empty_state(), definition, now=NOW)
    assert problems_of(error) == [
        ("/api_name", "invalid-name"),
        ("/fields/0/api_name", "reserved-name"),
    ]


def test_creating_an_object_with_a_field_declared_twice_is_refused() -> None:
    definition = ObjectDef(
        api_name="deal",
        fields=[
            FieldDef(api_name="amount", type="decimal"),
            FieldDef(api_name="name", type="text"),
            FieldDef(api_name="amount", type="integer"),
        ],
    )
    with pytest.raises(MetadataError) as error:
        mutations.create_object(empty_state(), definition, now=NOW)
    assert problems_of(error) == [("/fields/2/api_name", "name-taken")]
    assert "declared twice" in error.value.problems[0].detail


def test_creating_an_object_whose_name_is_taken_is_refused() -> None:
    state = with_object(empty_state(), "account")
    with pytest.raises(MetadataError) as error:
        mutations.create_object(state, ObjectDef(api_name="account"), now=NOW)
    assert problems_of(error) == [("/api_name", "name-taken")]


def test_the_name_of_a_deleted_object_can_be_used_again() -> None:
    state, deleted = mutations.delete_object(
        with_object(empty_state(), "account"), "account", now=NOW
    )
    state, again = mutations.create_object(state, ObjectDef(api_name="account"), now=LATER)
    assert again.id != deleted.id
    assert again.table_name == "account"
    assert state.find_object("account") == again


# -- update_object -------------------------------------------------------------------------


def test_renaming_an_object_renames_its_table_and_keeps_its_id() -> None:
    before = crm()
    contact = before.find_object("contact")
    assert contact is not None
    state, obj = mutations.update_object(before, "contact", ObjectPatch(api_name="person"))
    assert (obj.id, obj.api_name, obj.table_name) == (contact.id, "person", "person")
    assert state.find_object("contact") is None


def test_renaming_an_object_retargets_the_lookups_of_other_objects() -> None:
    state, _ = mutations.update_object(crm(), "account", ObjectPatch(api_name="company"))
    contact = state.find_object("contact")
    assert contact is not None
    account_field = contact.find_field("account")
    assert account_field is not None
    assert account_field.definition.target == "company"


def test_renaming_an_object_retargets_the_rollups_of_its_parent() -> None:
    state, _ = mutations.update_object(crm(), "contact", ObjectPatch(api_name="person"))
    account = state.find_object("account")
    assert account is not None
    total = account.find_field("contact_total")
    assert total is not None
    assert total.definition.rollup is not None
    assert total.definition.rollup.child == "person"


def test_renaming_an_object_to_a_taken_name_is_refused() -> None:
    with pytest.raises(MetadataError) as error:
        mutations.update_object(crm(), "contact", ObjectPatch(api_name="account"))
    assert problems_of(error) == [("/api_name", "name-taken")]


def test_renaming_an_object_to_a_reserved_word_is_refused() -> None:
    with pytest.raises(MetadataError) as error:
        mutations.update_object(crm(), "contact", ObjectPatch(api_name="user"))
    assert problems_of(error) == [("/api_name", "reserved-name")]


def test_an_object_label_cannot_be_emptied() -> None:
    with pytest.raises(MetadataError) as error:
        mutations.update_object(crm(), "contact", ObjectPatch(label=""))
    assert problems_of(error) == [("/label", "missing-option")]


def test_relabelling_an_object_keeps_its_table() -> None:
    _, obj = mutations.update_object(crm(), "contact", ObjectPatch(label="Person"))
    assert (obj.api_name, obj.table_name, obj.label) == ("contact", "contact", "Person")


# -- add_field and update_field ------------------------------------------------------------


def test_adding_a_field_whose_name_is_taken_is_refused() -> None:
    with pytest.raises(MetadataError) as error:
        mutations.add_field(crm(), "contact", FieldDef(api_name="amount", type="integer"))
    assert problems_of(error) == [("/api_name", "name-taken")]


def test_adding_a_field_to_an_unknown_object_is_not_found() -> None:
    with pytest.raises(NotFound):
        mutations.add_field(crm(), "invoice", FieldDef(api_name="amount", type="integer"))


def test_changing_a_field_type_drops_the_options_that_do_not_fit() -> None:
    state = with_object(
        empty_state(),
        "deal",
        {
            "api_name": "stage",
            "type": "picklist",
            "values": [{"value": "open"}, {"value": "won"}],
            "max_length": 20,
            "indexed": True,
            "help_text": "Where the deal is",
        },
    )
    _, field = mutations.update_field(state, "deal", "stage", {"type": "text"})
    definition = field.definition
    assert definition.type is FieldType.TEXT
    assert definition.values is None
    assert definition.max_length == 255
    assert definition.indexed is True
    assert definition.help_text == "Where the deal is"


def test_changing_a_number_to_text_drops_its_range() -> None:
    state = with_object(
        empty_state(), "deal", {"api_name": "score", "type": "integer", "min": 0, "max": 10}
    )
    _, field = mutations.update_field(state, "deal", "score", {"type": "text"})
    assert (field.definition.min, field.definition.max) == (None, None)


def test_changing_a_lookup_to_text_drops_its_target_and_delete_rule() -> None:
    _, field = mutations.update_field(crm(), "contact", "account", {"type": "text"})
    assert (field.definition.target, field.definition.on_delete) == (None, None)


def test_changing_a_decimal_type_resets_its_implicit_sizes() -> None:
    state = with_object(empty_state(), "deal", {"api_name": "rate", "type": "decimal"})
    _, field = mutations.update_field(state, "deal", "rate", {"type": "percent"})
    assert (field.definition.precision, field.definition.scale) == (7, 2)


def test_an_option_the_patch_sets_is_kept_and_checked_against_the_new_type() -> None:
    with pytest.raises(MetadataError) as error:
        mutations.update_field(crm(), "contact", "email", {"type": "integer", "max_length": 10})
    assert problems_of(error) == [("/max_length", "option-not-allowed")]


def test_changing_a_lookup_to_a_master_detail_makes_it_cascade() -> None:
    _, field = mutations.update_field(crm(), "contact", "account", {"type": "master_detail"})
    assert field.definition.on_delete is OnDelete.CASCADE
    assert field.definition.required is True


def test_changing_a_lookup_to_a_master_detail_that_restricts_is_refused() -> None:
    with pytest.raises(MetadataError) as error:
        mutations.update_field(
            crm(), "contact", "account", {"type": "master_detail", "on_delete": "restrict"}
        )
    assert problems_of(error) == [("/on_delete", "conflicting-options")]


def test_a_patch_value_of_the_wrong_shape_is_reported_at_its_option() -> None:
    with pytest.raises(MetadataError) as error:
        mutations.update_field(crm(), "contact", "email", {"max_length": 0})
    assert problems_of(error) == [("/max_length", "out-of-range")]


def test_renaming_a_field_renames_its_column_and_keeps_its_id() -> None:
    before = crm()
    _, field = mutations.update_field(before, "contact", "email", {"api_name": "work_email"})
    contact = before.find_object("contact")
    assert contact is not None
    old = contact.find_field("email")
    assert old is not None
    assert field.id == old.id
    assert (field.api_name, field.column_name) == ("work_email", "work_email")


def test_renaming_a_field_to_a_taken_name_is_refused() -> None:
    with pytest.raises(MetadataError) as error:
        mutations.update_field(crm(), "contact", "email", {"api_name": "amount"})
    assert problems_of(error) == [("/api_name", "name-taken")]


def test_renaming_a_field_retargets_the_rollups_that_aggregate_it() -> None:
    state, _ = mutations.update_field(crm(), "contact", "amount", {"api_name": "value"})
    account = state.find_object("account")
    assert account is not None
    total = account.find_field("contact_total")
    assert total is not None
    assert total.definition.rollup is not None
    assert (total.definition.rollup.field, total.definition.rollup.function) == (
        "value",
        RollupFunction.SUM,
    )


def test_updating_an_unknown_field_is_not_found() -> None:
    with pytest.raises(NotFound):
        mutations.update_field(crm(), "contact", "phone", {"label": "Phone"})


# -- delete, restore and purge objects -----------------------------------------------------


def test_deleting_an_object_used_by_another_object_s_lookup_is_a_conflict() -> None:
    state = with_object(empty_state(), "account")
    state = with_object(
        state, "contact", {"api_name": "account", "type": "lookup", "target": "account"}
    )
    with pytest.raises(Conflict) as error:
        mutations.delete_object(state, "account", now=NOW)
    assert error.value.extra["dependents"] == ["contact.account"]
    assert "contact.account" in error.value.detail


def test_deleting_an_object_used_by_another_object_s_rollup_is_a_conflict() -> None:
    with pytest.raises(Conflict) as error:
        mutations.delete_object(crm(), "contact", now=NOW)
    assert error.value.extra["dependents"] == ["account.contact_total"]


def test_deleting_an_object_lists_every_dependent() -> None:
    with pytest.raises(Conflict) as error:
        mutations.delete_object(crm(), "account", now=NOW)
    assert error.value.extra["dependents"] == ["contact.account"]
    state, _ = mutations.add_field(
        crm(),
        "account",
        FieldDef(
            api_name="contact_count",
            type="rollup_summary",
            rollup={"child": "contact", "function": "count"},
        ),
    )
    with pytest.raises(Conflict) as error:
        mutations.delete_object(state, "contact", now=NOW)
    assert error.value.extra["dependents"] == ["account.contact_total", "account.contact_count"]


def test_an_object_that_only_looks_up_to_itself_can_be_deleted() -> None:
    state = with_object(
        empty_state(), "account", {"api_name": "parent", "type": "lookup", "target": "account"}
    )
    state, deleted = mutations.delete_object(state, "account", now=NOW)
    assert deleted.is_deleted


def test_deleting_an_object_renames_its_table_aside() -> None:
    state = with_object(empty_state(), "account")
    state, deleted = mutations.delete_object(state, "account", now=NOW)
    assert deleted.deleted_at == NOW
    assert deleted.table_name.startswith("_deleted_account_")
    assert state.find_object("account") is None
    assert state.find_object("account", include_deleted=True) == deleted


def test_a_deleted_object_can_be_restored_with_its_table_name() -> None:
    state = with_object(empty_state(), "account", {"api_name": "name", "type": "text"})
    state, deleted = mutations.delete_object(state, "account", now=NOW)
    state, restored = mutations.restore_object(state, str(deleted.id))
    assert restored.id == deleted.id
    assert (restored.table_name, restored.deleted_at) == ("account", None)
    assert state.find_object("account") == restored


def test_restoring_an_object_whose_name_was_reused_is_a_conflict() -> None:
    state = with_object(empty_state(), "account")
    state, _ = mutations.delete_object(state, "account", now=NOW)
    state = with_object(state, "account")
    with pytest.raises(Conflict):
        mutations.restore_object(state, "account")


def test_purging_a_live_object_is_not_found() -> None:
    with pytest.raises(NotFound):
        mutations.purge_object(crm(), "account")


def test_purging_a_deleted_object_removes_it() -> None:
    state = with_object(empty_state(), "account")
    state, deleted = mutations.delete_object(state, "account", now=NOW)
    state, purged = mutations.purge_object(state, "account")
    assert purged.id == deleted.id
    assert state.objects == ()


# -- delete, restore and purge fields ------------------------------------------------------


def test_deleting_a_field_renames_its_column_aside() -> None:
    state, deleted = mutations.delete_field(crm(), "contact", "email", now=NOW)
    assert deleted.deleted_at == NOW
    assert deleted.column_name.startswith("_deleted_email_")
    contact = state.find_object("contact")
    assert contact is not None
    assert contact.find_field("email") is None
    assert [field.api_name for field in contact.live_fields] == ["account", "amount"]


def test_deleting_a_field_a_rollup_aggregates_is_a_conflict() -> None:
    with pytest.raises(Conflict) as error:
        mutations.delete_field(crm(), "contact", "amount", now=NOW)
    assert error.value.extra["dependents"] == ["roll-up account.contact_total"]


def test_a_deleted_field_can_be_restored_with_its_column_name() -> None:
    state, deleted = mutations.delete_field(crm(), "contact", "email", now=NOW)
    state, restored = mutations.restore_field(state, "contact", "email")
    assert restored.id == deleted.id
    assert (restored.column_name, restored.deleted_at) == ("email", None)
    assert restored.definition.unique is True


def test_a_deleted_field_can_be_restored_by_its_id() -> None:
    state, deleted = mutations.delete_field(crm(), "contact", "email", now=NOW)
    _, restored = mutations.restore_field(state, "contact", str(deleted.id))
    assert restored.column_name == "email"


def test_restoring_a_field_whose_name_was_reused_is_a_conflict() -> None:
    state, _ = mutations.delete_field(crm(), "contact", "email", now=NOW)
    state, _ = mutations.add_field(state, "contact", FieldDef(api_name="email", type="text"))
    with pytest.raises(Conflict) as error:
        mutations.restore_field(state, "contact", "email")
    assert "rename it" in error.value.detail


def test_restoring_a_live_field_is_not_found() -> None:
    with pytest.raises(NotFound):
        mutations.restore_field(crm(), "contact", "email")


def test_purging_a_live_field_is_not_found() -> None:
    with pytest.raises(NotFound):
        mutations.purge_field(crm(), "contact", "email")


def test_purging_a_deleted_field_removes_it() -> None:
    state, deleted = mutations.delete_field(crm(), "contact", "email", now=NOW)
    state, purged = mutations.purge_field(state, "contact", "email")
    assert purged.id == deleted.id
    contact = state.find_object("contact")
    assert contact is not None
    assert contact.find_field("email", include_deleted=True) is None


def test_two_fields_deleted_under_the_same_name_keep_distinct_columns() -> None:
    state, first = mutations.delete_field(crm(), "contact", "email", now=NOW)
    state, _ = mutations.add_field(state, "contact", FieldDef(api_name="email", type="email"))
    _, second = mutations.delete_field(state, "contact", "email", now=LATER)
    assert first.column_name != second.column_name
