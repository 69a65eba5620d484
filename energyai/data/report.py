"""What validation found: :class:`Problem` (one defect, with its typed error) and :class:`Report`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from energyai.exceptions import EnergyAIError
from energyai.schema import Schema

if TYPE_CHECKING:
    pass

__all__ = ["Problem", "Report"]


@dataclass(frozen=True)
class Problem:
    """One violation of the data contract.

    Attributes
    ----------
    error : type
        The exception class :func:`validate` raises for it.
    column : str or None
        The column at fault.
    message : str
        What is wrong, where, and how to fix it.
    """

    error: type[EnergyAIError]
    column: str | None
    message: str

    def __str__(self) -> str:
        return f"[{self.error.__name__}] {self.message}"


@dataclass
class Report:
    """Result of :func:`check`.

    Attributes
    ----------
    frame : polars.DataFrame or None
        The frame sorted by (series, timestamp) with time-zone-aware timestamps, or None
        when a structural problem stopped the checks.
    schema : Schema
        The schema with ``freq`` and ``tz`` resolved.
    problems : list of Problem
    stats : dict
        Rows, series, frequency, missing targets and grid gaps.
    """

    frame: Any
    schema: Schema
    problems: list[Problem] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def raise_if_problems(self) -> None:
        """Raise the first problem's exception; its message lists all of them."""
        if not self.problems:
            return
        first = self.problems[0]
        message = first.message
        if len(self.problems) > 1:
            others = "\n".join(f"  - {p}" for p in self.problems[1:])
            message += f"\n{len(self.problems) - 1} more problem(s):\n{others}"
        raise first.error(message)
