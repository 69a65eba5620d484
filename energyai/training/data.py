"""Batches of windows cut from a :class:`~energyai.data.panel.Panel` by index arithmetic.

A batch is gathered with one fancy-indexing call per array; no per-window Python object
exists. Training batches draw window numbers uniformly with replacement from a seeded
generator keyed by (seed, rank, epoch, batch), so runs are reproducible, every DDP rank
draws different windows without a sampler, and memory does not grow with the number of
windows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from energyai.assemble import assemble
from energyai.contract import NAMES, Batch, Window
from energyai.data.panel import Panel
from energyai.windows import WindowIndex, gather

__all__ = ["WindowBatches", "make_batch", "sample_windows"]


def make_batch(panel: Panel, starts: np.ndarray, series: np.ndarray, context: int, horizon: int,
               as_tensors: bool = True, names: tuple[str, ...] = NAMES) -> Batch:
    """The :class:`~energyai.contract.Batch` of the windows starting at ``starts`` (global panel positions).

    The target is NaN where not observed (the contract's convention); ``past_observed``
    is its mask. Capacity is the panel's capacity over the horizon, ``inf`` without one.
    Tensors by default, numpy arrays with ``as_tensors=False``.
    """
    span = context + horizon
    y = gather(panel.target, starts, span)
    m = gather(panel.observed, starts, span).astype(np.float32)
    B = len(starts)
    past = gather(panel.past, starts, context) if panel.past.shape[1] else np.zeros((B, context, 0), np.float32)
    fut = gather(panel.future, starts, span) if panel.future.shape[1] else np.zeros((B, span, 0), np.float32)
    if panel.vintaged is not None:  # the weather run available at each origin, over its horizon
        fut = panel.vintaged.apply(fut, starts + context - 1, context)
    unit, count = np.datetime_data(panel.utc.dtype)
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit] // count
    utc = panel.utc.gather(starts, span).view(np.int64) // per_second  # int64 UTC seconds
    cap = gather(panel.capacity, starts + context, horizon).astype(np.float32) if panel.capacity is not None \
        else np.full((B, horizon), np.inf, np.float32)
    given = {}
    if panel.holiday_override is not None and "holiday_override" in names:
        given["holiday_override"] = gather(panel.holiday_override, starts, span)
    if panel.site_override is not None and "site_override" in names:
        given["site_override"] = panel.site_override[series]
    window = Window(target=np.ascontiguousarray(y[:, :context]), utc=np.ascontiguousarray(utc), past=past, future=fut,
                    static=panel.static[series], capacity=cap, local=panel.local_time.gather(starts, span),
                    given=given)
    inputs: dict[str, Any] = dict.fromkeys(NAMES)  # inputs the network does not read stay None
    inputs.update(assemble(window, [n for n in NAMES if n in names]))
    inputs["past_observed"] = np.ascontiguousarray(m[:, :context])  # the panel's mask, not NaN tests
    batch = Batch(**inputs, future_target=np.ascontiguousarray(y[:, context:]),
                  future_observed=np.ascontiguousarray(m[:, context:]), weight=panel.weights[series])
    if not as_tensors:
        return batch
    return Batch(*(None if a is None else torch.from_numpy(a) for a in batch))


#: Bytes a training step holds per input value of a batch, as a multiple of the inputs'
#: float32 bytes (the batch, its tensors, activations and gradients; a rough upper figure).
BATCH_MEMORY_FACTOR = 8


def check_batch_memory(batch_size: int, steps: int, columns: int) -> None:
    """Refuse a ``batch_size`` whose windows cannot fit in this machine's memory, before any
    allocation (``batch_size=10**9`` used to end in a MemoryError or the OOM killer).

    The estimate is ``batch_size x steps x columns x 4 bytes x`` :data:`BATCH_MEMORY_FACTOR`
    against the physical memory (``os.sysconf``; not checked where that is unknown).
    """
    import os

    from energyai.exceptions import ConfigError

    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return
    need = int(batch_size) * int(steps) * int(columns) * 4 * BATCH_MEMORY_FACTOR
    if total > 0 and need > total:
        raise ConfigError(
            f"batch_size={batch_size} needs about {need / 2**30:.1f} GiB for windows of {steps} steps x {columns} "
            f"inputs, more than this machine's {total / 2**30:.1f} GiB of memory; lower trainer.batch_size "
            "(64 to 1024 is usual)"
        )


class WindowBatches(Dataset):
    """A map-style dataset whose items are whole batches.

    Parameters
    ----------
    panel : Panel
    index : WindowIndex
    context, horizon : int
    batch_size : int
    n_batches : int, optional
        Batches per epoch when ``shuffle``; otherwise every window is visited once in order.
    shuffle : bool
        Draw random windows (training) or walk them in order (validation).
    seed : int
    max_windows : int, optional
        Without shuffle, visit at most this many windows, evenly spaced.
    names : tuple of str
        The contract inputs to make (the network's ``reads()``); the others stay None.
    context_dropout : float
        With ``shuffle``, the share of windows whose whole target context is hidden
        (``past_observed`` 0), drawn from the same seeded generator.
    optional : tuple of int
        Positions of the future covariates the network may see missing.
    covariate_dropout : float
        With ``shuffle``, the share of windows whose ``optional`` covariates are set NaN
        over the whole window (as for a site without that weather feed).
    """

    def __init__(
        self,
        panel: Panel,
        index: WindowIndex,
        context: int,
        horizon: int,
        batch_size: int,
        *,
        n_batches: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        max_windows: int | None = None,
        names: tuple[str, ...] = NAMES,
        context_dropout: float = 0.0,
        optional: tuple[int, ...] = (),
        covariate_dropout: float = 0.0,
    ) -> None:
        check_batch_memory(batch_size, context + horizon, 2 + panel.past.shape[1] + panel.future.shape[1])
        self.panel, self.index = panel, index
        self.context_dropout = context_dropout
        self.optional, self.covariate_dropout = tuple(optional), covariate_dropout
        self.context, self.horizon, self.batch_size = context, horizon, batch_size
        self.shuffle, self.seed, self.names = shuffle, seed, names
        self.epoch = 0
        self.rank = 0
        self.skip = 0  # batches of this epoch already trained on (a resumed run)
        self.resume_epoch = -1
        n = len(index)
        if shuffle:
            self.order = None
            self.n_batches = n_batches or max(math.ceil(n / batch_size), 1)
        else:
            m = n if max_windows is None else min(n, max_windows)
            self.order = np.unique(np.linspace(0, n - 1, m).astype(np.int64)) if m else np.zeros(0, np.int64)
            self.n_batches = math.ceil(len(self.order) / batch_size)

    def __len__(self) -> int:
        return self.n_batches

    def __getitem__(self, i: int) -> Batch:
        hide = drop = None
        if self.shuffle:
            rng = np.random.default_rng([self.seed, self.rank, self.epoch, i])
            idx = rng.integers(0, len(self.index), self.batch_size)
            if self.context_dropout > 0:
                hide = torch.from_numpy(rng.random(self.batch_size) < self.context_dropout)
            drop = rng.random(self.batch_size) < self.covariate_dropout if self.covariate_dropout > 0 else None
        else:
            assert self.order is not None
            idx = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        starts, series = self.index.locate(idx)
        batch = make_batch(self.panel, starts, series, self.context, self.horizon, names=self.names)
        if self.shuffle and drop is not None and drop.any() and batch.future_covariates is not None:
            fut = batch.future_covariates.clone()
            cols = torch.tensor(self.optional, dtype=torch.int64)
            rows = torch.from_numpy(np.flatnonzero(drop))
            fut[rows.unsqueeze(1), :, cols.unsqueeze(0)] = float("nan")  # (rows, cols, T) advanced-index block
            batch = batch._replace(future_covariates=fut)
        if hide is not None and bool(hide.any()):
            keep = (~hide).to(batch.past_observed.dtype).unsqueeze(1)
            batch = batch._replace(past_observed=batch.past_observed * keep, past_target=batch.past_target * keep)
        return batch

    def loader(self, num_workers: int = 0, **kwargs: Any) -> DataLoader:
        """A DataLoader that yields this dataset's batches as they are (``batch_size=None``)."""
        return DataLoader(self, batch_size=None, sampler=_ResumeSampler(self), num_workers=num_workers,
                          persistent_workers=num_workers > 0, **kwargs)


class _ResumeSampler(torch.utils.data.Sampler[int]):
    """Batch numbers ``skip .. n_batches - 1`` of the epoch (all of them unless resumed inside it).

    Its length stays ``n_batches``: Lightning counts a resumed epoch's batches from where the
    checkpoint left off, so the epoch still ends after ``n_batches``.
    """

    def __init__(self, batches: WindowBatches) -> None:
        self.batches = batches

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.batches.skip, self.batches.n_batches))

    def __len__(self) -> int:
        return self.batches.n_batches


def sample_windows(panel: Panel, index: WindowIndex, context: int, horizon: int, n: int = 64,
                   seed: int = 0) -> dict[str, np.ndarray]:
    """Up to ``n`` real windows in the exported graph's input form, for the export parity gate.

    Missing targets are NaN (the exported graph derives its mask from them), capacity is
    the panel's capacity over the horizon (inf when the schema has none), and the future
    target is kept so that a quantised file's metric change can be measured.

    Returns
    -------
    dict of ndarray
        ``past_target (n, L)``, ``past_covariates (n, L, P)``, ``future_covariates
        (n, L + H, F)``, ``local_time (n, L + H)`` int64, ``static (n, S)``, ``capacity
        (n, H)`` and ``future_target (n, H)``; float32 unless stated.
    """
    if len(index) == 0:
        raise ValueError("no windows to sample")
    rng = np.random.default_rng([seed, 7919])
    idx = np.sort(rng.choice(len(index), size=min(n, len(index)), replace=False))
    starts, series = index.locate(idx)
    batch = make_batch(panel, starts, series, context, horizon, as_tensors=False)
    out = {name: np.ascontiguousarray(batch.inputs()[name]) for name in NAMES if name != "past_observed"}
    out["past_target"] = np.where(batch.past_observed > 0, batch.past_target, np.nan).astype(np.float32)
    out["future_target"] = np.where(batch.future_observed > 0, batch.future_target, np.nan).astype(np.float32)
    return out
