"""Entry point: ``python -m conflict_events.training.sources {list,dump} ...``."""

import sys

from conflict_events.training.sources.cli import main

sys.exit(main())
