"""The `tessera` command line."""

from __future__ import annotations

from runtime.cli.root import app, main

__all__ = ["app", "main"]
