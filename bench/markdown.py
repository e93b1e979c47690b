"""Renders ``--json`` reports as the Markdown tables of ``docs/BENCHMARKS.md``.

``python -m bench.markdown A.json B.json`` prints one table per model, rows from every
report given (a model split over several runs is merged, first report first).

Example:
    >>> report = {"machine": {"gemm_flops": 1e11}, "models": {"mlp": {
    ...     "floor": {"epoch_floor_s": 0.5, "eval_floor_s": 0.05},
    ...     "peers": {"numpy": {"label": "numpy layers", "status": "ok",
    ...         "epoch_s": [2.0, 1.0, 3.0], "epoch_median_s": 2.0, "eval_median_s": 0.1,
    ...         "compile_s": 0.0, "peak_rss": 2 ** 28, "baseline_rss": 2 ** 27,
    ...         "valid_error": 0.05, "epoch_cpu_s": [3.0, 2.0, 5.0]}}}}}
    >>> lines = render([report]).splitlines()
    >>> lines[0], lines[2].split(" | ")[:3]
    ('### mlp', ['| peer', 'epoch s (median)', 'epoch s (min)'])
    >>> lines[4]
    '| numpy layers | 2.00 | 1.00 | 3.00 | 4.0 | 0.100 | 0.00 | 256 | +128 | 5.00% | — |'
"""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from bench.report import steal_share

MB = 1 << 20
COLUMNS = ("peer", "epoch s (median)", "epoch s (min)", "epoch CPU s", "× floor", "eval s",
           "compile s", "peak MB", "+MB", "valid err", "steal")


def _row(r: dict, floor: dict) -> list[str]:
    if r["status"] != "ok":
        return [r["label"], r["status"]] + [""] * (len(COLUMNS) - 2)
    cpu = r.get("epoch_cpu_s")
    return [
        r["label"], f"{r['epoch_median_s']:.2f}", f"{min(r['epoch_s']):.2f}",
        f"{statistics.median(cpu):.2f}" if cpu else "—",
        f"{r['epoch_median_s'] / floor['epoch_floor_s']:.1f}",
        f"{r['eval_median_s']:.3f}", f"{r['compile_s']:.2f}",
        f"{r['peak_rss'] / MB:.0f}", f"{(r['peak_rss'] - r['baseline_rss']) / MB:+.0f}",
        f"{100 * r['valid_error']:.2f}%", steal_share(r),
    ]


def render(reports: list[dict]) -> str:
    """Markdown tables, one per model, merging the reports' rows."""
    models: dict[str, tuple[dict, list[dict]]] = {}
    for report in reports:
        for model, block in report["models"].items():
            floor, rows = models.setdefault(model, (block["floor"], []))
            rows.extend(block["peers"].values())
    out = []
    for model, (floor, rows) in models.items():
        out += [f"### {model}", "", "| " + " | ".join(COLUMNS) + " |",
                "|" + "---|" * len(COLUMNS)]
        out += ["| " + " | ".join(_row(r, floor)) + " |" for r in rows]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render([json.loads(Path(p).read_text()) for p in sys.argv[1:]]))
