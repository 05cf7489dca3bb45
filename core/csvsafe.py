"""CSV exports that spreadsheets cannot turn into formulas (CSV injection).

Excel and friends run a cell that starts with = + - @ (or a tab / carriage return) as a formula, so
every exported text cell that starts with one gets a leading apostrophe.
"""

import csv

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_unsafe(value: str) -> str:
    """Undo csv_safe on a cell read back from one of our exports, so an export re-imports unchanged."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        # csv.writer.writerow returns what the stream's write() returned (the line, when streaming).
        return self._writer.writerow([csv_safe(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def safe_csv_writer(stream, **kwargs):
    """csv.writer whose every cell goes through csv_safe."""
    return _SafeWriter(csv.writer(stream, **kwargs))
