"""`python -m wiki` runs the `wiki` command."""

from wiki.cli import run

run()
