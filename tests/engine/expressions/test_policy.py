"""The expression policy refuses known sandbox escapes and resource attacks before evaluation."""

from __future__ import annotations

import pytest

from engine.expressions import MAX_LENGTH, Signature, check_expression

FIELDS = {"amount", "stage", "close_date", "account", "name"}
FUNCTIONS = {
    "IF": Signature("IF", 3, 3),
    "ROUND": Signature("ROUND", 1, 2),
    "CONCAT": Signature("CONCAT", 1, None),
    "LEN": Signature("LEN", 1, 1),
}

# Known ways out of Python sandboxes, and ways to exhaust one: each must be refused.
ESCAPES = [
    "__import__('os').system('id')",
    "__builtins__",
    "__builtins__['eval']('1')",
    "().__class__.__bases__[0].__subclasses__()",
    "''.__class__.__mro__[1].__subclasses__()",
    "amount.__class__",
    "amount.__dict__",
    "name.__globals__",
    "LEN.__globals__",
    "LEN.__code__",
    "ROUND.__closure__",
    "stage.__init__.__globals__['os']",
    "[x for x in ().__class__.__bases__[0].__subclasses__()]",
    "[c for c in [1]]",
    "{c for c in [1]}",
    "{c: c for c in [1]}",
    "(c for c in [1])",
    "lambda: 1",
    "(lambda f: f(f))(lambda f: f(f))",
    "open('/etc/passwd')",
    "eval('1')",
    "exec('x=1')",
    "compile('1', 'f', 'eval')",
    "getattr(amount, '__class__')",
    "setattr(amount, 'x', 1)",
    "globals()",
    "locals()",
    "vars()",
    "dir()",
    "type(amount)",
    "object.__subclasses__()",
    "__loader__",
    "__spec__",
    "_private",
    "amount._private",
    "account.owner.__class__",
    "amount[0]",
    "name[::-1]",
    "f'{amount}'",
    "f'{().__class__}'",
    "(x := 1)",
    "ROUND(*[1, 2])",
    "ROUND(amount, ndigits=2)",
    "ROUND(**{'x': 1})",
    "10 ** 10 ** 10",
    "2 ** 100000000",
    "amount // 0",
    "~amount",
    "amount << 1000000",
    "amount & 1",
    "{'a': 1}",
    "{1, 2}",
    "amount is None",
    "amount is not None",
    "await amount",
    "'x' * 10 ** 9",
    "LEN(name).real",
    "(1).__class__",
    "b'bytes'",
    "1j",
    "...",
    "import os",
    "amount = 1",
    "del amount",
    "amount; import os",
    "x" * (MAX_LENGTH + 1),
    "+".join(["amount"] * 400),
]


@pytest.mark.parametrize("source", ESCAPES, ids=range(len(ESCAPES)))
def test_a_known_escape_or_exhaustion_attempt_is_refused(source: str) -> None:
    problems = check_expression(source, fields=FIELDS, functions=FUNCTIONS)
    assert problems, source
    assert all(p.line >= 1 and p.column >= 1 and p.message for p in problems)


def test_the_corpus_holds_at_least_fifty_attempts() -> None:
    assert len(ESCAPES) >= 50


@pytest.mark.parametrize(
    "source",
    [
        "amount * 1.1",
        "IF(stage == 'won', amount, 0)",
        "ROUND(amount / 3, 2)",
        "stage in ['won', 'lost'] and not (amount < 0)",
        "account.industry == 'pharma'",
        "CONCAT(name, ' (', stage, ')')",
        "amount if amount > 100 else -amount",
        "close_date != None",
        "True or False",
    ],
)
def test_ordinary_formulas_pass(source: str) -> None:
    assert check_expression(source, fields=FIELDS, functions=FUNCTIONS) == []
