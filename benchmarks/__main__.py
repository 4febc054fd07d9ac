"""`python -m benchmarks`: how fast CareDesk answers on the demo set or a large one.

Builds the set (or reuses the one an earlier run built), takes every figure, prints them
against their targets, and writes them as JSON with a description of the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import BenchmarkError


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(__doc__ or "").split("\n\n")[0],
        epilog="Sets are cached: a SQLite file per size in the cache directory, or the "
        "database caredesk_bench_SIZE on the PostgreSQL server --db names (created through "
        "that URL's own database). The results go to --json FILE and beside the sets.",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="postgresql://user@host/db: the server to build sets on; sqlite:///FILE: the set's "
        "file (default: SIZE.db in the cache directory)",
    )
    parser.add_argument(
        "--size", choices=["demo", "large"], default="demo", help="which set (default demo)"
    )
    parser.add_argument("--json", metavar="FILE", type=Path, help="write the results here too")
    parser.add_argument(
        "--cache", metavar="DIR", type=Path, help="where sets, import files and results are kept"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="build the set again even if one is cached"
    )
    return parser


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every measurement ran (whether or not the targets were met),
    2 if one failed (the others are still reported)."""
    args = build_parser().parse_args(argv)
    from benchmarks.report import problems, table
    from benchmarks.runner import run_benchmark
    from benchmarks.sets import PRESETS
    from benchmarks.stores import default_cache, open_store

    cache: Path = (args.cache or default_cache()).expanduser().resolve()
    store = open_store(args.db, args.size, cache)
    try:
        results = run_benchmark(store, PRESETS[args.size], cache, rebuild=args.rebuild)
    except BenchmarkError as error:
        print(f"benchmark: {error}", file=sys.stderr)
        return 2
    body = json.dumps(results, indent=2) + "\n"
    cache.mkdir(parents=True, exist_ok=True)
    kept = cache / f"results-{store.key}.json"
    kept.write_text(body, encoding="utf-8")
    if args.json is not None:
        args.json.write_text(body, encoding="utf-8")
    compare = None
    demo_key = open_store(args.db, "demo", cache).key
    if args.size != "demo" and demo_key != store.key:
        compare = _load(cache / f"results-{demo_key}.json")
    machine = results["machine"]
    print(
        f"CareDesk benchmark: {args.size} set on {machine['database']} ({results['url']}), "
        f"{'reused' if results['set']['reused'] else 'built'}; {machine['cpu']}, "
        f"{machine['cores']} cores, {machine['ram_gb']} GiB, {machine['python']}"
    )
    held = results["set"]
    print(
        f"{held['counts']['customer']:,} customers, {held['counts']['interaction']:,} "
        f"interactions, {held['counts']['ticket']:,} contacts; the heaviest customer has "
        f"{held['heavy_interactions']:,} interactions"
    )
    print(table(results, compare))
    for line in problems(results):
        print(f"check failed: {line}")
    print(f"results: {args.json or kept}")
    for name, why in results["failed"].items():
        print(f"benchmark: {name} failed: {why}", file=sys.stderr)
    return 2 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
