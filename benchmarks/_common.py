"""Helpers shared by the benchmark scripts: arguments, statistics, tables and the RESULT line.

Benchmarks print figures; they never assert on speed. Every ratio they report is taken against
a baseline measured in the same run, interleaved with it, because the machines are noisy.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "REPO_ROOT",
    "SRC_DIR",
    "emit_result",
    "ensure_safeai_importable",
    "machine_info",
    "median",
    "parse_args",
    "percentile",
    "print_table",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
SRC_DIR = REPO_ROOT / "src"


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The arguments every benchmark takes: ``--quick`` for a smoke run of a few seconds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="few rounds, a few seconds (CI smoke run)"
    )
    return parser.parse_args(argv)


def ensure_safeai_importable() -> None:
    """Put the repository's ``src`` on ``sys.path`` when safeai is not installed."""
    if importlib.util.find_spec("safeai") is None:
        sys.path.insert(0, str(SRC_DIR))


def median(values: Sequence[float]) -> float:
    """The median; ``nan`` for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1), interpolated linearly between ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain aligned table: the first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[_cell(value) for value in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [
            row[i].ljust(widths[i]) if i == 0 else row[i].rjust(widths[i]) for i in range(len(row))
        ]
        return "  ".join(parts).rstrip()

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def machine_info() -> dict[str, object]:
    """What the figures were measured on."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "cpus": os.cpu_count(),
    }


def emit_result(figures: dict[str, object]) -> None:
    """The final machine-readable line: ``RESULT {json}`` (a figure that is not a number is
    written as ``null``)."""
    clean = {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in figures.items()
    }
    print("RESULT " + json.dumps(clean, sort_keys=True, default=str), flush=True)
