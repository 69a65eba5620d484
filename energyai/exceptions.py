"""Exceptions raised by energyai.

Every error a user can cause derives from :class:`EnergyAIError`, so that
``except energyai.EnergyAIError`` catches all of them::

    EnergyAIError
    ├── ConfigError (also ValueError)          a bad parameter value
    ├── MissingDependencyError (also ImportError)   an optional extra is not installed
    ├── NotFittedError                          predict() before fit()
    ├── SchemaError (also ValueError)           the frame does not have the declared columns/dtypes
    │   ├── MissingColumnError
    │   └── ColumnTypeError
    ├── DataError (also ValueError)             the values break the data contract
    │   ├── TimestampError
    │   │   ├── NaiveTimestampError
    │   │   ├── DuplicateTimestampError
    │   │   └── IrregularTimestampError
    │   ├── NonFiniteValueError
    │   ├── NegativeValueError
    │   ├── CapacityExceededError
    │   ├── OutOfRangeError                    a value beyond what the float32 graph carries safely
    │   └── InsufficientDataError
    ├── LeakageError                            a value from after the forecast origin reached a model
    ├── DatasetError                            a registry or file problem
    │   └── ChecksumError
    ├── TrainingError                           training diverged (a non-finite loss)
    └── ArtifactError                           a saved model or ONNX file is unreadable
        └── IntegrityError                      its digest, checksums or signature do not match

Messages name the parameter, column or timestamps at fault and say how to fix them.
"""

from __future__ import annotations

__all__ = [
    "ArtifactError",
    "CalibrationShortfallWarning",
    "CalibrationSkippedWarning",
    "CapacityExceededError",
    "ChecksumError",
    "ColumnTypeError",
    "ConfigError",
    "DataError",
    "DatasetError",
    "DaylightSavingHorizonWarning",
    "DuplicateTimestampError",
    "EnergyAIError",
    "EnergyAIWarning",
    "ExportError",
    "InsufficientDataError",
    "IntegrityError",
    "IrregularTimestampError",
    "LeakageError",
    "MissingColumnError",
    "MissingDependencyError",
    "NaiveTimestampError",
    "NegativeValueError",
    "NonFiniteValueError",
    "NotFittedError",
    "OutOfRangeError",
    "SchemaError",
    "TimestampError",
    "TimestampRepairWarning",
    "TrainingError",
]


class EnergyAIError(Exception):
    """Base class of every energyai error."""


class EnergyAIWarning(UserWarning):
    """Base class of energyai warnings (turned into errors in the test suite)."""


class TimestampRepairWarning(EnergyAIWarning):
    """``validate(..., dst="shift" | "drop")`` placed or removed rows at daylight-saving changes;
    the message says how many and which."""


class CalibrationSkippedWarning(EnergyAIWarning):
    """``fit(calibrate=...)`` had too little data to hold out calibration origins: the model is
    fitted on everything and its quantiles are not calibrated (``manifest_["calibration"]``)."""


class CalibrationShortfallWarning(EnergyAIWarning):
    """After calibration, a central interval still covers far from its nominal share of the
    calibration origins themselves (more than 15 points off); the manifest records it."""


class DaylightSavingHorizonWarning(EnergyAIWarning):
    """A day-ahead preset fitted on data in a zone with daylight saving has a horizon that
    ends with a 24-hour delivery day: the last hour of the 25-hour day is never forecast
    (build the preset with ``tz=`` the data's zone). ``history_["dst_horizon"]`` records it."""


class ConfigError(EnergyAIError, ValueError):
    """A parameter has a value outside its allowed set or range."""


class MissingDependencyError(EnergyAIError, ImportError):
    """An optional dependency is missing; the message gives the pip command."""


class NotFittedError(EnergyAIError):
    """A model was used before ``fit`` was called."""


class SchemaError(EnergyAIError, ValueError):
    """The frame does not match the declared :class:`energyai.Schema`."""


class MissingColumnError(SchemaError):
    """A column named in the schema is absent."""


class ColumnTypeError(SchemaError):
    """A column has a dtype the contract does not allow."""


class DataError(EnergyAIError, ValueError):
    """Values in the frame break the data contract."""


class TimestampError(DataError):
    """A problem with the timestamp column."""


class NaiveTimestampError(TimestampError):
    """Timestamps carry no time zone and none was given."""


class DuplicateTimestampError(TimestampError):
    """A series has the same timestamp more than once."""


class IrregularTimestampError(TimestampError):
    """Timestamps are not on the declared frequency grid."""


class NonFiniteValueError(DataError):
    """NaN or infinite values where only finite values or nulls are allowed."""


class NegativeValueError(DataError):
    """Negative values in a target declared non-negative."""


class CapacityExceededError(DataError):
    """Generation above the declared capacity."""


class OutOfRangeError(DataError):
    """A value whose magnitude is beyond what energyai's float32 graph carries safely
    (:data:`energyai.limits.MAX_ABS`), or a covariate far outside its training range."""


class InsufficientDataError(DataError):
    """Too little history for the requested operation."""


class LeakageError(EnergyAIError):
    """Information from after the forecast origin reached a model."""


class DatasetError(EnergyAIError):
    """A dataset is unknown, or its files are missing."""


class ChecksumError(DatasetError):
    """A dataset file does not have its registered sha256."""


class ArtifactError(EnergyAIError):
    """A saved model or exported file cannot be read or is of an unsupported version."""


class IntegrityError(ArtifactError):
    """A model file or folder is not what was written: a digest, checksum or signature mismatch,
    or a folder left half-written by an interrupted save."""


class TrainingError(EnergyAIError):
    """Training cannot go on: the loss became NaN or infinite (the message names the step)."""


class ExportError(EnergyAIError):
    """An ONNX export failed or did not pass the parity gate; no file was written."""
