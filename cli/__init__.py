"""conflict_events.cli: the ``conflict-events`` command, above the three layers.

``main`` dispatches to subcommands (``tag``, ``train``, ``evaluate``, ``export``, ``data ...``)
by module name, importing each only when it runs; see :mod:`conflict_events.cli.dispatch`.
"""

from conflict_events.cli.dispatch import SUBCOMMANDS, Subcommand, main

__all__ = ["SUBCOMMANDS", "Subcommand", "main"]
