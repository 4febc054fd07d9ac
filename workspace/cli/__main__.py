"""`python -m workspace.cli`: the `caredesk` command, where the console script is not on PATH
(tests and benchmarks run it in a child process this way)."""

from __future__ import annotations

import sys

from workspace.cli import main

sys.exit(main())
