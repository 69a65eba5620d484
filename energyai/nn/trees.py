"""Gradient-boosted regression trees inside the forecasting graph.

A fitted tree model (LightGBM, one booster per output) is held as flat node arrays
(:class:`TreeArrays`) in buffers of :class:`TreeEnsemble`, so it is saved with the
weights (safetensors, no pickle) and needs no tree library to forecast. In torch the
ensemble is evaluated by :func:`evaluate` (numpy, vectorised over rows and trees); in an
exported file it is one standard ONNX-ML ``TreeEnsembleRegressor`` node (domain
``ai.onnx.ml``, opset 1), which every onnxruntime build runs. The torch operator
``energyai::tree_ensemble`` connects the two: its eager kernel is :func:`evaluate` and the
exporter translates it into that node (:func:`onnx_translation`).

Decisions follow LightGBM exactly (``tests/nn/test_trees.py`` compares all three):

- a split sends ``x`` left when ``x <= threshold``; thresholds are stored as the largest
  float32 not above LightGBM's double threshold, so the float32 comparison agrees with
  LightGBM's double one for every float32 input;
- a missing value (NaN) goes to the split's default side when LightGBM learnt one
  (``missing_type`` NaN), and is read as 0 otherwise (``missing_type`` None), which is
  ``0 <= threshold``; ONNX-ML expresses both with ``nodes_missing_value_tracks_true``.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["TreeArrays", "TreeEnsemble", "evaluate", "from_lightgbm", "onnx_translation"]


@dataclass
class TreeArrays:
    """Every node of every tree, flat; the nodes of one tree are contiguous, its root first.

    Attributes
    ----------
    feature : (N,) int32
        Column of the split (0 for leaves).
    threshold : (N,) float32
        Go left when ``x <= threshold`` (0 for leaves).
    left, right : (N,) int32
        Global indices of the children; a leaf points at itself.
    missing_left : (N,) bool
        Where a NaN goes.
    leaf : (N,) bool
    value : (N,) float32
        Leaf value (0 for splits).
    roots : (T,) int32
        Global index of each tree's root.
    target : (T,) int32
        Output column each tree adds to.
    n_targets : int
    depth : int
        Longest root-to-leaf path (splits).
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    missing_left: np.ndarray
    leaf: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    target: np.ndarray
    n_targets: int
    depth: int

    def digest(self) -> str:
        """sha256 of every array and the shape: the key under which the operator finds them."""
        h = hashlib.sha256()
        for a in (self.feature, self.threshold, self.left, self.right, self.missing_left, self.leaf, self.value,
                  self.roots, self.target):
            h.update(np.ascontiguousarray(a).tobytes())
        h.update(f"{self.n_targets}/{self.depth}".encode())
        return h.hexdigest()[:32]


def _float32_at_most(t: float) -> np.float32:
    """The largest float32 not above ``t`` (so ``x <= t`` agrees for every float32 ``x``)."""
    if t >= float(np.finfo(np.float32).max):
        return np.float32(np.inf) if t > float(np.finfo(np.float32).max) else np.finfo(np.float32).max
    if t <= -float(np.finfo(np.float32).max):
        return np.float32(-np.inf) if t < -float(np.finfo(np.float32).max) else np.float32(-np.finfo(np.float32).max)
    f = np.float32(t)
    if float(f) > t:
        f = np.nextafter(f, np.float32(-np.inf))
    return np.float32(f)


def from_lightgbm(dumps: list[dict[str, Any]], n_features: int) -> TreeArrays:
    """Flat node arrays of LightGBM models, one per output column.

    Parameters
    ----------
    dumps : list of dict
        ``booster.dump_model()`` of each output's booster (output ``k`` is ``dumps[k]``).
    n_features : int
        Columns the models were trained on (checked against every split).

    Raises
    ------
    ValueError
        A categorical split, a split on zero-as-missing, or a feature out of range: a model
        this converter cannot reproduce exactly.
    """
    cols: dict[str, list[Any]] = {k: [] for k in ("feature", "threshold", "left", "right", "missing_left", "leaf",
                                                  "value")}
    roots, target, depth = [], [], 0
    for k, dump in enumerate(dumps):
        if int(dump.get("num_class", 1)) != 1:
            raise ValueError("one output per booster: multiclass models are not regression trees")
        for tree in dump["tree_info"]:
            roots.append(len(cols["leaf"]))
            target.append(k)
            depth = max(depth, _append_tree(tree["tree_structure"], cols, n_features))
    n = len(cols["leaf"])
    return TreeArrays(
        feature=np.asarray(cols["feature"], np.int32).reshape(n), threshold=np.asarray(cols["threshold"], np.float32),
        left=np.asarray(cols["left"], np.int32), right=np.asarray(cols["right"], np.int32),
        missing_left=np.asarray(cols["missing_left"], bool), leaf=np.asarray(cols["leaf"], bool),
        value=np.asarray(cols["value"], np.float32), roots=np.asarray(roots, np.int32),
        target=np.asarray(target, np.int32), n_targets=len(dumps), depth=depth)


def _append_tree(root: dict[str, Any], cols: dict[str, list[Any]], n_features: int) -> int:
    """Append one tree depth-first (root first); return its depth in splits."""
    depth = 0
    stack: list[tuple[dict[str, Any], int, int, str]] = [(root, -1, 0, "")]
    while stack:
        node, parent, level, side = stack.pop()
        me = len(cols["leaf"])
        if parent >= 0:
            cols[side][parent] = me
        if "leaf_value" in node or "split_feature" not in node:
            for name, v in (("feature", 0), ("threshold", 0.0), ("left", me), ("right", me), ("missing_left", False),
                            ("leaf", True), ("value", float(node.get("leaf_value", 0.0)))):
                cols[name].append(v)
            depth = max(depth, level)
            continue
        if node.get("decision_type", "<=") != "<=":
            raise ValueError(f"split {node.get('decision_type')!r} (categorical) cannot be exported as BRANCH_LEQ")
        missing = node.get("missing_type", "None")
        if missing not in ("None", "NaN"):
            raise ValueError(f"missing_type {missing!r} (zero as missing) is not supported; train with "
                             "zero_as_missing=False")
        feat = int(node["split_feature"])
        if not 0 <= feat < n_features:
            raise ValueError(f"split on feature {feat}, but the model has {n_features} features")
        thr = _float32_at_most(float(node["threshold"]))
        # missing_type None: LightGBM reads NaN as 0, which goes left when 0 <= threshold
        missing_left = bool(node.get("default_left", True)) if missing == "NaN" else bool(0.0 <= float(thr))
        for name, v in (("feature", feat), ("threshold", float(thr)), ("left", -1), ("right", -1),
                        ("missing_left", missing_left), ("leaf", False), ("value", 0.0)):
            cols[name].append(v)
        stack.append((node["right_child"], me, level + 1, "right"))
        stack.append((node["left_child"], me, level + 1, "left"))
    return depth


def evaluate(x: np.ndarray, trees: TreeArrays, chunk: int = 2048) -> np.ndarray:
    """Sum of every tree's leaf value per output column.

    Parameters
    ----------
    x : (R, K) float32
        Feature rows; NaN is missing.
    trees : TreeArrays
    chunk : int
        Rows per pass (memory is about ``chunk * n_trees * 16`` bytes).

    Returns
    -------
    (R, n_targets) float32
        Summed in float64, then cast.
    """
    x = np.asarray(x, np.float32)
    R = x.shape[0]
    out = np.zeros((R, trees.n_targets), np.float64)
    if R == 0 or len(trees.roots) == 0:
        return out.astype(np.float32)
    onehot = np.zeros((len(trees.roots), trees.n_targets), np.float64)
    onehot[np.arange(len(trees.roots)), trees.target] = 1.0
    value = trees.value.astype(np.float64)
    K = x.shape[1]
    for lo in range(0, R, chunk):
        xc = np.ascontiguousarray(x[lo:lo + chunk]).reshape(-1)
        base = (np.arange(len(xc) // max(K, 1), dtype=np.int64) * K)[:, None]
        node = np.broadcast_to(trees.roots, (len(base), len(trees.roots))).copy()
        for _ in range(trees.depth):
            v = xc[base + trees.feature[node]]
            go_left = (v <= trees.threshold[node]) | (np.isnan(v) & trees.missing_left[node])
            node = np.where(go_left, trees.left[node], trees.right[node])
        out[lo:lo + chunk] = value[node] @ onehot
    return out.astype(np.float32)


#: Tree arrays by digest, for the operator's kernel and the exporter (held by the modules).
_REGISTRY: weakref.WeakValueDictionary[str, _Holder] = weakref.WeakValueDictionary()


class _Holder:
    def __init__(self, trees: TreeArrays) -> None:
        self.trees = trees


def _lookup(key: str) -> TreeArrays:
    holder = _REGISTRY.get(key)
    if holder is None:
        raise RuntimeError(f"tree ensemble {key} is not loaded in this process")
    return holder.trees


@torch.library.custom_op("energyai::tree_ensemble", mutates_args=())
def tree_ensemble(x: torch.Tensor, key: str) -> torch.Tensor:
    """``(R, K) float32 -> (R, n_targets) float32``: the tree ensemble registered under ``key``."""
    return torch.from_numpy(evaluate(x.detach().cpu().numpy(), _lookup(key))).to(x.device)


@tree_ensemble.register_fake
def _tree_ensemble_shape(x: torch.Tensor, key: str) -> torch.Tensor:
    return x.new_empty((x.shape[0], _lookup(key).n_targets))


def onnx_translation() -> dict[Any, Any]:
    """The exporter's ``custom_translation_table``: the operator as one ONNX-ML ``TreeEnsembleRegressor``."""
    from onnxscript.values import Opset

    ml = Opset("ai.onnx.ml", 1)

    def translate(x: Any, key: str) -> Any:
        t = _lookup(key)
        tree_of = np.repeat(np.arange(len(t.roots)), np.diff(np.append(t.roots, len(t.leaf))))
        local = np.arange(len(t.leaf)) - t.roots[tree_of]
        leaves = np.flatnonzero(t.leaf)
        return ml.TreeEnsembleRegressor(
            x, n_targets=int(t.n_targets), aggregate_function="SUM", post_transform="NONE",
            nodes_treeids=tree_of.tolist(), nodes_nodeids=local.tolist(),
            nodes_featureids=t.feature.tolist(), nodes_values=t.threshold.tolist(),
            nodes_modes=["LEAF" if f else "BRANCH_LEQ" for f in t.leaf.tolist()],
            nodes_truenodeids=(t.left - t.roots[tree_of]).tolist(),
            nodes_falsenodeids=(t.right - t.roots[tree_of]).tolist(),
            nodes_missing_value_tracks_true=t.missing_left.astype(np.int64).tolist(),
            target_treeids=tree_of[leaves].tolist(), target_nodeids=local[leaves].tolist(),
            target_ids=t.target[tree_of[leaves]].tolist(), target_weights=t.value[leaves].tolist())

    return {torch.ops.energyai.tree_ensemble.default: translate}


def _refresh_after_load(module: Any, incompatible: Any) -> None:
    module.refresh()


class TreeEnsemble(nn.Module):
    """``forward(x (R, K)) -> (R, n_targets)``: the tree ensemble held in this module's buffers.

    Parameters
    ----------
    n_nodes, n_trees, n_targets, n_features : int
        Sizes (a loaded model is built empty at these sizes, then its state dict fills it).
    """

    feature: torch.Tensor
    left: torch.Tensor
    right: torch.Tensor
    threshold: torch.Tensor
    value: torch.Tensor
    missing_left: torch.Tensor
    leaf: torch.Tensor
    roots: torch.Tensor
    target: torch.Tensor
    depth: torch.Tensor

    def __init__(self, n_nodes: int, n_trees: int, n_targets: int, n_features: int) -> None:
        super().__init__()
        self.n_targets, self.n_features = int(n_targets), int(n_features)
        for name, dtype in (("feature", torch.int32), ("left", torch.int32), ("right", torch.int32),
                            ("threshold", torch.float32), ("value", torch.float32), ("missing_left", torch.bool),
                            ("leaf", torch.bool)):
            self.register_buffer(name, torch.zeros(n_nodes, dtype=dtype))
        self.register_buffer("roots", torch.zeros(n_trees, dtype=torch.int32))
        self.register_buffer("target", torch.zeros(n_trees, dtype=torch.int32))
        self.register_buffer("depth", torch.zeros((), dtype=torch.int64))
        self.key = ""
        self._holder: _Holder | None = None
        self.register_load_state_dict_post_hook(_refresh_after_load)

    @classmethod
    def from_arrays(cls, trees: TreeArrays, n_features: int) -> TreeEnsemble:
        """A module holding ``trees``."""
        m = cls(len(trees.leaf), len(trees.roots), trees.n_targets, n_features)
        with torch.no_grad():
            for name in ("feature", "left", "right", "threshold", "value", "missing_left", "leaf", "roots", "target"):
                getattr(m, name).copy_(torch.from_numpy(np.ascontiguousarray(getattr(trees, name))))
            m.depth.fill_(int(trees.depth))
        return m.refresh()

    def arrays(self) -> TreeArrays:
        """The buffers as :class:`TreeArrays`."""
        def a(name: str) -> np.ndarray:
            return getattr(self, name).detach().cpu().numpy().copy()  # type: ignore[no-any-return]

        return TreeArrays(a("feature"), a("threshold"), a("left"), a("right"), a("missing_left"), a("leaf"),
                          a("value"), a("roots"), a("target"), self.n_targets, int(self.depth))

    def refresh(self) -> TreeEnsemble:
        """Register the buffers' trees for the operator (after they were set or loaded)."""
        trees = self.arrays()
        n = len(trees.leaf)
        bad = (trees.left < 0) | (trees.left >= n) | (trees.right < 0) | (trees.right >= n) \
            | (trees.feature < 0) | (trees.feature >= max(self.n_features, 1))
        if n and bad.any():
            raise ValueError("the tree ensemble's node arrays point outside the ensemble (a damaged state dict)")
        self.key = trees.digest()
        self._holder = _Holder(trees)
        _REGISTRY[self.key] = self._holder
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._holder is not None and _REGISTRY.get(self.key) is None:  # a copy outliving the original
            _REGISTRY[self.key] = self._holder
        return torch.ops.energyai.tree_ensemble(x, self.key)  # type: ignore[no-any-return]
