"""`python -m runtime.cli` runs the `tessera` command."""

from runtime.cli import main

main()
