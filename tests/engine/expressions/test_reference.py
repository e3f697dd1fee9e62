"""The compiled evaluator agrees with asteval's interpreter, except where it differs on purpose.

asteval walks the same expression tree with plain Python semantics, given the same
library functions and record values. On records without blanks, every expression of the
corpus (and every generated one) must give the same value of the same type both ways.
Where Tessera's semantics differ on purpose (exact division, blanks, decimal literals,
date arithmetic), a test per rule states the difference.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import asteval
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.expressions import (
    CONTEXT_NAME,
    EvaluationContext,
    EvaluationError,
    ExpressionCompiler,
    path_key,
)
from engine.extensions import load_extensions

NOW = datetime(2026, 3, 15, 10, 30, tzinfo=UTC)
REGISTRY = load_extensions()
COMPILER = ExpressionCompiler(REGISTRY.functions)

# Records without blanks: where a value is missing, Tessera and Python differ on purpose.
RECORDS: dict[str, dict[str, Any]] = {
    "won-deal": {
        "amount": Decimal("1250.50"),
        "quantity": 3,
        "discount": Decimal("0.15"),
        "stage": "won",
        "name": "Acme Ltd",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "code": "AB-1234",
        "close_date": date(2026, 3, 15),
        "created_at": datetime(2026, 1, 31, 9, 45, tzinfo=UTC),
        "is_vip": True,
        "tags": ["vip", "emea"],
        "account": SimpleNamespace(industry="pharma", region="emea"),
    },
    "lost-deal": {
        "amount": Decimal("-80.25"),
        "quantity": 1,
        "discount": Decimal("0"),
        "stage": "lost",
        "name": "globex",
        "first_name": "Grace",
        "last_name": "Hopper",
        "code": "CD-0042",
        "close_date": date(2024, 2, 29),
        "created_at": datetime(2023, 12, 31, 23, 59, tzinfo=UTC),
        "is_vip": False,
        "tags": ["smb"],
        "account": SimpleNamespace(industry="retail", region="amer"),
    },
    "open-deal": {
        "amount": Decimal("0.10"),
        "quantity": 12,
        "discount": Decimal("0.5"),
        "stage": "open",
        "name": "  Initech  ",
        "first_name": "Alan",
        "last_name": "Turing",
        "code": "ZZ-9000",
        "close_date": date(2025, 12, 31),
        "created_at": datetime(2025, 6, 1, 12, 0, tzinfo=UTC),
        "is_vip": False,
        "tags": ["emea", "smb"],
        "account": SimpleNamespace(industry="energy", region="apac"),
    },
}

# Every expression below is evaluated on every record, by both evaluators. None uses `/`
# on two whole numbers, `%` on a decimal or a decimal literal: those differ on purpose
# (tests further down).
CORPUS = [
    # arithmetic on whole numbers and decimals
    "amount + 1",
    "amount - quantity",
    "amount * quantity",
    "quantity * 7 - 3",
    "(amount + 10) * discount",
    "amount * (1 - discount)",
    "-amount",
    "+quantity",
    "-(quantity - 20)",
    "10 - 4 - 3",
    "2 + 3 * 4",
    "(2 + 3) * 4",
    "1 - -1",
    "quantity % 5",
    "ROUND(amount) % 7",
    "-7 % 3",
    "7 % -3",
    "quantity * quantity * quantity",
    "amount / 4",
    "amount / quantity",
    "True + 1",
    # comparisons and chains
    "amount > 1000",
    "amount >= 0",
    "quantity <= 3",
    "quantity < 3",
    "amount == 1250",
    "stage == 'won'",
    "stage != 'lost'",
    "0 < quantity < 10",
    "0 <= discount <= 1 < quantity",
    "amount > quantity > 2",
    "1 < 2 == True",
    "name < 'M'",
    "close_date < DATE(2026, 1, 1)",
    "close_date >= DATE(2025, 12, 31)",
    "created_at < DATETIME(2026, 2, 1)",
    # and / or / not
    "is_vip and amount > 1000",
    "is_vip or quantity > 10",
    "not is_vip",
    "not (amount < 0)",
    "stage == 'won' and not is_vip or quantity > 5",
    "amount > 0 and quantity > 0 and stage == 'won'",
    "quantity and stage",
    "is_vip or stage",
    # conditional expressions
    "'big' if amount > 1000 else 'small'",
    "quantity * 2 if is_vip else quantity",
    "amount if amount > 0 else -amount",
    "1 if stage == 'won' else 0 if stage == 'lost' else -1",
    # in / not in
    "stage in ['won', 'lost']",
    "stage not in ['won', 'lost']",
    "quantity in [1, 2, 3]",
    "'vip' in tags",
    "'smb' not in tags",
    "account.industry in ('pharma', 'retail')",
    # text
    "first_name + ' ' + last_name",
    "name + ' (' + stage + ')'",
    "CONCAT(first_name, ' ', last_name)",
    "CONCAT('INV-', quantity, '-', amount)",
    "LEN(name)",
    "LEN(first_name + last_name)",
    "UPPER(name)",
    "LOWER(stage)",
    "TRIM(name)",
    "LEFT(code, 2)",
    "RIGHT(code, 4)",
    "MID(code, 4, 4)",
    "SUBSTITUTE(code, '-', '/')",
    "CONTAINS(name, 'Ltd')",
    "BEGINS(code, 'AB')",
    "ENDS(last_name, 'er')",
    "LPAD(TEXT(quantity), 5, '0')",
    "TEXT(amount)",
    "VALUE(RIGHT(code, 4)) + 1",
    "REGEX(code, '[A-Z]{2}-[0-9]{4}')",
    "UPPER(account.region)",
    "account.industry == 'pharma'",
    # logical functions
    "IF(amount > 1000, 'large', 'small')",
    "IF(is_vip, amount * discount, 0)",
    "CASE(stage, 'won', 1, 'lost', 0, -1)",
    "AND(is_vip, quantity > 1)",
    "OR(stage == 'lost', amount < 0)",
    "NOT(is_vip)",
    "ISBLANK(name)",
    "BLANKVALUE(code, 'none')",
    # maths
    "ROUND(amount * discount, 2)",
    "ROUND(amount, -2)",
    "ROUND(amount)",
    "ROUND(amount / quantity, 2)",
    "FLOOR(amount / 7)",
    "CEILING(amount * discount)",
    "ABS(amount - 2000)",
    "MIN(amount, quantity, 100)",
    "MAX(amount, quantity)",
    "MOD(quantity, 5)",
    "POWER(quantity, 3)",
    "SQRT(quantity * quantity)",
    # dates
    "YEAR(close_date)",
    "MONTH(close_date) + DAY(close_date)",
    "WEEKDAY(close_date)",
    "DATEDIFF(close_date, DATE(2026, 12, 31))",
    "DATEDIFF(created_at, close_date, 'week')",
    "DATEDIFF(DATE(2020, 1, 1), close_date, 'year')",
    "ADDDAYS(close_date, quantity)",
    "ADDMONTHS(close_date, 1)",
    "ADDDAYS(close_date, 30) > DATE(2026, 1, 1)",
    "TEXT(ADDMONTHS(close_date, -1))",
    "TODAY() > close_date",
    "DATEDIFF(close_date, TODAY())",
]


def _context() -> EvaluationContext:
    context = EvaluationContext(now=NOW, user="01a204d9-0c1e-7f3a-9d2b-6f0e5a1c2b3d", tenant="demo")
    context.start_clock(5.0)
    return context


def _path_value(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value = record[path[0]]
    for name in path[1:]:
        value = getattr(value, name)
    return value


def compiled(source: str, record: dict[str, Any]) -> Any:
    """`source` evaluated by Tessera's compiled evaluator on `record`."""
    expression = COMPILER.compile(source)
    scope: dict[str, Any] = {name: record.get(name) for name in expression.fields}
    for path in expression.paths:
        scope[path_key(path)] = _path_value(record, path)
    scope[CONTEXT_NAME] = _context()
    return expression.evaluate(scope)


def reference(source: str, record: dict[str, Any]) -> Any:
    """`source` evaluated by asteval's interpreter, with the same functions and values."""
    interpreter = asteval.Interpreter(minimal=True, with_ifexp=True, use_numpy=False)
    context = _context()
    for name, function in REGISTRY.functions.items():
        implementation = function.implementation
        if function.needs_context:
            implementation = functools.partial(implementation, context)
        interpreter.symtable[name] = implementation
    interpreter.symtable.update(record)
    return interpreter.eval(source, show_errors=False, raise_errors=True)


def test_the_corpus_holds_at_least_sixty_expressions() -> None:
    assert len(CORPUS) >= 60
    assert len(set(CORPUS)) == len(CORPUS)


@pytest.mark.parametrize("record_name", sorted(RECORDS))
@pytest.mark.parametrize("source", CORPUS)
def test_compiled_evaluation_agrees_with_the_reference(source: str, record_name: str) -> None:
    record = RECORDS[record_name]
    expected = reference(source, record)
    actual = compiled(source, record)
    assert actual == expected
    assert type(actual) is type(expected)


# -- generated expressions ------------------------------------------------------------------

NUMBER_FIELDS = ["amount", "quantity", "discount"]
NUMBERS = st.one_of(
    st.sampled_from(NUMBER_FIELDS),
    st.integers(min_value=-50, max_value=50).map(str),
)
COMPARATORS = ["<", "<=", ">", ">=", "==", "!="]


def _fill(template: str) -> Any:
    """Fill `template`'s `{}` slots with a drawn tuple."""
    return lambda parts: template.format(*parts)


def _conditions(numbers: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    simple = st.one_of(
        st.sampled_from(["is_vip", "True", "False", "stage == 'won'"]),
        st.tuples(numbers, st.sampled_from(COMPARATORS), numbers).map(_fill("({} {} {})")),
        st.tuples(
            numbers, st.sampled_from(COMPARATORS), numbers, st.sampled_from(COMPARATORS), numbers
        ).map(_fill("({} {} {} {} {})")),
    )
    return st.one_of(
        simple,
        simple.map("(not {})".format),
        st.tuples(simple, st.sampled_from(["and", "or"]), simple).map(_fill("({} {} {})")),
    )


def _extend(numbers: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    conditions = _conditions(numbers)
    return st.one_of(
        st.tuples(numbers, st.sampled_from(["+", "-", "*"]), numbers).map(_fill("({} {} {})")),
        # Whole numbers by a literal divisor that is not zero: modulo zero gives blank, and
        # the remainder of a decimal takes the divisor's sign (as MOD), both on purpose.
        st.tuples(numbers, st.sampled_from([-7, -2, 3, 5])).map(_fill("(ROUND({}) % {})")),
        numbers.map("(-{})".format),
        st.tuples(conditions, numbers, numbers).map(lambda t: f"({t[1]} if {t[0]} else {t[2]})"),
        st.tuples(conditions, numbers, numbers).map(_fill("IF({}, {}, {})")),
        st.tuples(numbers, numbers).map(_fill("MAX({}, {})")),
        st.tuples(numbers, numbers).map(_fill("MIN({}, {})")),
        numbers.map("ABS({})".format),
        st.tuples(numbers, st.integers(min_value=-2, max_value=3)).map(_fill("ROUND({}, {})")),
    )


GENERATED_NUMBERS = st.recursive(NUMBERS, _extend, max_leaves=12)
GENERATED = st.one_of(GENERATED_NUMBERS, _conditions(GENERATED_NUMBERS))


def _outcome(evaluate: Any, source: str, record: dict[str, Any]) -> tuple[str, Any]:
    try:
        value = evaluate(source, record)
    except Exception:
        return ("fails", None)
    return ("gives", (type(value), value))


@settings(max_examples=400, deadline=None, database=None)
@given(source=GENERATED, record_name=st.sampled_from(sorted(RECORDS)))
def test_generated_expressions_agree_with_the_reference(source: str, record_name: str) -> None:
    record = RECORDS[record_name]
    assert _outcome(compiled, source, record) == _outcome(reference, source, record), source


# -- where Tessera differs from plain Python on purpose --------------------------------------

BLANK_RECORD: dict[str, Any] = {
    "amount": None,
    "quantity": 3,
    "name": None,
    "close_date": None,
}


def test_division_gives_an_exact_decimal_where_python_gives_a_float() -> None:
    assert compiled("7 / 2", {}) == Decimal("3.5")
    assert type(compiled("7 / 2", {})) is Decimal
    assert compiled("1 / 3", {}) == Decimal(1) / Decimal(3)
    assert compiled("1 / 3 * 3", {}) == Decimal("0.9999999999999999999999999999")
    assert type(reference("7 / 2", {})) is float


@pytest.mark.parametrize(
    "source",
    ["amount + 1", "amount - 1", "amount * 2", "amount / 2", "amount % 2", "-amount", "name + 'x'"],
)
def test_a_blank_operand_gives_blank_where_python_fails(source: str) -> None:
    assert compiled(source, BLANK_RECORD) is None
    with pytest.raises(TypeError):
        reference(source, BLANK_RECORD)


@pytest.mark.parametrize(
    "source", ["amount < 1", "amount <= 1", "amount > 1", "amount >= 1", "1 < amount < 10"]
)
def test_an_ordering_comparison_with_blank_is_false_where_python_fails(source: str) -> None:
    assert compiled(source, BLANK_RECORD) is False
    assert compiled(f"not ({source})", BLANK_RECORD) is True
    with pytest.raises(TypeError):
        reference(source, BLANK_RECORD)


def test_equality_with_blank_tests_for_blank_as_in_python() -> None:
    assert compiled("amount == None", BLANK_RECORD) is True
    assert compiled("quantity == None", BLANK_RECORD) is False
    assert reference("amount == None", BLANK_RECORD) is True


@pytest.mark.parametrize("source", ["quantity / 0", "quantity % 0", "amount / (quantity - 3)"])
def test_dividing_by_zero_gives_blank_where_python_fails(source: str) -> None:
    record = {**BLANK_RECORD, "amount": Decimal("12.50")}
    assert compiled(source, record) is None
    with pytest.raises(ArithmeticError):
        reference(source, record)


def test_a_decimal_literal_is_exact_where_python_makes_it_a_binary_float() -> None:
    assert compiled("0.1 + 0.2 == 0.3", {}) is True
    assert reference("0.1 + 0.2 == 0.3", {}) is False
    assert compiled("0.1 * 3", {}) == Decimal("0.3")
    assert type(compiled("2.50", {})) is Decimal
    assert compiled("TEXT(2.50)", {}) == "2.50"
    assert compiled("amount == 0.1", RECORDS["open-deal"]) is True
    assert reference("amount == 0.1", RECORDS["open-deal"]) is False


def test_adding_a_number_to_a_date_adds_days_where_python_fails() -> None:
    record = {"close_date": date(2026, 2, 27)}
    assert compiled("close_date + 2", record) == date(2026, 3, 1)
    assert compiled("30 + close_date", record) == date(2026, 3, 29)
    assert compiled("close_date - 27", record) == date(2026, 1, 31)
    with pytest.raises(TypeError):
        reference("close_date + 2", record)


def test_a_date_minus_a_date_is_a_number_of_days_where_python_gives_a_timedelta() -> None:
    record = {"close_date": date(2026, 3, 15)}
    assert compiled("close_date - DATE(2026, 1, 1)", record) == 73
    assert type(compiled("close_date - DATE(2026, 1, 1)", record)) is int
    assert reference("close_date - DATE(2026, 1, 1)", record) == timedelta(days=73)


def test_text_times_a_number_is_refused_where_python_repeats_the_text() -> None:
    assert reference("'ab' * 3", {}) == "ababab"
    with pytest.raises(EvaluationError, match="expected a number, got text"):
        compiled("'ab' * 3", {})


def test_the_remainder_of_equal_numbers_does_not_depend_on_how_they_are_written() -> None:
    # -7 and -7.0 are the same number; MOD and the whole-number % take the divisor's sign.
    assert compiled("-7 % 3", {}) == 2
    assert compiled("MOD(-7.0, 3)", {}) == 2
    assert compiled("-7.0 % 3", {}) == 2
    assert compiled("amount % 7", {"amount": Decimal("-80.25")}) == compiled(
        "MOD(amount, 7)", {"amount": Decimal("-80.25")}
    )


def test_subtracting_days_from_a_date_equals_adding_the_negated_days() -> None:
    record = {"close_date": date(2026, 3, 15)}
    for days in ["1", "0.5", "1.5"]:
        assert compiled(f"close_date - {days}", record) == compiled(
            f"close_date + -{days}", record
        ), days
