"""The product's commands made of subcommands (``medrecall recall|notices|execution|…``): each
subcommand parses, documents and refuses only its own options (argparse subcommands declared
through ``cli/command.py``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import load_command_class

from medrecall.cli import main
from medrecall.cli.command import options_after_subcommand

RECALL = {
    "open": "--title --title-en --gtin --reason --reason-en --regime --decision-at --user --json",
    "show": "--json",
    "update": "--set --decision-at --reason --user --json",
    "evaluate": "--severity --likelihood --injuries --deaths --defect --defect-en --harm "
    "--harm-en --user --json",
    "classify": "--regime --class --reason --user --json",
    "scope": "--kind --gtin --values --from --until --user --json",
    "freeze": "--user --json",
    "impact": "--json",
    "transition": "--to --reason --user --json",
    "list": "--open --json",
    "sign": "--step --user --password-file --json",
    "deadlines": "--json",
    "closure": "--json",
    "closure-exception": "--reason --user --password-file --json",
}
NOTICES = {
    "send": "--party --wait --user --json",
    "letters": "--out --posted --note --user --json",
    "run": "--json",
    "list": "--recall --status --channel --json",
    "overdue": "--json",
    "replies": "--json",
    "log": "--channel --note --acknowledged --user --json",
    "delivery": "--message-id --outcome --detail --json",
    "sweep": "--every --json",
    "templates": "--status --json",
    "template-show": "--json",
    "template-save": "--file --user --json",
    "approve-template": "--user --json",
    "timeline": "--json",
    "search": "--json",
    "progress": "--party --message --user --json",
    "offer": "--party --kind --description --amount --currency --user --json",
    "offer-decision": "--action --note --user --json",
}
EXECUTION = {
    "accounting": "--json",
    "hold place": "--reason --user --json",
    "hold release": "--reason --user --json",
    "hold list": "--user --json",
    "returns create": "--line --holder --user --json",
    "returns show": "--user --json",
    "returns status": "--user --reason --to --json",
    "returns amend": "--user --reason --lot --serial --quantity --json",
    "returns waybill": "--user --out --json",
    "receive": "--barcode --gtin --lot --serial --quantity --location --user --json",
    "disposition create": "--kind --lot --serial --quantity --location --target-location "
    "--reason --user --json",
    "disposition complete": "--outcome --method --place --performed-by --witness "
    "--password-file --user --json",
    "disposition certificate": "--out --json",
    "workorders create": "--action --holder --user --json",
    "workorders escalate": "--every --json",
    "workorders evidence": "--out --json",
    "carriers list": "--user --json",
    "carriers add": "--user --name --party --max-weight --json",
    "rates list": "--user --json",
    "rates add": "--user --country --province --base-fee --per-kg --transit-days --currency --json",
    "providers list": "--user --json",
    "providers add": "--user --name --party --skill --device-model --latitude --longitude "
    "--technician --capacity --json",
    "seed": "--json",
}
ACCOUNTS = {"locked": "--json", "unlock": "--address --reason --user"}
AUDIT = {"verify": "", "checkpoint": ""}
CALENDAR = {
    "list": "--year --calendar --json",
    "coverage": "--calendar --json",
    "import": "--user --json",
    "set": "--kind --name --calendar --user --json",
    "delete": "--calendar --user --json",
    "mark-entered": "--note --calendar --user --json",
}
DEADLINES = {"due": "--json", "alert": "--every"}
PARTIES = {
    "reported": "--review --reported-by --search --json",
    "show": "--json",
    "verify": "--reason --user --json",
    "merge": "--into --check --reason --user --json",
}
TASKS = {"worker": "--interval --batch --queue-name", "stale": "", "requeue": ""}
UDI = {"parse": "--json"}
FILINGS = {
    "list": "--language --user --json",
    "generate": "--type --report --user --json",
    "enter": "--section --zh --en --note --note-en --type --report --user --json",
    "check": "--type --report --user --json",
    "sign": "--password-file --type --report --user --json",
    "submit": "--authority --reference --submitted-at --acknowledgement --type --report --user "
    "--json",
    "revise": "--note --note-en --type --report --user --json",
    "fda-record": "--class --event-id --z --classified-on --class-kept-reason --user --json",
    "fsn-gate": "--json",
    "fsn-override": "--reason --authority --reference --user --password-file --json",
}
FINANCE = {
    "ledger list": "--category --source --vendor --user --json",
    "ledger post": "--category --amount --currency --date --units --vendor "
    "--holder --document --description --attachment --user --json",
    "ledger reverse": "--reason --user --json",
    "ledger due": "--user --json",
    "ledger sweep": "--every --json",
    "rates list": "--currency --user --json",
    "rates set": "--user --json",
    "rates import": "--user --json",
    "unitcosts list": "--user --json",
    "unitcosts set": "--currency --model --user --json",
    "unitcosts delete": "--model --user --json",
    "providerrates list": "--user --json",
    "providerrates set": "--hourly --hours --per-km --currency --user --json",
    "budget show": "--json",
    "budget set": "--total --line --planned-disposition --planned-provider --reason --user --json",
    "alerts check": "--recall --every --json",
    "quotes request": "--kind --description --quantity --region --due --user --json",
    "quotes add": "--vendor --price --currency --lead-time --valid-until "
    "--quoted-on --coverage --notes --attachment --user --json",
    "quotes compare": "--on --json",
    "quotes award": "--vendor --reason --accept-expired --user --json",
    "quotes cancel": "--reason --user --json",
    "quotes scorecard": "--vendor --json",
    "refunds request": "--holder --quantity --unit-price --invoice --amount "
    "--currency --reason --reply --offer --user --json",
    "refunds approve": "--password-file --user --json",
    "refunds reject": "--reason --user --json",
    "refunds pay": "--paid-on --amount --method --credit-note --reference --user --json",
    "refunds list": "--recall --status --json",
    "refunds export": "--batch --format --output --user --json",
}
COMPANY = {
    "show": "--json",
    "set": "--fda-registration --srn --name-zh --address-zh --user --json",
}
TABLES = {
    "recall": RECALL,
    "notices": NOTICES,
    "execution": EXECUTION,
    "accounts": ACCOUNTS,
    "audit": AUDIT,
    "calendar": CALENDAR,
    "deadlines": DEADLINES,
    "parties": PARTIES,
    "tasks": TASKS,
    "udi": UDI,
    "filings": FILINGS,
    "finance": FINANCE,
    "company": COMPANY,
}
CASES = [
    pytest.param(command, words, options, id=f"{command} {words}")
    for command, table in TABLES.items()
    for words, options in table.items()
]


def _help(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*words, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def _listed(help_text: str) -> list[str]:
    """The options a help text lists (each at the start of a line of its ``options:`` part)."""
    options = help_text.split("\noptions:\n", 1)[1]
    return [o for o in re.findall(r"(?m)^  (--[\w-]+)", options) if o != "--help"]


@pytest.mark.parametrize(("command", "words", "options"), CASES)
def test_a_subcommands_help_lists_its_own_options_and_no_others(
    capsys: pytest.CaptureFixture[str], command: str, words: str, options: str
) -> None:
    shown = _help(capsys, command, *words.split())
    assert _listed(shown) == options.split()
    assert shown.startswith(f"usage: medrecall {command} {words} [-h]")
    others = {o for w, listed in TABLES[command].items() if w != words for o in listed.split()}
    for option in others - set(options.split()):
        assert f" {option} " not in shown.replace("\n", " ")


@pytest.mark.parametrize(
    ("words", "usage", "error"),
    [
        pytest.param(
            ["recall", "show", "RC-2026-0001", "--to", "closed"],
            "usage: medrecall recall show [-h] [--json] [NUMBER]\n",
            "medrecall recall show: error: unrecognized arguments: --to closed\n",
            id="recall show --to",
        ),
        pytest.param(
            ["notices", "list", "--user", "qa"],
            "usage: medrecall notices list [-h] [--recall RECALL] [--status STATUS]",
            "medrecall notices list: error: unrecognized arguments: --user qa\n",
            id="notices list --user",
        ),
        pytest.param(
            ["execution", "hold", "list", "RC-2026-0001", "--reason", "x"],
            "usage: medrecall execution hold list [-h] [--user USER] [--json] [RECALL]\n",
            "medrecall execution hold list: error: unrecognized arguments: --reason x\n",
            id="execution hold list --reason",
        ),
        pytest.param(
            ["execution", "seed", "--bogus"],
            "usage: medrecall execution seed [-h] [--json]\n",
            "medrecall execution seed: error: unrecognized arguments: --bogus\n",
            id="execution seed --bogus",
        ),
    ],
)
def test_an_option_the_subcommand_does_not_take_is_refused_with_its_usage_and_status_2(
    capsys: pytest.CaptureFixture[str], words: list[str], usage: str, error: str
) -> None:
    """Refused while parsing: no database is opened (the test has none), nothing runs."""
    with pytest.raises(SystemExit) as refused:
        main(words)
    assert refused.value.code == 2
    shown = capsys.readouterr().err
    assert (shown.startswith(usage), shown.endswith(error)) == (True, True), shown


def test_an_unknown_subcommand_is_refused_with_the_choices_and_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["execution", "hold", "lift", "RC-2026-0001"])
    assert refused.value.code == 2
    assert capsys.readouterr().err.endswith(
        "medrecall execution hold: error: argument hold_action: invalid choice: 'lift' "
        "(choose from 'place', 'release', 'list')\n"
    )


def test_an_area_without_its_action_says_which_actions_there_are(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["execution", "disposition"])
    assert refused.value.code == 1
    assert capsys.readouterr().err == (
        "CommandError: Give the action (create, complete, certificate).\n"
    )


@pytest.mark.parametrize(
    ("words", "verbosity", "traceback"),
    [
        pytest.param(["list"], 1, False, id="defaults"),
        pytest.param(["-v", "0", "list"], 0, False, id="before the subcommand"),
        pytest.param(["list", "-v", "2", "--traceback"], 2, True, id="after the subcommand"),
        pytest.param(["--traceback", "list", "--json"], 1, True, id="kept past the subcommand"),
    ],
)
def test_djangos_own_options_work_before_and_after_the_subcommand(
    words: list[str], verbosity: int, traceback: bool
) -> None:
    parser = load_command_class("medrecall.cli", "recall").create_parser("medrecall", "recall")
    parsed = parser.parse_args(words)
    assert (parsed.action, parsed.verbosity, parsed.traceback) == ("list", verbosity, traceback)


def test_a_subcommands_help_does_not_repeat_djangos_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert "--traceback" not in _help(capsys, "notices", "sweep")
    assert "--traceback" in _help(capsys, "notices")


def _parser(command: str) -> Any:
    return load_command_class("medrecall.cli", command).create_parser("medrecall", command)


@pytest.mark.parametrize(
    ("command", "words", "read_as"),
    [
        pytest.param(
            "recall",
            "--user qa transition RC-1 --to closed",
            "transition RC-1 --to closed --user qa",
            id="a value option",
        ),
        pytest.param(
            "execution",
            "--json --user=qa hold place RC-1",
            "hold place RC-1 --json --user=qa",
            id="a flag and option=value, two levels",
        ),
        pytest.param(
            "notices",
            "--traceback --json -v 2 list",
            "--traceback -v 2 list --json",
            id="django's own options stay",
        ),
        pytest.param(
            "recall", "--bogus x list", "--bogus x list", id="an unknown option stops the move"
        ),
        pytest.param("recall", "list --json", "list --json", id="already after"),
        pytest.param("trace", "--json forward", "--json forward", id="no subcommands"),
    ],
)
def test_options_typed_before_the_subcommand_are_read_after_it(
    command: str, words: str, read_as: str
) -> None:
    assert options_after_subcommand(_parser(command), words.split()) == read_as.split()


@pytest.mark.django_db
def test_the_command_line_still_takes_options_before_the_subcommand(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["recall", "--json", "list"])
    assert capsys.readouterr().out == "[]\n"
    with pytest.raises(SystemExit) as refused:
        main(["recall", "--to", "closed", "show", "RC-2026-0001"])
    assert refused.value.code == 2
    assert capsys.readouterr().err.endswith(
        "medrecall recall show: error: unrecognized arguments: --to closed\n"
    )
