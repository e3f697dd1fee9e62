"""ISNEW, ISCHANGED and PRIORVALUE read the save from the context."""

from __future__ import annotations

from decimal import Decimal

from engine.extensions import Usage, describe_function
from plugins.functions.record_context import ISCHANGED, ISNEW, PRIORVALUE
from tests.plugins import make_context


def test_isnew() -> None:
    assert ISNEW(make_context(is_new=True)) is True
    assert ISNEW(make_context(is_new=False, prior={"a": 1})) is False


def test_ischanged_compares_prior_and_current_values() -> None:
    context = make_context(
        is_new=False,
        prior={"amount": Decimal("100.00"), "stage": "open", "note": None, "tags": ["a"]},
        current={"amount": Decimal("100"), "stage": "won", "note": "x", "tags": ["a"]},
    )
    assert ISCHANGED(context, "amount") is False
    assert ISCHANGED(context, "stage") is True
    assert ISCHANGED(context, "note") is True
    assert ISCHANGED(context, "tags") is False
    assert ISCHANGED(context, "missing") is False


def test_ischanged_sees_a_cleared_value() -> None:
    context = make_context(is_new=False, prior={"amount": 5}, current={"amount": None})
    assert ISCHANGED(context, "amount") is True


def test_nothing_is_changed_on_create() -> None:
    context = make_context(is_new=True, prior={}, current={"amount": 5})
    assert ISCHANGED(context, "amount") is False
    assert PRIORVALUE(context, "amount") is None


def test_priorvalue() -> None:
    context = make_context(is_new=False, prior={"stage": "open"}, current={"stage": "won"})
    assert PRIORVALUE(context, "stage") == "open"
    assert PRIORVALUE(context, "other") is None


def test_save_functions_are_for_validation_rules_and_conditions_only() -> None:
    for function in (ISNEW, ISCHANGED, PRIORVALUE):
        described = describe_function(function)
        assert described.usages == {Usage.VALIDATION, Usage.CONDITION}
        assert described.needs_context
    assert describe_function(ISCHANGED).field_arguments == (0,)
    assert describe_function(PRIORVALUE).field_arguments == (0,)
    assert describe_function(ISNEW).field_arguments == ()
