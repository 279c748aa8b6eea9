"""``conflict-events data ACTION ...``: corpus tools, each imported only when it runs.

An action is registered as a :class:`DataCommand`: its name, the module holding its code, a help
line, and the names of the module's two functions, ``add_arguments(parser)`` and
``run(args) -> int`` by default. Nothing is imported to list the actions, so ``data validate``
stays on the light install, while a heavier action names the modules it requires and the extra
that installs them.

>>> [c.name for c in DATA_COMMANDS][:3]
['validate', 'schema', 'build-written']
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conflict_events.inference.cli import extra_hint, missing_modules


@dataclass(frozen=True)
class DataCommand:
    """One ``conflict-events data`` action and where its code lives."""

    name: str
    module: str
    help: str
    requires: tuple[str, ...] = ()  # import names that must be installed
    extra: str | None = None  # the pip extra that installs them
    add: str = "add_arguments"  # module function that adds the action's arguments to a parser
    run: str = "run"  # module function that runs it and returns the exit code

    def load(self) -> tuple[Callable[[argparse.ArgumentParser], None], Callable[..., int]]:
        """Import the module: its argument adder and its runner."""
        module = importlib.import_module(self.module)
        return getattr(module, self.add), getattr(module, self.run)


DATA_COMMANDS: tuple[DataCommand, ...] = (
    DataCommand(
        "validate",
        "conflict_events.training.validate",
        "check labelled JSONL files (format, offsets, labels, duplicates, leaks); --stats counts",
    ),
    DataCommand(
        "schema",
        "conflict_events.training.data_cli",
        "print the JSON Schema of a labelled record",
        add="add_schema_arguments",
        run="run_schema",
    ),
    DataCommand(
        "build-written",
        "conflict_events.training.corpus",
        "build data/corpus train/dev/test from the project's written draft files",
    ),
    DataCommand(
        "import-drafts",
        "conflict_events.training.standoff",
        "import real-text annotation drafts as stand-off records (data/annotations)",
        add="add_import_arguments",
        run="run_import",
    ),
    DataCommand(
        "join",
        "conflict_events.training.standoff",
        "join stand-off annotations with the public corpora's text into records JSONL",
        add="add_join_arguments",
        run="run_join",
    ),
    DataCommand(
        "convert",
        "conflict_events.training.sources.convert",
        "map a public corpus into labelled records (explicit per-source mapping, known_labels set)",
    ),
    DataCommand(
        "prepare",
        "conflict_events.training.prepare",
        "join annotations with the text, run the converters, write train/dev/test (--licence)",
    ),
    DataCommand(
        "agreement",
        "conflict_events.training.agreement",
        "inter-annotator agreement of two annotations of the same sentences",
    ),
    DataCommand(
        "sources",
        "conflict_events.training.sources.cli",
        "list the public corpora a reader exists for, or dump sentence candidates of one",
    ),
)


def add_schema_arguments(parser: argparse.ArgumentParser) -> None:
    """``data schema [--out FILE]``."""
    parser.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")


def run_schema(args: argparse.Namespace) -> int:
    """Print (or write) the record format's JSON Schema, from ``records.json_schema()``."""
    from conflict_events.training.records import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``data`` parser: an action name, then that action's own arguments."""
    width = max(len(c.name) for c in DATA_COMMANDS)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "actions:\n" + "\n".join(
        f"  {c.name:<{width}}  {c.help}" for c in DATA_COMMANDS
    )
    parser.epilog += "\n\nconflict-events data ACTION --help shows an action's arguments."
    parser.add_argument("action", choices=[c.name for c in DATA_COMMANDS], metavar="ACTION")
    parser.add_argument(
        "argv", nargs=argparse.REMAINDER, metavar="...", help="the action's arguments"
    )


def run(args: argparse.Namespace) -> int:
    """Import the action's module and run it on the rest of the command line."""
    command = next(c for c in DATA_COMMANDS if c.name == args.action)
    missing = missing_modules(command.requires)
    if missing:
        hint = extra_hint(f"data {command.name}", missing, command.extra)
        print(f"conflict-events: error: {hint}", file=sys.stderr)
        return 3
    add, run_action = command.load()
    parser = argparse.ArgumentParser(
        prog=f"conflict-events data {command.name}", description=command.help
    )
    add(parser)
    return int(run_action(parser.parse_args(args.argv)) or 0)
