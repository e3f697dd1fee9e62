"""Regular expressions of REGEX: bounded before they compile, compiled once per process.

Compiling a pattern with the `regex` module costs time and memory in proportion to the
pattern once its counted repetitions are expanded: `(?:c{1000}){3000}` takes seconds and
hundreds of megabytes, and groups nested thousands deep exhaust the parser's stack. A
pattern may come from record data, so its shape is measured before it compiles:

- its length (`MAX_PATTERN_LENGTH` characters),
- how deeply its groups nest (`MAX_PATTERN_DEPTH`),
- its expanded size: every item counts once, times the upper bound of each counted
  repetition around it (`{n}`, `{m,n}`, `{m,}`), summed over the pattern
  (`MAX_PATTERN_SIZE`). `*`, `+` and `?` are loops, which compile to one copy.

The `regex` module has no public parser, and `sre_parse` (the `re` module's private one)
refuses the `regex` syntax `re` lacks, such as `\\p{L}`. The measure therefore scans the
text itself: escapes, character classes, groups, comments and counted repetitions, which
is all the size depends on. Where it cannot be sure of the structure it over-counts
(a nested set of `(?V1)` closes early; braces after `\\x` count as a repetition), never
under-counts; verbose mode, whose `#` comments could hide structure from the scan, is
refused. The `regex` module then checks the syntax itself.

Compiled patterns are kept in a `PatternCache`, a bounded LRU owned by the expression
compiler, instead of the `regex` module's process-wide cache. Even uncached, the module
remembers a small entry per pattern it has seen (whether it is locale-sensitive), which it
only forgets when its own cache fills or is purged; the cache purges it as it compiles.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import regex

#: The longest pattern REGEX compiles, in characters.
MAX_PATTERN_LENGTH = 1_000
#: How deeply groups may nest in a pattern.
MAX_PATTERN_DEPTH = 20
#: The largest expanded size of a pattern (see the module docstring).
MAX_PATTERN_SIZE = 5_000
#: How many compiled patterns the cache of one process keeps.
DEFAULT_CACHE_SIZE = 512

_REPEAT = re.compile(r"\{(\d*)(,?)(\d*)\}")
_VERBOSE_FLAGS = re.compile(r"\(\?[a-zA-Z01-]*x[a-zA-Z01-]*[:)]")


class PatternRefused(ValueError):
    """A pattern past a limit, or one the `regex` module does not accept.

    Attributes:
        limit: the limit it passes (`length`, `depth`, `size`, `verbose`), or `syntax`.
    """

    def __init__(self, message: str, *, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass(frozen=True)
class PatternShape:
    """What a pattern would cost to compile: its length, group depth and expanded size.

    `is_verbose` tells whether it turns on verbose mode, whose comments the scan ignores.
    """

    length: int
    depth: int
    size: int
    is_verbose: bool = False


def measure_pattern(pattern: str) -> PatternShape:
    """Return the shape of `pattern`, scanning its text once (it need not be valid)."""
    # Each open group is a frame of [size so far, size of its last item].
    frames: list[list[int]] = [[0, 0]]
    deepest = 0
    is_verbose = False
    index = 0
    end = len(pattern)
    while index < end:
        char = pattern[index]
        frame = frames[-1]
        if char == "\\":
            index += 2
            _add_item(frame, 1)
        elif char == "[":
            index = _class_end(pattern, index + 1)
            _add_item(frame, 1)
        elif char == "(" and pattern.startswith("(?#", index):
            closing = pattern.find(")", index)
            index = end if closing < 0 else closing + 1
        elif char == "(":
            is_verbose = is_verbose or bool(_VERBOSE_FLAGS.match(pattern, index))
            frames.append([0, 0])
            deepest = max(deepest, len(frames) - 1)
            index += 1
        elif char == ")":
            index += 1
            if len(frames) > 1:
                inner = frames.pop()
                _add_item(frames[-1], inner[0])
            else:
                _add_item(frame, 1)
        elif char == "{" and (repeat := _REPEAT.match(pattern, index)) and _is_count(repeat):
            low, _comma, high = repeat.groups()
            bound = int(high) if high else int(low or 0)
            count = max(bound, int(low or 0), 1)
            frame[0] += frame[1] * (count - 1)
            frame[1] *= count
            index = repeat.end()
        elif char == "|":
            frame[1] = 0
            index += 1
        elif char in "*+?":
            index += 1
        else:
            _add_item(frame, 1)
            index += 1
    # Groups left open (a syntax error the compiler reports) still count.
    while len(frames) > 1:
        inner = frames.pop()
        _add_item(frames[-1], inner[0])
    return PatternShape(
        length=len(pattern), depth=deepest, size=frames[0][0], is_verbose=is_verbose
    )


def _add_item(frame: list[int], size: int) -> None:
    frame[0] += size
    frame[1] = size


def _is_count(repeat: re.Match[str]) -> bool:
    low, _comma, high = repeat.groups()
    return bool(low or high)


def _class_end(pattern: str, index: int) -> int:
    """The index after the `]` closing a class whose content starts at `index`."""
    end = len(pattern)
    if index < end and pattern[index] == "^":
        index += 1
    if index < end and pattern[index] == "]":
        index += 1
    while index < end:
        if pattern[index] == "\\":
            index += 2
        elif pattern[index] == "]":
            return index + 1
        else:
            index += 1
    return end


def pattern_limit_problem(pattern: str) -> PatternRefused | None:
    """Return why `pattern` may not compile (a limit it passes), or None when it may."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return PatternRefused(
            f"the pattern has {len(pattern)} characters; at most {MAX_PATTERN_LENGTH}",
            limit="length",
        )
    shape = measure_pattern(pattern)
    if shape.is_verbose:
        return PatternRefused(
            "verbose mode (the x flag) is not allowed in a pattern; write it on one line",
            limit="verbose",
        )
    if shape.depth > MAX_PATTERN_DEPTH:
        return PatternRefused(
            f"the pattern nests groups {shape.depth} deep; at most {MAX_PATTERN_DEPTH}",
            limit="depth",
        )
    if shape.size > MAX_PATTERN_SIZE:
        return PatternRefused(
            f"the pattern repeats too much: it expands to {shape.size} items, at most "
            f"{MAX_PATTERN_SIZE} (counted repetitions such as {{1000}} multiply when nested)",
            limit="size",
        )
    return None


def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """Check `pattern` against the limits, then compile it (outside the module's cache).

    Raises:
        PatternRefused: it passes a limit, or it is not a valid pattern.
    """
    problem = pattern_limit_problem(pattern)
    if problem is not None:
        raise problem
    try:
        return regex.compile(pattern, cache_pattern=False)
    except (regex.error, RecursionError, OverflowError) as error:
        raise PatternRefused(f"invalid pattern: {error}", limit="syntax") from error


class PatternCache:
    """Compiled patterns of one process, least recently used evicted first.

    Thread-safe: the worker threads of a synchronous server share it. A refused pattern
    is cached too, so data that repeats a bad pattern is not measured again.
    """

    def __init__(self, max_patterns: int = DEFAULT_CACHE_SIZE) -> None:
        self._max_patterns = max_patterns
        self._patterns: OrderedDict[str, regex.Pattern[str] | PatternRefused] = OrderedDict()
        self._lock = threading.Lock()
        self._compiled_since_purge = 0

    def compile(self, pattern: str) -> regex.Pattern[str]:
        """Return `pattern` compiled, from the cache when it was compiled before.

        Raises:
            PatternRefused: it passes a limit or is not valid.
        """
        with self._lock:
            cached = self._patterns.get(pattern)
            if cached is not None:
                self._patterns.move_to_end(pattern)
        if cached is None:
            try:
                cached = compile_pattern(pattern)
            except PatternRefused as refused:
                cached = refused
            with self._lock:
                self._patterns[pattern] = cached
                while len(self._patterns) > self._max_patterns:
                    self._patterns.popitem(last=False)
                self._compiled_since_purge += 1
                is_purging = self._compiled_since_purge >= self._max_patterns
                if is_purging:
                    self._compiled_since_purge = 0
            if is_purging:
                # Forget what the module remembers of every pattern it compiled.
                regex.purge()
        if isinstance(cached, PatternRefused):
            raise PatternRefused(str(cached), limit=cached.limit)
        return cached

    def __len__(self) -> int:
        return len(self._patterns)
