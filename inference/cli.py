"""The ``conflict-events`` command: a light dispatcher that imports each subcommand only when run.

Each subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``. The heavy
ones (torch, transformers, datasets) are imported only after their extra is known to be installed,
so ``conflict-events tag`` and ``conflict-events --help`` start fast on the light install.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass


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
        "data",
        "conflict_events.training.data_cli",
        "validate, convert and prepare labelled corpora",
    ),
)


def missing_modules(names: Sequence[str]) -> list[str]:
    """The import names among ``names`` that cannot be imported here."""
    missing = []
    for name in names:
        if name in sys.modules:
            if sys.modules[name] is None:  # blocked on purpose (tests do this)
                missing.append(name)
            continue
        try:
            if importlib.util.find_spec(name) is None:
                missing.append(name)
        except (ImportError, ValueError):
            missing.append(name)
    return missing


def extra_hint(command: str, missing: Sequence[str], extra: str | None) -> str:
    """The message for a subcommand whose extra is not installed."""
    return (
        f"conflict-events {command} needs {', '.join(missing)}, which the light install "
        f"leaves out. Install the extra: pip install torch==2.13.0 && "
        f"pip install 'conflict-events[{extra}]'"
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
