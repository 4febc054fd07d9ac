"""What every measurement shares: its error, percentiles, child processes and progress lines."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Sequence
from typing import Any


class BenchmarkError(RuntimeError):
    """A measurement could not be taken (a child failed, the app never showed what it waits for)."""


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of `values`, interpolated between the closest ranks."""
    if not values:
        raise BenchmarkError("no samples to take a percentile of")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """The median of `values`."""
    return percentile(values, 50)


def say(message: str) -> None:
    """One progress line on standard error, so standard output stays the table."""
    print(f"· {message}", file=sys.stderr, flush=True)


def run_child(module: str, *args: str, timeout: float = 900.0) -> dict[str, Any]:
    """Run `python -m module args...` and return the JSON object on the last line it prints."""
    command = [sys.executable, "-m", module, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        said = done.stderr.strip() or done.stdout.strip()
        # The first error and the last: a failure inside the app can end in a second one
        # raised while it shuts down, which alone would hide the cause.
        shown = said if len(said) <= 3000 else f"{said[:1000]}\n…\n{said[-2000:]}"
        raise BenchmarkError(f"{module} exited with {done.returncode}: {shown}")
    result = json.loads(lines[-1])
    if not isinstance(result, dict):
        raise BenchmarkError(f"{module} printed {lines[-1]!r}, not a JSON object")
    return result
