"""CSV in and out for the runtime CLI, with the standard library only."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np

from energyai.exceptions import ColumnTypeError, DataError, MissingColumnError

__all__ = ["read_csv_columns"]

_MISSING = {"", "nan", "NaN", "NA", "null", "None"}


def read_csv_columns(path: str | Path, numeric: list[str]) -> dict[str, np.ndarray]:
    """Columns of a CSV (``.csv`` or ``.csv.gz``) file; ``numeric`` ones as float64 with NaN for blanks.

    Other columns stay strings (timestamps are parsed later, in the model's time zone).
    """
    from energyai.fileio import regular_file

    src = regular_file(path, "data file")
    opener = gzip.open if src.suffix == ".gz" else open
    try:
        with opener(src, "rt", newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            try:
                header = next(reader)
            except StopIteration:
                raise MissingColumnError(f"{src} is empty") from None
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise DataError(f"{src} is not UTF-8 text (byte {exc.start}: {exc.object[exc.start:exc.start + 1]!r}); "
                        "save the CSV as UTF-8") from None
    seen: set[str] = set()
    repeated = sorted({h for h in header if h in seen or seen.add(h)})  # type: ignore[func-returns-value]
    if repeated:
        raise DataError(f"{src}: column(s) {repeated} appear more than once in the header; which one is meant is "
                        "ambiguous, so rename or drop the copies")
    cols: dict[str, np.ndarray] = {}
    for j, name in enumerate(header):
        values = [r[j] if j < len(r) else "" for r in rows]
        if name in numeric:
            out = np.empty(len(values), np.float64)
            for i, v in enumerate(values):
                v = v.strip()
                if v in _MISSING:
                    out[i] = np.nan
                    continue
                try:
                    out[i] = float(v)
                except ValueError:
                    raise ColumnTypeError(f"{src}: column {name!r} row {i + 2} holds {v!r}, not a number") from None
            cols[name] = out
        else:
            cols[name] = np.array(values, dtype=object)
    return cols
