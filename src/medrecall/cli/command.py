"""The base of the product's own commands, and the plumbing of commands made of subcommands.

Django runs its system checks before every command; the checks import every URL conf, view
and API module (about half a second), which a script calling ``medrecall trace`` or
``medrecall udi parse`` hundreds of times pays each time. The product's commands skip them;
``medrecall check``, ``migrate`` and the server still run them.

A command with several actions (``medrecall recall open|show|…``) declares each one as an
argparse subcommand with its own options, its own ``--help`` and its own small handler::

    def add_arguments(self, parser):
        actions = self.subcommands(parser, dest="action")
        show = actions.add("show", self._show, help="One recall.")
        show.add_argument("number")

``handle`` then calls the handler the words chose with the parsed options. A subcommand may
have subcommands of its own (``medrecall execution hold place|release|list``). On the command
line its options may also stand before its name (``medrecall recall --json list``), as they
could when each command was one flat parser.

With ``--json`` on the command line a usage error (an unknown option, a missing subcommand, a
bad choice) is answered as JSON too, ``{"error": {"code": "usage", "message", "where"}}`` on
standard output (the shape of ``answers.error_answer``), with the usage on standard error and
exit status 2, so that a script reading the answer never gets text it cannot parse.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from abc import ABC, abstractmethod
from argparse import ArgumentParser
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from .answers import usage_answer

Handler = Callable[[dict[str, Any]], Any]
T = TypeVar("T")

HANDLER = "_subcommand_handler"
"""The option under which a subcommand leaves its handler (not an option anyone types)."""

_DJANGO_OPTIONS = {
    "--version",
    "--verbosity",
    "--settings",
    "--pythonpath",
    "--traceback",
    "--no-color",
    "--force-color",
}


class Everyone:
    """The command line sees every party (it runs with the server's own rights)."""

    pk = None
    party_id = None

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return True


class SubcommandParser(CommandParser):
    """A subcommand's parser: an option it does not know is refused with its own usage line
    (``medrecall execution hold place: error: unrecognized arguments: --bogus``), not the
    whole command's."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


class Subcommands:
    """The subcommands of one parser (``add`` returns each one's parser, for its options)."""

    def __init__(self, parser: ArgumentParser, *, dest: str, required: bool) -> None:
        self._parent = parser
        self.parsers: dict[str, ArgumentParser] = {}
        self.groups: dict[str, Subcommands] = {}
        self._choices = parser.add_subparsers(
            dest=dest, required=required, parser_class=SubcommandParser, title="subcommands"
        )

    def add(self, name: str, handler: Handler, *, help: str) -> ArgumentParser:
        sub: ArgumentParser = self._choices.add_parser(
            name,
            help=help,
            description=help,
            formatter_class=self._parent.formatter_class,
        )
        sub.set_defaults(**{HANDLER: handler})
        _accept_django_options(self._parent, sub)
        self.parsers[name] = sub
        return sub

    def group(self, name: str, *, help: str, missing: str) -> Subcommands:
        """A subcommand made of subcommands (``execution hold place|release|list``); given
        without one, it answers "Give the <missing>." (exit status 1)."""

        def refuse(options: dict[str, Any]) -> None:
            raise CommandError(f"Give the {missing}.")

        group = Subcommands(
            self.add(name, refuse, help=help), dest=f"{name}_action", required=False
        )
        self.groups[name] = group
        return group


def _accept_django_options(parent: ArgumentParser, sub: ArgumentParser) -> None:
    """Django's own options (``--traceback``, ``-v 2``, ``--settings`` …) work after a
    subcommand as they did before there were subcommands; its help does not repeat them (the
    command's ``--help`` lists them) and a value given before the subcommand is kept."""
    for action in parent._actions:
        if _DJANGO_OPTIONS.intersection(action.option_strings):
            accepted = copy.copy(action)
            accepted.default = argparse.SUPPRESS
            accepted.help = argparse.SUPPRESS
            sub._add_action(accepted)


class ProductCommand(BaseCommand, ABC):
    """A product command declares its arguments (its subcommands, or its options when it has
    its own ``handle``): a command that declares nothing cannot be made."""

    requires_system_checks: list[str] = []

    @abstractmethod
    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the options, or the subcommands with ``self.subcommands(parser, …)``."""

    def run_from_argv(self, argv: list[str]) -> None:
        """``medrecall recall --user U transition …`` read as ``… transition … --user U``: before
        there were subcommands every option could stand anywhere, and scripts may rely on it."""
        prog, name, words = argv[0], argv[1], argv[2:]
        self._called_from_command_line = True  # as Django sets it: argparse errors exit 2
        self._argv_parser = self.create_parser(prog, name)  # built once (execution: ~13 ms)
        if "--json" in (words[: words.index("--")] if "--" in words else words):
            usage_errors_as_json(self._argv_parser, self.stdout)
        super().run_from_argv([prog, name, *options_after_subcommand(self._argv_parser, words)])

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        built: CommandParser | None = getattr(self, "_argv_parser", None)
        if built is not None and not kwargs:
            return built
        return super().create_parser(prog_name, subcommand, **kwargs)

    def subcommands(
        self, parser: ArgumentParser, *, dest: str, required: bool = True
    ) -> Subcommands:
        """Declare the subcommands of ``parser``; each ``add`` names its handler."""
        return Subcommands(parser, dest=dest, required=required)

    def handle(self, *args: Any, **options: Any) -> None:
        self.run_subcommand(options)

    def run_subcommand(self, options: dict[str, Any]) -> Any:
        """Call the handler of the subcommand the words chose; answer what it returns."""
        handler: Handler | None = options.get(HANDLER)
        if handler is None:  # optional subcommands, none given
            raise CommandError("Give the subcommand (see --help).", returncode=2)
        return handler(options)

    def enqueue_every(self, task: Any, seconds: int, *, announce: str) -> None:
        """Put ``task`` on the task queue every ``seconds`` until stopped (Ctrl-C), for the
        worker to run: how ``notices sweep``, ``deadlines alert`` and ``execution workorders
        escalate`` run as a service (``--every N``)."""
        import time

        self.stdout.write(announce)
        while True:
            task.enqueue()
            time.sleep(seconds)

    # -- answers -------------------------------------------------------------------------------
    def write_json(self, body: Any) -> None:
        self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2, default=str))

    def write_fields(self, body: dict[str, Any], *, width: int) -> None:
        """One ``key: value`` line per field, the keys right-aligned to ``width``."""
        for key, value in body.items():
            self.stdout.write(f"{key:>{width}}: {value}")


def usage_errors_as_json(parser: ArgumentParser, out: OutputWrapper) -> None:
    """Make ``parser`` and every subcommand's parser answer a usage error as a JSON error
    object on ``out`` (the usage and the message still go to standard error), exit status 2."""

    def answer(each: ArgumentParser) -> Callable[[str], NoReturn]:
        def error(message: str) -> NoReturn:
            out.write(json.dumps(usage_answer(f"{each.prog}: {message}"), ensure_ascii=False))
            each.print_usage(sys.stderr)
            each.exit(2, f"{each.prog}: error: {message}\n")

        return error

    for each in [parser, *_subcommand_parsers(parser)]:
        each.error = answer(each)  # type: ignore[method-assign,assignment]


def _subcommand_parsers(parser: ArgumentParser) -> list[ArgumentParser]:
    """Every parser below ``parser`` (subcommands, and theirs)."""
    found: list[ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend([sub, *_subcommand_parsers(sub)])
    return found


def options_after_subcommand(parser: ArgumentParser, words: list[str]) -> list[str]:
    """``words`` with the subcommands' options typed before the subcommand's name moved to the
    end (with their values). The command's own options (Django's) stay where they are; an
    option no subcommand knows, or one that takes a value in one subcommand and none in
    another, stops the move there and is left to argparse to refuse."""
    subs = _subcommand_parsers(parser)
    if not subs:
        return words
    own = {o: a.nargs != 0 for a in parser._actions for o in a.option_strings}
    takes_value: dict[str, bool | None] = {}  # None: a value in one subcommand, none in another
    for sub in subs:
        for action in sub._actions:
            for option in action.option_strings:
                if option not in own:
                    arity = action.nargs != 0
                    known = takes_value.setdefault(option, arity)
                    takes_value[option] = arity if known == arity else None
    kept: list[str] = []
    moved: list[str] = []
    index = 0
    while index < len(words) and words[index].startswith("-") and words[index] != "--":
        option, has_value = words[index].split("=", 1)[0], "=" in words[index]
        target = kept if option in own else moved
        value = own.get(option) if option in own else takes_value.get(option)
        if value is None:
            break
        width = 1 if has_value or not value else 2
        target.extend(words[index : index + width])
        index += width
    return [*kept, *words[index:], *moved]


def found(thing: T | None, refusal: str) -> T:
    """What a look-up by a typed name found, or the refusal that says what was not found."""
    if thing is None:
        raise CommandError(refusal)
    return thing


def number_argument(text: str, what: str) -> int:
    """An id typed on the command line (``notices run 12``), refused with what it should be."""
    if not text.isdigit():
        raise CommandError(f"Give the {what} id (a number), not {text!r}.")
    return int(text)
