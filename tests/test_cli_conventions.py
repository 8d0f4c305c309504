"""The command line's conventions: --version, bare `quartet`, `quartet help CMD`, no abbreviated options, the
usage of the command a misspelling was typed for with the nearest name, help and a default for every option,
and files written with the user's umask."""

import argparse
import os
import stat

import pytest

from conformance import cli
from conformance.cli.common import USAGE
from conformance.core.registry import DISTRIBUTION
from conformance.run.files import write_atomically


def _run(capsys, *argv) -> tuple[int, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as done:
        code = done.code
    out = capsys.readouterr()
    return code, out.out + out.err


def _commands() -> dict[str, argparse.ArgumentParser]:
    return dict(cli.build_parser()._subparsers._group_actions[0].choices)


def test_version(capsys):
    code, out = _run(capsys, "--version")
    assert code == 0 and out.startswith(f"{DISTRIBUTION} ") and out.split()[1][0].isdigit()


def test_bare_quartet_and_help_list_the_commands(capsys):
    code, bare = _run(capsys)
    assert code == 0
    for name in _commands():
        assert name in bare
    assert _run(capsys, "help") == (0, bare)


def test_help_command_is_the_commands_own_help(capsys):
    _, own = _run(capsys, "code", "--help")
    code, out = _run(capsys, "help", "code")
    assert code == 0 and out == own and out.startswith("usage: quartet code")


@pytest.mark.parametrize(
    ("argv", "usage", "hint"),
    [
        (["doctor", "--js"], "usage: quartet doctor", "did you mean --json?"),  # an abbreviation is not an option
        (["check", "--bakends", "numpy"], "usage: quartet check", "did you mean --backends?"),
        (["chek"], "usage: quartet [", "did you mean 'check'?"),
        (["train", "planr"], "usage: quartet train", "did you mean 'planar'?"),
        (["help", "bnech"], "usage: quartet help", "did you mean 'bench'?"),
    ],
)
def test_a_misspelling_gets_its_commands_usage_and_the_nearest_name(capsys, argv, usage, hint):
    code, out = _run(capsys, *argv)
    assert code == USAGE
    assert out.startswith(usage) and hint in out


def test_every_option_has_help_and_says_its_default():
    for name, parser in _commands().items():
        formatter = parser.formatter_class(prog=parser.prog)
        for action in parser._actions:
            if (
                not action.option_strings
                or isinstance(action, argparse._HelpAction)
                or action.help == argparse.SUPPRESS
            ):
                continue
            assert action.help, f"quartet {name} {action.option_strings[0]} has no help"
            if action.nargs != 0:  # a flag's default is its absence
                assert "default" in formatter._get_help_string(action), f"quartet {name} {action.option_strings[0]}"


def test_files_are_written_with_the_users_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "report.html", b"<html></html>")
        os.umask(0o077)
        write_atomically(tmp_path / "private.csv", b"a\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private.csv").stat().st_mode) == 0o600
