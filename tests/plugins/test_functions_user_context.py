"""CURRENT_USER and CURRENT_TENANT; the volatile functions stay out of stored formulas."""

from __future__ import annotations

from engine.extensions import Usage, describe_function
from plugins.functions.dates import NOW, TODAY
from plugins.functions.user_context import CURRENT_TENANT, CURRENT_USER
from tests.plugins import make_context


def test_current_user_and_tenant_read_the_context() -> None:
    context = make_context()
    assert CURRENT_USER(context) == "01a204d9-0c1e-7f3a-9d2b-6f0e5a1c2b3d"
    assert CURRENT_TENANT(context) == "demo"


def test_unknown_user_and_tenant_are_blank() -> None:
    context = make_context(user=None, tenant=None)
    assert CURRENT_USER(context) is None
    assert CURRENT_TENANT(context) is None


def test_volatile_functions_are_not_allowed_in_stored_formulas() -> None:
    for function in (TODAY, NOW, CURRENT_USER, CURRENT_TENANT):
        described = describe_function(function)
        assert Usage.FORMULA not in described.usages
        assert described.usages == {Usage.DEFAULT, Usage.VALIDATION, Usage.CONDITION}
