"""README cannot drift from the code: every command and option of `wiki` is documented."""

import re
from pathlib import Path

import pytest
import typer

from wiki.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text()
COMMANDS = typer.main.get_command(app).commands


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"`wiki {name}" in README


@pytest.mark.parametrize(
    "name, option",
    sorted(
        (name, option)
        for name, command in COMMANDS.items()
        for parameter in command.params
        for option in parameter.opts
        if option.startswith("--") and option != "--help"
    ),
)
def test_every_option_is_in_the_readme(name: str, option: str) -> None:
    assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", README), (name, option)


def test_quick_start_is_exactly_the_two_make_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    block = quick_start.split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make site", "make test"]
