"""How the command line shows and writes tables: whole, in the format asked, with one
timestamp format (ISO 8601 with the UTC offset, in the data's time zone) in every file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["FORMATS", "iso_timestamps", "render", "write_csv"]

#: ``--format`` choices: a readable table, or a machine format
FORMATS = ("table", "csv", "json", "markdown")
ISO = "%Y-%m-%dT%H:%M:%S%:z"


def iso_timestamps(frame: Any) -> Any:
    """``frame`` with every time-zone-aware datetime column as ISO 8601 text with offset
    (``2021-01-01T09:00:00+09:00``), as the runtime's CSV writes it."""
    import polars as pl

    cols = [c for c, t in frame.schema.items() if isinstance(t, pl.Datetime) and t.time_zone is not None]
    return frame.with_columns([pl.col(c).dt.to_string(ISO) for c in cols]) if cols else frame


def write_csv(frame: Any, path: str | Path) -> Path:
    """Write ``frame`` as CSV with ISO 8601 timestamps (:func:`iso_timestamps`)."""
    out = Path(path)
    iso_timestamps(frame).write_csv(out)
    return out


def render(frame: Any, fmt: str = "table") -> str:
    """The whole of ``frame`` as text: every row and column, names unwrapped."""
    import polars as pl

    if fmt == "csv":
        return str(iso_timestamps(frame).write_csv())
    if fmt == "json":
        return json.dumps(iso_timestamps(frame).to_dicts(), indent=2, default=str)
    if fmt == "markdown":
        with pl.Config(tbl_formatting="MARKDOWN", tbl_hide_column_data_types=True, tbl_hide_dataframe_shape=True,
                       tbl_rows=-1, tbl_cols=-1, tbl_width_chars=10_000, fmt_str_lengths=200):
            return str(frame)
    if fmt != "table":
        from energyai.exceptions import ConfigError

        raise ConfigError(f"format must be one of {FORMATS}, got {fmt!r}")
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=10_000, fmt_str_lengths=200,
                   tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        return str(frame)
