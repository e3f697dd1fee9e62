"""Statements a catalog builds on first use, kept for as long as its revision lives."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

Statement = TypeVar("Statement")


class StatementCache:
    """A bounded, thread-safe map from a statement's shape to the statement built for it.

    Roll-up folds and lookup-path reads build SQL per shape (object, fields, batch form).
    Building is pure, so two threads racing on one key may both build; the first stored
    wins and both get it. Shapes are few per revision; the bound only guards against a
    caller whose keys grow with its input, evicting the least recently used.
    """

    def __init__(self, max_statements: int = 1024) -> None:
        self._max_statements = max_statements
        self._statements: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], Statement]) -> Statement:
        """Return the statement stored under `key`, building and storing it the first time."""
        with self._lock:
            if key in self._statements:
                self._statements.move_to_end(key)
                cached: Statement = self._statements[key]
                return cached
        statement = build()
        with self._lock:
            stored: Statement = self._statements.setdefault(key, statement)
            self._statements.move_to_end(key)
            while len(self._statements) > self._max_statements:
                self._statements.popitem(last=False)
        return stored

    def __len__(self) -> int:
        return len(self._statements)
