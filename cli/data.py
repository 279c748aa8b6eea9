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

from conflict_events.cli.dispatch import Subcommand, run_subcommand

# A data action is registered like a top-level subcommand: name, module, help, and the
# module's argument adder and runner (``add_arguments`` / ``run`` unless named).
DataCommand = Subcommand


DATA_COMMANDS: tuple[DataCommand, ...] = (
    DataCommand(
        "validate",
        "conflict_events.training.validate",
        "check labelled JSONL files (format, offsets, labels, duplicates, leaks); --stats counts",
    ),
    DataCommand(
        "schema",
        "conflict_events.training.records",
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
        "pool",
        "conflict_events.training.pool",
        "unlabelled sentences of the permissive corpora, for distillation (held-out and dev left out)",
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
    return run_subcommand(command, args.argv, "conflict-events data")
