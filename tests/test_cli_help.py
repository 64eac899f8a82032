"""Every command and every option explains itself in ``--help``."""

from __future__ import annotations

import argparse

import pytest

from kiosk.cli import COMMANDS, _parser


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the kiosk command has no subcommands")


def test_every_command_is_routed_and_described() -> None:
    parser = _parser()
    commands = _subparsers(parser)
    assert set(commands) == set(COMMANDS)
    helps = {a.dest: a.help for a in parser._actions if isinstance(a, argparse._SubParsersAction)}
    assert helps  # the list under COMMAND in `kiosk --help`
    for name, sub in commands.items():
        assert sub.description, f"kiosk {name} --help says nothing about what it does"


@pytest.mark.parametrize("name", sorted(COMMANDS) + [""])
def test_every_option_has_a_help_text(name: str) -> None:
    parser = _parser()
    target = _subparsers(parser)[name] if name else parser
    silent = [a.option_strings or [a.dest] for a in target._actions
              if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction) and not a.help]
    assert silent == [], f"kiosk {name} --help lists these bare: {silent}"
