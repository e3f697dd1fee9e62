"""The HTTP application."""

from runtime.app.factory import create_app

__all__ = ["create_app"]
