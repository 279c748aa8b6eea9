"""``python -m conflict_events.cli``: the ``conflict-events`` command."""

import sys

from conflict_events.cli.dispatch import main

sys.exit(main())
