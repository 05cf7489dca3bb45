"""One row builder and one table for every benchmark suite, whether run by scripts/bench or alone
(`python -m benchmarks.<name>_suite [--quick]`). No Django import here: bench.py loads it before setup."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _round(value):
    if isinstance(value, float):
        return round(value, 3 if abs(value) < 10 else 1)
    return value


def row(suite: str, measure: str, value, unit: str, reference: str = "", reference_value=None, target: str = "",
        met: bool | None = None, notes: str = "", ratio: float | None = None) -> dict:
    """One line of the table; ratio = value / reference_value unless given (how many times the reference)."""
    if ratio is None and reference_value not in (None, 0) and value is not None:
        ratio = value / reference_value
    return {"suite": suite, "measure": measure, "value": _round(value), "unit": unit, "reference": reference,
            "reference_value": _round(reference_value), "ratio": None if ratio is None else round(ratio, 3),
            "target": target, "met": met, "notes": notes}


def print_table(rows: list[dict], out=None) -> None:
    out = out or sys.stdout

    def fmt(v, unit=""):
        if v is None:
            return ""
        if isinstance(v, bool):
            return "yes" if v else "NO"
        if isinstance(v, float):
            v = f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
        elif isinstance(v, int):
            v = f"{v:,}"
        return f"{v} {unit}".strip()

    table = [("suite", "measure", "value", "reference", "ratio", "target", "met")]
    for r in rows:
        ref = f"{fmt(r['reference_value'], r['unit'])} ({r['reference']})" if r.get("reference") else ""
        table.append((r["suite"], r["measure"], fmt(r["value"], r["unit"]), ref, fmt(r["ratio"]),
                      r.get("target") or "", fmt(r.get("met"))))
    widths = [max(len(str(line[i])) for line in table) for i in range(len(table[0]))]
    for n, line in enumerate(table):
        out.write("| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) + " |\n")
        if n == 0:
            out.write("|" + "|".join("-" * (w + 2) for w in widths) + "|\n")
    for r in rows:
        if r.get("notes"):
            out.write(f"  {r['measure']}: {r['notes']}\n")


def standalone(run, argv=None) -> None:
    """`python -m benchmarks.<suite> [--quick]`: Django against DATABASE_URL, the suite, its table."""
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portalgov.test_settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    print_table(run(quick="--quick" in argv))
