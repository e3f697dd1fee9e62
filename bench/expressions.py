"""Benchmark expression evaluation: Tessera's compiled path against plain Python bytecode.

Thirteen typical validation rules and formulas run over one record scope (15 fields and
a lookup path value). Each is evaluated three ways, alternating, in several rounds:

- Tessera: `ExpressionCompiler(load_extensions().functions).compile(source)` once, then
  `compiled.evaluate(scope)`, the call the save pipeline makes.
- baseline ("the limit"): the same expression written as plain Python, compiled with
  `compile(..., "eval")` and run with `eval(code, namespace, scope)`; the namespace holds
  the same library functions, the operators are Python's own (no blank handling).
- asteval: the plain-Python source parsed once by `Interpreter(minimal=True)` and run
  from its tree, to show what tree-walking interpretation costs.

Figures are evaluations per second (medians over the rounds) and ratios against the
baseline of the same run. Results go to bench/results/expressions-<timestamp>.json.
"""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import CodeType
from typing import Any
from uuid import UUID

from asteval import Interpreter

from engine.expressions import (
    CONTEXT_NAME,
    CompiledExpression,
    EvaluationContext,
    ExpressionCompiler,
)
from engine.extensions import load_extensions

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("BENCH_EXPR_ROUNDS", "5"))
#: Wall-clock time one measurement aims for; the loop count is calibrated to it.
TARGET_SECONDS = float(os.environ.get("BENCH_EXPR_SECONDS", "0.04"))
TARGET_RATIO = 0.25

#: (Tessera expression, plain-Python equivalent). The Python side spells the lookup path
#: as a variable, date subtraction through timedelta, and decimal literals as constants.
EXPRESSIONS: tuple[tuple[str, str], ...] = (
    ('amount > 1000 and stage == "won"', 'amount > 1000 and stage == "won"'),
    (
        'ISBLANK(email) and stage in ["won", "lost"]',
        'ISBLANK(email) and stage in ["won", "lost"]',
    ),
    (
        "IF(discount > 0.2, amount * (1 - discount), amount)",
        "IF(discount > DEC_0_2, amount * (1 - discount), amount)",
    ),
    (
        "ROUND(amount * quantity * (1 - discount), 2)",
        "ROUND(amount * quantity * (1 - discount), 2)",
    ),
    ("DATEDIFF(created, close_date) > 90", "DATEDIFF(created, close_date) > 90"),
    (
        'CONCAT(UPPER(LEFT(name, 3)), "-", TEXT(quantity))',
        'CONCAT(UPPER(LEFT(name, 3)), "-", TEXT(quantity))',
    ),
    (
        'AND(NOT(ISBLANK(account)), account.industry == "pharma", amount >= 500)',
        'AND(NOT(ISBLANK(account)), account_industry == "pharma", amount >= 500)',
    ),
    ("LEN(TRIM(name)) < 3", "LEN(TRIM(name)) < 3"),
    ("MAX(amount, 100) / quantity", "MAX(amount, 100) / quantity"),
    ("close_date < created", "close_date < created"),
    (
        'OR(stage == "lost", probability < 10, ISBLANK(owner))',
        'OR(stage == "lost", probability < 10, ISBLANK(owner))',
    ),
    (
        'CASE(region, "emea", amount * 0.9, "apac", amount * 0.95, amount)',
        'CASE(region, "emea", amount * DEC_0_9, "apac", amount * DEC_0_95, amount)',
    ),
    ("close_date - created > 30", "(close_date - created).days > 30"),
)

#: The decimal literals of the plain-Python sources (Tessera reads 0.2 as Decimal("0.2")).
CONSTANTS = {
    "DEC_0_2": Decimal("0.2"),
    "DEC_0_9": Decimal("0.9"),
    "DEC_0_95": Decimal("0.95"),
}

#: One deal record, as the save pipeline's scope holds it.
RECORD: dict[str, Any] = {
    "name": "Acme Pharma renewal",
    "email": None,
    "stage": "won",
    "amount": Decimal("12500.00"),
    "discount": Decimal("0.15"),
    "quantity": 12,
    "probability": 80,
    "seats": 40,
    "created": date(2026, 1, 5),
    "close_date": date(2026, 6, 30),
    "is_priority": True,
    "renewal": False,
    "region": "emea",
    "owner": "key:3f2a9c",
    "account": UUID("0192f6a4-1c3b-7d5e-8f90-123456789abc"),
}
INDUSTRY = "pharma"


@dataclass
class Subject:
    """One expression, ready to run each way."""

    source: str
    python_source: str
    tessera: CompiledExpression
    python_code: CodeType
    asteval_tree: Any


def main() -> None:
    registry = load_extensions()
    compiler = ExpressionCompiler(registry.functions)
    library = {name: function.implementation for name, function in registry.functions.items()}

    context = EvaluationContext(now=datetime.now(UTC), user="bench", tenant="bench")
    tessera_scope: dict[str, Any] = {**RECORD, "account.industry": INDUSTRY}
    # Bound as `engine.rules.evaluate.bind_context` does for a record being created.
    context.is_new = True
    context.current = tessera_scope
    tessera_scope[CONTEXT_NAME] = context

    namespace: dict[str, Any] = {"__builtins__": {}, **library, **CONSTANTS}
    python_scope: dict[str, Any] = {**RECORD, "account_industry": INDUSTRY}

    interpreter = Interpreter(minimal=True)
    interpreter.symtable.update(library)
    interpreter.symtable.update(CONSTANTS)
    interpreter.symtable.update(python_scope)

    subjects = [
        Subject(
            source=source,
            python_source=python_source,
            tessera=compiler.compile(source),
            python_code=compile(python_source, "<b>", "eval"),
            asteval_tree=interpreter.parse(python_source),
        )
        for source, python_source in EXPRESSIONS
    ]
    runners: dict[str, Callable[[Subject], Callable[[], Any]]] = {
        "tessera": lambda s: _bind(s.tessera.evaluate, tessera_scope),
        "baseline": lambda s: _bind_eval(s.python_code, namespace, python_scope),
        "asteval": lambda s: _bind(interpreter.run, s.asteval_tree),
    }
    for subject in subjects:
        results = {name: make(subject)() for name, make in runners.items()}
        if len({repr(value) for value in results.values()}) != 1:
            raise RuntimeError(f"{subject.source}: the evaluators disagree: {results}")

    started = time.perf_counter()
    rates = measure(subjects, runners)
    elapsed = time.perf_counter() - started
    report = summarise(subjects, rates)
    report["rounds"] = ROUNDS
    report["seconds"] = round(elapsed, 1)
    report["python"] = platform.python_version()
    print_table(report)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / f"expressions-{stamp}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {out.relative_to(ROOT)}")


def _bind(function: Callable[[Any], Any], argument: Any) -> Callable[[], Any]:
    return lambda: function(argument)


def _bind_eval(
    code: CodeType, namespace: dict[str, Any], scope: dict[str, Any]
) -> Callable[[], Any]:
    return lambda: eval(code, namespace, scope)


def loop_seconds(run: Callable[[], Any], count: int) -> float:
    """Seconds per call of `run` over `count` calls, the collector off (as timeit does)."""
    iterations = range(count)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        for _ in iterations:
            run()
        return (time.perf_counter() - started) / count
    finally:
        if was_enabled:
            gc.enable()


def calibrate(run: Callable[[], Any]) -> int:
    """The loop count that makes one measurement last about TARGET_SECONDS."""
    count = 100
    while True:
        seconds = loop_seconds(run, count) * count
        if seconds >= TARGET_SECONDS / 4:
            return max(100, int(count * TARGET_SECONDS / seconds))
        count *= 4


def measure(
    subjects: list[Subject], runners: dict[str, Callable[[Subject], Callable[[], Any]]]
) -> dict[str, dict[str, list[float]]]:
    """Evaluations per second of every subject and evaluator, one list entry per round.

    Within a round the evaluators of one expression run back to back, so a slow patch of
    the machine hits all three rather than one.
    """
    bound = {s.source: {name: make(s) for name, make in runners.items()} for s in subjects}
    counts = {
        source: {name: calibrate(run) for name, run in by_name.items()}
        for source, by_name in bound.items()
    }
    rates: dict[str, dict[str, list[float]]] = {
        s.source: {name: [] for name in runners} for s in subjects
    }
    for _ in range(ROUNDS):
        for source, by_name in bound.items():
            for name, run in by_name.items():
                rates[source][name].append(1 / loop_seconds(run, counts[source][name]))
    return rates


def geometric_mean(values: list[float]) -> float:
    """The geometric mean: the right average of ratios."""
    return math.exp(sum(math.log(v) for v in values) / len(values))


def summarise(subjects: list[Subject], rates: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    """Medians, ratios per expression, and geometric means over all expressions."""
    rows: list[dict[str, Any]] = []
    ratios: list[float] = []
    asteval_ratios: list[float] = []
    for subject in subjects:
        medians = {
            name: statistics.median(values) for name, values in rates[subject.source].items()
        }
        ratios.append(medians["tessera"] / medians["baseline"])
        asteval_ratios.append(medians["asteval"] / medians["baseline"])
        rows.append(
            {
                "expression": subject.source,
                "python": subject.python_source,
                "tessera_per_s": round(medians["tessera"]),
                "baseline_per_s": round(medians["baseline"]),
                "asteval_per_s": round(medians["asteval"]),
                "ratio": round(ratios[-1], 3),
                "asteval_ratio": round(asteval_ratios[-1], 3),
            }
        )
    ratio = geometric_mean(ratios)
    return {
        "expressions": rows,
        "ratio": round(ratio, 3),
        "asteval_ratio": round(geometric_mean(asteval_ratios), 3),
        "target": TARGET_RATIO,
        "target_met": ratio >= TARGET_RATIO,
    }


def print_table(report: dict[str, Any]) -> None:
    """Print one line per expression, then the overall ratios and the target."""
    width = max(len(row["expression"]) for row in report["expressions"])
    print(
        f"{'expression':<{width}}  {'Tessera/s':>10}  {'baseline/s':>10}  {'asteval/s':>9}  "
        f"{'ratio':>6}  {'asteval':>7}"
    )
    for row in report["expressions"]:
        print(
            f"{row['expression']:<{width}}  {row['tessera_per_s']:>10,}  "
            f"{row['baseline_per_s']:>10,}  {row['asteval_per_s']:>9,}  "
            f"{row['ratio']:>6.3f}  {row['asteval_ratio']:>7.3f}"
        )
    verdict = "met" if report["target_met"] else "NOT met"
    print(
        f"Tessera ÷ baseline (geometric mean): {report['ratio']:.3f}  "
        f"(target ≥ {report['target']}: {verdict})"
    )
    print(f"asteval ÷ baseline (geometric mean): {report['asteval_ratio']:.3f}")


if __name__ == "__main__":
    main()
