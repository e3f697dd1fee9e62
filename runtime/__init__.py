"""The runtime: HTTP API, CLI and settings around the engine."""
