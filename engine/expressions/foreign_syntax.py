"""What implementers coming from other platforms write first, and how Tessera spells it.

Formula languages of other CRMs compare with `=`, join conditions with `&&` or `AND`,
test picklists with `ISPICKVAL`. Each of these is a syntax error or an unknown name here;
the checker names Tessera's spelling instead, and docs/expressions.md lists the same
table, so the two cannot disagree.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ForeignSpelling:
    """An operator of another formula language, with Tessera's, each in an example."""

    written: str
    tessera: str
    written_example: str
    example: str


#: Operators, keyed by how they are written elsewhere.
OPERATORS: dict[str, ForeignSpelling] = {
    spelling.written: spelling
    for spelling in (
        ForeignSpelling("=", "==", "stage = 'won'", "stage == 'won'"),
        ForeignSpelling("===", "==", "stage === 'won'", "stage == 'won'"),
        ForeignSpelling("<>", "!=", "stage <> 'lost'", "stage != 'lost'"),
        ForeignSpelling("!==", "!=", "stage !== 'lost'", "stage != 'lost'"),
        ForeignSpelling("&&", "and", "amount > 100 && closed", "amount > 100 and closed"),
        ForeignSpelling("AND", "and", "amount > 100 AND closed", "amount > 100 and closed"),
        ForeignSpelling("||", "or", "hot || urgent", "hot or urgent"),
        ForeignSpelling("OR", "or", "hot OR urgent", "hot or urgent"),
        ForeignSpelling("!", "not", "!ISBLANK(email)", "not ISBLANK(email)"),
        ForeignSpelling("NOT", "not", "NOT ISBLANK(email)", "not ISBLANK(email)"),
    )
}

#: Constants, keyed by how they are written elsewhere (lower case).
CONSTANTS: dict[str, str] = {"true": "True", "false": "False", "null": "None", "nil": "None"}


@dataclass(frozen=True)
class ForeignFunction:
    """A function of another formula language that Tessera writes another way."""

    name: str
    example: str
    tessera: str
    #: Rewrites a call's arguments (source text) as Tessera writes it; None: not this call.
    rewrite: Callable[[Sequence[str]], str | None]


FUNCTIONS: dict[str, ForeignFunction] = {
    function.name: function
    for function in (
        ForeignFunction(
            "ISPICKVAL",
            "ISPICKVAL(stage, 'won')",
            "stage == 'won'",
            lambda args: f"{args[0]} == {args[1]}" if len(args) == 2 else None,
        ),
        ForeignFunction(
            "INCLUDES",
            "INCLUDES(tags, 'vip')",
            "'vip' in tags",
            lambda args: f"{args[1]} in {args[0]}" if len(args) == 2 else None,
        ),
        ForeignFunction(
            "ISNULL",
            "ISNULL(email)",
            "ISBLANK(email)",
            lambda args: f"ISBLANK({args[0]})" if len(args) == 1 else None,
        ),
        ForeignFunction(
            "ISNOTBLANK",
            "ISNOTBLANK(email)",
            "not ISBLANK(email)",
            lambda args: f"not ISBLANK({args[0]})" if len(args) == 1 else None,
        ),
    )
}


@dataclass(frozen=True)
class ForeignOperator:
    """A foreign operator found in an expression, at a 1-based line and column."""

    line: int
    column: int
    spelling: ForeignSpelling

    def message(self) -> str:
        """What to write instead, with an example."""
        spelling = self.spelling
        return (
            f"{spelling.written!r} is not an operator of Tessera expressions; "
            f"write {spelling.tessera!r}, as in {spelling.example}"
        )


def foreign_operators(source: str) -> list[ForeignOperator]:
    """Return the operators of other formula languages written in `source`, outside text.

    Only called on text that does not parse, where such an operator is what broke it.
    """
    tokens = list(_tokens(source))
    found: list[ForeignOperator] = []
    skip = 0
    for index, token in enumerate(tokens):
        if skip:
            skip -= 1
            continue
        # The token right after this one, when nothing separates them (`&&`, not `& &`).
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        joined = after.string if after is not None and after.start == token.end else ""
        next_string = after.string if after is not None else ""
        written: str | None = None
        if token.string in ("&", "|") and joined == token.string:
            written, skip = token.string * 2, 1
        elif token.string == "<" and joined == ">":
            written, skip = "<>", 1
        elif token.string in ("==", "!=") and joined == "=":
            written, skip = token.string + "=", 1
        elif token.string == "=" or (token.type == tokenize.ERRORTOKEN and token.string == "!"):
            written = token.string
        elif token.type == tokenize.NAME and token.string in ("AND", "OR", "NOT"):
            # NOT(x) is a function of the library; NOT x is the other language's operator.
            is_call = token.string == "NOT" and next_string == "("
            written = None if is_call else token.string
        if written is not None:
            line, column = token.start
            found.append(ForeignOperator(line, column + 1, OPERATORS[written]))
    return found


def _tokens(source: str) -> Iterator[tokenize.TokenInfo]:
    """The tokens of `source` up to where the tokenizer gives up (an unclosed bracket)."""
    try:
        yield from tokenize.generate_tokens(io.StringIO(source).readline)
    except (tokenize.TokenError, SyntaxError):
        return


def rewritten_call(node: ast.Call) -> str | None:
    """Return how Tessera writes a call of another language's function, or None."""
    function = FUNCTIONS.get(node.func.id.upper()) if isinstance(node.func, ast.Name) else None
    if function is None:
        return None
    return function.rewrite([ast.unparse(argument) for argument in node.args]) or function.tessera
