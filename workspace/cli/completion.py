"""`caredesk completion SHELL`: the shell completion script, generated from the parser, so
it always offers the commands and options this version has (shtab writes it)."""

from __future__ import annotations

import argparse
import sys

from workspace.cli.common import Subparsers
from workspace.cli.terminal import write

SHELLS = ("bash", "zsh", "tcsh")
"""The shells shtab writes completion for."""


def add(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "completion",
        help="print the shell completion script for bash, zsh or tcsh",
        description="Print the completion script for SHELL on standard output. Load it in your "
        "shell's start-up file, for example:\n\n"
        '  bash: eval "$(caredesk completion bash)"      (in ~/.bashrc)\n'
        "  zsh:  caredesk completion zsh > ~/.zfunc/_caredesk   (with ~/.zfunc on $fpath)\n"
        "  tcsh: eval `caredesk completion tcsh`         (in ~/.tcshrc)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import shtab

    from workspace.cli import build_parser

    # A script: its backslashes are its own.
    write(sys.stdout, shtab.complete(build_parser(), shell=args.shell), json=True)
    return 0
