"""Readers: CSV, Parquet and pandas into polars frames with parsed timestamps."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from energyai._optional import import_optional
from energyai.exceptions import ColumnTypeError, DataError, DatasetError, MissingColumnError
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "the data layer")

__all__ = ["from_pandas", "parse_timestamp_column", "read_csv", "read_parquet", "read_table"]

#: Text read as a missing value (null) in CSV files.
NULL_TOKENS = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"]


def parse_timestamp_column(df: pl.DataFrame, column: str, fmt: str | None = None) -> pl.DataFrame:
    """Parse a string timestamp column; leave datetime and date columns as they are.

    Strings with a UTC offset (``2011-04-15 00:00:00-07:00``) become UTC-aware datetimes
    of the same instant. Strings without one stay naive until validation localises them.

    Raises
    ------
    MissingColumnError
        If ``column`` is absent.
    ColumnTypeError
        If the strings cannot be parsed; the message quotes the first unparseable value.
    """
    if column not in df.columns:
        raise MissingColumnError(
            f"timestamp column {column!r} not found; columns present: {df.columns}"
        )
    dtype = df.schema[column]
    if dtype == pl.String:
        try:
            parsed = df[column].str.to_datetime(format=fmt, time_unit="us")
        except Exception as exc:  # polars raises several exception types here
            sample = df[column].head(3).to_list()
            raise ColumnTypeError(
                f"cannot parse timestamps in column {column!r} (first values {sample}); "
                "give the format explicitly, for example --timestamp-format '%Y-%m-%d %H:%M'"
            ) from exc
        bad = parsed.is_null() & df[column].is_not_null()
        if bad.any():
            first = df.filter(bad)[column].head(3).to_list()
            raise ColumnTypeError(f"unparseable timestamps in column {column!r}: {first}")
        return df.with_columns(parsed.alias(column))
    return df


def read_csv(
    path: str | Path,
    schema: Schema | None = None,
    *,
    timestamp_format: str | None = None,
    separator: str = ",",
    **kwargs: Any,
) -> pl.DataFrame:
    """Read a CSV file into a polars frame.

    Empty fields and the tokens in :data:`NULL_TOKENS` become null (missing), never NaN,
    so validation can tell a missing value from a corrupt one. The timestamp column of
    ``schema`` is parsed; its time zone is applied later by :func:`energyai.data.validate`.

    Parameters
    ----------
    path : str or Path
        File to read; ``.gz`` files are decompressed.
    schema : Schema, optional
        Names the timestamp column to parse.
    timestamp_format : str, optional
        strftime format of the timestamps; inferred when None.
    """
    path = _existing_file(path)
    overrides: dict[str, Any] = {}
    if schema is not None:
        overrides[schema.timestamp] = pl.String
        if schema.series_id:
            overrides[schema.series_id] = pl.String
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty; a CSV file needs a header row and data rows")
    try:
        df = pl.read_csv(
            path,
            separator=separator,
            null_values=NULL_TOKENS,
            schema_overrides=overrides,
            infer_schema_length=100_000,
            **kwargs,
        )
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"cannot read {path} as CSV: {_reason(exc)}. {_CSV_HINT}") from exc
    if df.width == 0 or df.height == 0:
        raise DataError(f"{path} has no data rows (columns {df.columns}); a CSV file needs a header and rows")
    if schema is not None:
        df = parse_timestamp_column(df, schema.timestamp, timestamp_format)
    return df


_CSV_HINT = ("Check that every row has the header's number of fields, that quotes are closed, and that the file is "
             "UTF-8 (re-save it as 'CSV UTF-8'); pass separator= for ';' or tab files")


def _reason(exc: BaseException) -> str:
    """The first line of a reader's error, without polars' long hints."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def _existing_file(path: str | Path) -> Path:
    from energyai.fileio import regular_file

    p = Path(path)
    if not p.exists():
        raise DatasetError(f"file not found: {p}")
    if p.is_dir():
        raise DatasetError(f"{p} is a folder; give the path of a CSV or Parquet file")
    return regular_file(p, "data file", DatasetError)


def read_parquet(path: str | Path, schema: Schema | None = None) -> pl.DataFrame:
    """Read a Parquet file; string timestamps are parsed as in :func:`read_csv`.

    Parameters
    ----------
    path : str or Path
        The file to read.
    schema : Schema, optional
        Names the timestamp column to parse when it is stored as text.

    Returns
    -------
    polars.DataFrame
        As stored; validate it with :func:`energyai.validate`.

    Raises
    ------
    DataError
        The file is missing, empty or not Parquet.
    """
    path = _existing_file(path)
    try:
        df = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise DataError(f"cannot read {path} as Parquet: {_reason(exc)}; is it a complete Parquet file?") from exc
    if schema is not None:
        df = parse_timestamp_column(df, schema.timestamp)
    return df


def read_table(path: str | Path, schema: Schema | None = None, **kwargs: Any) -> pl.DataFrame:
    """Read CSV (``.csv``, ``.csv.gz``, ``.txt``) or Parquet (``.parquet``, ``.pq``) by suffix."""
    name = Path(path).name.lower()
    if name.endswith((".parquet", ".pq")):
        return read_parquet(path, schema)
    return read_csv(path, schema, **kwargs)


def from_pandas(frame: Any, schema: Schema | None = None) -> pl.DataFrame:
    """Convert a pandas DataFrame; a DatetimeIndex becomes the timestamp column.

    NaN in float columns becomes null, pandas' own marker for a missing value.
    """
    pd = import_optional("pandas", "reading pandas frames")
    if not isinstance(frame, pd.DataFrame):
        raise ColumnTypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if isinstance(frame.index, pd.DatetimeIndex):
        name = frame.index.name or (schema.timestamp if schema else "timestamp")
        frame = frame.reset_index(names=name)
    try:
        df = pl.from_pandas(frame, nan_to_null=True)
    except Exception as exc:  # pyarrow raises ArrowInvalid / ArrowTypeError for mixed object columns
        raise _mixed_column_error(frame, exc) from exc
    if schema is not None:
        df = parse_timestamp_column(df, schema.timestamp)
    return df


def _mixed_column_error(frame: Any, exc: Exception) -> ColumnTypeError:
    """The typed error for a pandas frame polars cannot take: the first column (and row) that
    holds values of more than one kind (numbers and strings in an object column)."""
    for name in frame.columns:
        col = frame[name]
        if str(col.dtype) != "object":
            continue
        kinds = col.map(lambda v: type(v).__name__)
        if kinds.nunique(dropna=True) > 1 or not kinds.isin(["str", "float", "int", "NoneType"]).all():
            first = kinds.iloc[0]
            row = next((i for i, k in enumerate(kinds) if k != first and k != "NoneType"), 0)
            return ColumnTypeError(
                f"column {name!r} mixes value types ({sorted(set(kinds))}): row {row} holds {col.iloc[row]!r}; "
                f"convert it first, for example pd.to_numeric(df[{name!r}], errors='coerce') after checking the "
                "entries that become NaN"
            )
    return ColumnTypeError(f"this pandas frame cannot be converted ({type(exc).__name__}: {exc}); give each column "
                           "one type (numbers, or datetimes for the timestamp)")
