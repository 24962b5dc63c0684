"""``--json`` on the command line: a usage error argparse refuses is answered as a JSON error
object (the shape of ``cli.answers.error_answer``) on standard output, exit status 2; without
``--json`` nothing is printed there. A product command declares its arguments (abstract)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.cli import main
from medrecall.cli.answers import error_answer, usage_answer
from medrecall.cli.command import ProductCommand


@pytest.mark.parametrize(
    ("words", "message"),
    [
        pytest.param(
            ["quality", "complaint", "show", "--json", "--bogus"],
            "medrecall quality complaint show: unrecognized arguments: --bogus",
            id="unknown option",
        ),
        pytest.param(
            ["quality", "--json", "complaint", "reopen"],
            "medrecall quality complaint: argument complaint_action: invalid choice: 'reopen' "
            "(choose from 'add', 'resolve', 'list', 'show', 'triage', 'report', 'investigate', "
            "'close', 'link', 'start-recall')",
            id="unknown subcommand",
        ),
        pytest.param(
            ["execution", "hold", "lift", "--json"],
            "medrecall execution hold: argument hold_action: invalid choice: 'lift' "
            "(choose from 'place', 'release', 'list')",
            id="another command",
        ),
        pytest.param(
            ["quality", "--json"],
            "medrecall quality: the following arguments are required: area",
            id="missing subcommand",
        ),
    ],
)
def test_a_usage_error_with_json_is_a_json_error_and_status_2(
    capsys: pytest.CaptureFixture[str], words: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(words)

    shown = capsys.readouterr()
    assert refused.value.code == 2
    assert json.loads(shown.out) == {"error": {"code": "usage", "message": message, "where": ""}}
    assert shown.err.startswith("usage: ")


def test_a_usage_error_without_json_prints_nothing_on_standard_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["quality", "complaint", "show", "--bogus"])

    shown = capsys.readouterr()
    assert (refused.value.code, shown.out) == (2, "")
    assert shown.err.endswith(
        "medrecall quality complaint show: error: unrecognized arguments: --bogus\n"
    )


def test_a_json_after_the_double_dash_is_a_word_not_the_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["quality", "complaint", "show", "--bogus", "--", "--json"])

    assert capsys.readouterr().out == ""


def test_the_usage_answer_has_the_shape_of_the_error_answer() -> None:
    assert usage_answer("x").keys() == error_answer(CommandError("x")).keys()
    assert usage_answer("x")["error"].keys() == error_answer(CommandError("x"))["error"].keys()
    assert error_answer(CommandError("Give --user.", returncode=2)) == usage_answer("Give --user.")


def test_a_product_command_that_declares_no_arguments_cannot_be_made() -> None:
    class Empty(ProductCommand):
        pass

    with pytest.raises(TypeError, match="abstract method add_arguments"):
        Empty()  # type: ignore[abstract]


def test_optional_subcommands_none_given_is_a_usage_error() -> None:
    class Optional(ProductCommand):
        def add_arguments(self, parser: ArgumentParser) -> None:
            self.subcommands(parser, dest="action", required=False).add(
                "one", lambda options: None, help="One."
            )

    command: Any = Optional()

    with pytest.raises(CommandError, match="Give the subcommand") as refused:
        call_command(command)

    assert refused.value.returncode == 2
