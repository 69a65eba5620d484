"""Data contract: read, validate, regularise and split long-format polars frames."""

from energyai.data.flags import mask_flagged
from energyai.data.io import from_pandas, read_csv, read_parquet, read_table
from energyai.data.regularize import regularize
from energyai.data.split import rolling_origin_cutoffs, split_by_time
from energyai.data.validate import Problem, Report, check, infer_freq, validate

__all__ = [
    "Problem",
    "Report",
    "check",
    "from_pandas",
    "infer_freq",
    "mask_flagged",
    "read_csv",
    "read_parquet",
    "read_table",
    "regularize",
    "rolling_origin_cutoffs",
    "split_by_time",
    "validate",
]
