"""Review periods: a label per cadence (2026Q4 quarterly, 2026H2 twice a year, 2026-11 monthly,
2026 yearly) and the first day of each."""

from __future__ import annotations

import datetime
import re

_PATTERNS = [
    (re.compile(r"^(\d{4})Q([1-4])$"), 3),
    (re.compile(r"^(\d{4})H([12])$"), 6),
    (re.compile(r"^(\d{4})-(\d{2})$"), 1),
    (re.compile(r"^(\d{4})$"), 12),
]


def period_label(day: datetime.date, cadence_months: int) -> str:
    if cadence_months == 3:
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    if cadence_months == 6:
        return f"{day.year}H{(day.month - 1) // 6 + 1}"
    if cadence_months == 1:
        return f"{day.year}-{day.month:02d}"
    if cadence_months == 12:
        return f"{day.year}"
    raise ValueError(f"Unsupported review cadence: every {cadence_months} months.")


def period_start(label: str) -> datetime.date:
    """First day of the period named by `label`; ValueError with a readable message otherwise."""
    label = (label or "").strip().upper()
    for pattern, months in _PATTERNS:
        m = pattern.match(label)
        if not m:
            continue
        year = int(m.group(1))
        if months == 12:
            return datetime.date(year, 1, 1)
        n = int(m.group(2))
        if months == 1:
            if not 1 <= n <= 12:
                break
            return datetime.date(year, n, 1)
        return datetime.date(year, (n - 1) * months + 1, 1)
    raise ValueError(f"'{label}' is not a review period; write it like 2026Q4, 2026H2, 2026-11 or 2026.")


def period_name(label: str) -> str:
    label = label.upper()
    if "Q" in label:
        year, q = label.split("Q")
        return f"Access review Q{q} {year}"
    if "H" in label:
        year, h = label.split("H")
        return f"Access review H{h} {year}"
    return f"Access review {label}"
