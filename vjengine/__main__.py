"""`python -m vjengine`: the command line."""

from vjengine.cli import main

raise SystemExit(main())
