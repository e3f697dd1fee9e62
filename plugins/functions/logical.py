"""Logical functions: conditions, choices and blanks."""

from __future__ import annotations

from typing import Any

from engine.extensions import Kind, describe_value, library_function

CATEGORY = "Logical"


def _condition(value: Any, function: str) -> bool:
    """A condition's truth: blank is false, anything but true/false is a mistake."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise TypeError(f"{function} takes a condition (true/false), not {describe_value(value)}")


def _same(left: Any, right: Any) -> bool:
    # True == 1 in Python; a condition must not match the number 1.
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


def is_blank(value: Any) -> bool:
    """Whether `value` is blank: None, text of only spaces, or an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple) and not value


@library_function(
    category=CATEGORY,
    returns=Kind.ANY,
    examples=[
        ("IF(amount > 1000, 'large', 'small')", "large", {"amount": 5000}),
        ("IF(is_vip, 10, 0)", 10, {"is_vip": True}),
        ("IF(is_vip, 10, 0)", 0, {"is_vip": None}),
    ],
)
def IF(condition: Any, when_true: Any, when_false: Any) -> Any:
    """`when_true` when the condition holds, otherwise `when_false`.

    A blank condition counts as false.
    """
    return when_true if _condition(condition, "IF") else when_false


@library_function(
    category=CATEGORY,
    returns=Kind.ANY,
    examples=[
        ("CASE(stage, 'won', 1, 'lost', 0, -1)", 1, {"stage": "won"}),
        ("CASE(stage, 'won', 1, 'lost', 0, -1)", -1, {"stage": "open"}),
        ("CASE(stage, 'won', 1, 'lost', 0)", None, {"stage": "open"}),
        ("CASE(stage, None, 'no stage', 'staged')", "no stage", {"stage": None}),
    ],
)
def CASE(value: Any, match: Any, result: Any, *more: Any) -> Any:
    """The result paired with the first match equal to `value`.

    Arguments after `value` come in pairs (match, result); a last unpaired argument is
    the result when nothing matches, otherwise the result is blank. A blank value
    matches a blank (None) match.
    """
    rest = (match, result, *more)
    for position in range(0, len(rest) - 1, 2):
        if _same(value, rest[position]):
            return rest[position + 1]
    return rest[-1] if len(rest) % 2 else None


@library_function(
    category=CATEGORY,
    returns=Kind.BOOLEAN,
    examples=[
        ("AND(amount > 0, stage == 'won')", True, {"amount": 10, "stage": "won"}),
        ("AND(True, False, True)", False),
        ("AND(approved, True)", False, {"approved": None}),
    ],
)
def AND(condition: Any, *conditions: Any) -> bool:
    """Whether every condition holds.

    Blank conditions count as false.
    """
    # A list, not a generator: every argument is checked, even after a false one.
    return all([_condition(item, "AND") for item in (condition, *conditions)])


@library_function(
    category=CATEGORY,
    returns=Kind.BOOLEAN,
    examples=[
        ("OR(stage == 'won', stage == 'lost')", True, {"stage": "lost"}),
        ("OR(False, False)", False),
        ("OR(approved, False)", False, {"approved": None}),
    ],
)
def OR(condition: Any, *conditions: Any) -> bool:
    """Whether at least one condition holds.

    Blank conditions count as false.
    """
    # A list, not a generator: every argument is checked, even after a true one.
    return any([_condition(item, "OR") for item in (condition, *conditions)])


@library_function(
    category=CATEGORY,
    returns=Kind.BOOLEAN,
    examples=[
        ("NOT(closed)", False, {"closed": True}),
        ("NOT(closed)", True, {"closed": None}),
    ],
)
def NOT(condition: Any) -> bool:
    """The opposite of the condition.

    A blank condition counts as false, so NOT of a blank is true.
    """
    return not _condition(condition, "NOT")


@library_function(
    category=CATEGORY,
    returns=Kind.BOOLEAN,
    examples=[
        ("ISBLANK(phone)", True, {"phone": None}),
        ("ISBLANK(phone)", True, {"phone": "   "}),
        ("ISBLANK(tags)", True, {"tags": []}),
        ("ISBLANK(amount)", False, {"amount": 0}),
    ],
)
def ISBLANK(value: Any) -> bool:
    """Whether the value is blank.

    Blank means no value, text of only spaces, or a multi-picklist with nothing
    selected; 0 and false are not blank.
    """
    return is_blank(value)


@library_function(
    category=CATEGORY,
    returns=Kind.ANY,
    examples=[
        ("BLANKVALUE(nickname, name)", "Ada", {"nickname": " ", "name": "Ada"}),
        ("BLANKVALUE(nickname, name)", "Addie", {"nickname": "Addie", "name": "Ada"}),
        ("BLANKVALUE(discount, 0)", 0, {"discount": None}),
    ],
)
def BLANKVALUE(value: Any, substitute: Any) -> Any:
    """The value, or `substitute` when the value is blank (as ISBLANK tells).

    Text of only spaces and empty lists count as blank, like no value.
    """
    return substitute if is_blank(value) else value


@library_function(
    category=CATEGORY,
    returns=Kind.ANY,
    examples=[
        ("NULLVALUE(discount, 0)", 0, {"discount": None}),
        ("NULLVALUE(nickname, name)", "", {"nickname": "", "name": "Ada"}),
    ],
)
def NULLVALUE(value: Any, substitute: Any) -> Any:
    """The value, or `substitute` when the value is missing (None).

    Unlike BLANKVALUE, empty text and empty lists are kept.
    """
    return substitute if value is None else value
