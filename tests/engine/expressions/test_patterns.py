"""REGEX patterns: measured before they compile, refused past a limit, cached with an owner."""

from __future__ import annotations

import sys
import threading

import pytest
import regex

from engine.expressions import ExpressionCompiler
from engine.expressions.patterns import (
    MAX_PATTERN_DEPTH,
    MAX_PATTERN_LENGTH,
    MAX_PATTERN_SIZE,
    PatternCache,
    PatternRefused,
    compile_pattern,
    measure_pattern,
    pattern_limit_problem,
)
from engine.extensions import load_extensions


@pytest.mark.parametrize(
    ("pattern", "size"),
    [
        ("abc", 3),
        ("[A-Z]{2}-[0-9]{4}", 7),
        ("a{2}{3}", 6),
        ("x{,10}", 10),
        ("(?:ab){1,50}", 150),
        (r"(?:[a-z0-9-]{1,63}\.){1,10}", 650),
        ("(?:c{1000}){3000}", 3_003_000),
        ("a+b*c?", 3),
        ("a|b|c", 3),
    ],
)
def test_the_expanded_size_multiplies_nested_counted_repetitions(pattern: str, size: int) -> None:
    assert measure_pattern(pattern).size == size


@pytest.mark.parametrize(
    "pattern",
    [
        "[)]{1000}",  # a parenthesis in a class is no group
        r"\({1000}",  # nor an escaped one
        "[]a]{1000}",  # `]` first in a class is a character
        "[^]]{1000}",
        r"[\]]{1000}",
    ],
)
def test_classes_and_escapes_are_single_items(pattern: str) -> None:
    shape = measure_pattern(pattern)
    assert (shape.depth, shape.size) == (0, 1000)


def test_a_comment_group_hides_nothing_from_the_measure() -> None:
    assert measure_pattern("(?#((((()a{9}").size == 9


def test_braces_that_are_not_a_count_are_characters() -> None:
    # `\p{L}` scans as four items and the count repeats the last: an over-count, never under.
    assert measure_pattern(r"\p{L}{3}").size == 6
    assert measure_pattern("a{x}").size == 4


def test_the_depth_counts_nested_groups() -> None:
    assert measure_pattern("((a)(b(c)))").depth == 3
    assert measure_pattern("(" * 30 + "a" + ")" * 30).depth == 30


@pytest.mark.parametrize(
    ("pattern", "limit", "message"),
    [
        ("a" * (MAX_PATTERN_LENGTH + 1), "length", "at most 1000"),
        ("(" * 21 + "a" + ")" * 21, "depth", "nests groups 21 deep; at most 20"),
        ("(" * 100_000, "length", "at most 1000"),
        ("(?:c{1000}){3000}", "size", "expands to 3003000 items, at most 5000"),
        ("(?:c{10}){10}" * 60, "size", "at most 5000"),
        ("(?x)a # b", "verbose", "verbose mode"),
        ("(?i-x:a)", "verbose", "verbose mode"),
        ("[a-", "syntax", "invalid pattern"),
    ],
)
def test_a_pattern_past_a_limit_is_refused_naming_it(
    pattern: str, limit: str, message: str
) -> None:
    with pytest.raises(PatternRefused, match=message) as caught:
        compile_pattern(pattern)
    assert caught.value.limit == limit


def test_patterns_within_the_limits_compile_including_regex_module_syntax() -> None:
    for pattern in (
        r"\p{Lu}\p{Ll}+",
        "(?V1)[[a-z]--[aeiou]]+",
        "(?>a+)b",
        "a++",
        "[A-Z]{2}-[0-9]{4}",
        "(" * MAX_PATTERN_DEPTH + "a" + ")" * MAX_PATTERN_DEPTH,
        f"c{{{MAX_PATTERN_SIZE}}}",
    ):
        assert pattern_limit_problem(pattern) is None
        assert compile_pattern(pattern).pattern == pattern


def test_compiling_many_patterns_leaves_nothing_behind_in_the_regex_module() -> None:
    # The module's private tables: its cache, and what it remembers of each pattern.
    module = sys.modules[regex.compile.__module__]
    regex.purge()
    cache = PatternCache(max_patterns=16)
    for n in range(2_000):
        cache.compile(f"a{{{n}}}b")
    assert len(module._cache) == 0
    assert len(module._locale_sensitive) <= 16


def test_the_cache_keeps_the_most_recently_used_patterns_up_to_its_size() -> None:
    cache = PatternCache(max_patterns=3)
    first = cache.compile("a")
    cache.compile("b")
    cache.compile("c")
    assert cache.compile("a") is first  # a hit, and now the most recent
    cache.compile("d")  # evicts b, the least recently used
    assert len(cache) == 3
    assert cache.compile("a") is first
    assert cache.compile("b") is not None and len(cache) == 3


def test_a_refused_pattern_is_remembered_and_refused_again() -> None:
    cache = PatternCache()
    for _ in range(2):
        with pytest.raises(PatternRefused, match="nests groups"):
            cache.compile("(" * 25 + ")" * 25)
    assert len(cache) == 1


def test_threads_compiling_the_same_patterns_share_one_bounded_cache() -> None:
    cache = PatternCache(max_patterns=16)
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for n in range(200):
                pattern = f"x{{{(n + offset) % 40}}}"
                assert cache.compile(pattern).pattern == pattern
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(cache) <= 16


def test_the_expression_compiler_owns_the_pattern_cache_of_its_process() -> None:
    compiler = ExpressionCompiler(load_extensions().functions)
    assert isinstance(compiler.patterns, PatternCache)
    assert compiler.patterns is not ExpressionCompiler(load_extensions().functions).patterns
