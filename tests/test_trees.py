"""Tree ensembles in the graph: LightGBM's own prediction is the outside reference."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
lgb = pytest.importorskip("lightgbm")

import torch  # noqa: E402

from energyai.nn.trees import TreeEnsemble, evaluate, from_lightgbm, onnx_translation  # noqa: E402


def _data(seed: int = 0, n: int = 3000, k: int = 6):
    """Synthetic rows for unit tests: NaN in some columns, repeated values (ties at thresholds)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k)).astype(np.float32)
    X[rng.random((n, k)) < 0.05] = np.nan
    X[:, 2] = np.round(X[:, 2])  # few distinct values: test rows sit exactly on training values
    X[:, 5] = np.abs(np.nan_to_num(X[:, 5])) + 0.1  # never missing in training
    y = np.nansum(X[:, :2], axis=1) + np.sin(np.nan_to_num(X[:, 2])) + rng.normal(0, 0.3, n)
    return X, y


@pytest.fixture(scope="module")
def boosters():
    X, y = _data()
    out = []
    for alpha in (0.1, 0.5, 0.9):
        p = {"objective": "quantile", "alpha": alpha, "num_leaves": 15, "max_depth": 6, "verbose": -1, "seed": 0,
             "zero_as_missing": False, "num_threads": 1}
        out.append(lgb.train(p, lgb.Dataset(X, y), 120))
    return out


def _test_rows():
    X, _ = _data(seed=1, n=800)
    X[:50, 5] = np.nan  # NaN in a column that never had NaN in training: LightGBM reads it as 0
    X[50:60] = np.nan
    return X


def test_flat_arrays_reproduce_lightgbm(boosters):
    X = _test_rows()
    trees = from_lightgbm([b.dump_model() for b in boosters], X.shape[1])
    ref = np.stack([b.predict(X) for b in boosters], axis=1)
    # tolerance: LightGBM sums leaves in float64, evaluate() too, then casts once to float32
    np.testing.assert_allclose(evaluate(X, trees), ref, rtol=1e-6, atol=1e-6)
    assert trees.depth <= 6 and trees.n_targets == 3


def test_onnx_tree_node_equals_lightgbm(boosters, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    X = _test_rows()
    trees = from_lightgbm([b.dump_model() for b in boosters], X.shape[1])
    module = TreeEnsemble.from_arrays(trees, X.shape[1]).eval()
    program = torch.onnx.export(module, (torch.from_numpy(X[:3]),), dynamo=True,
                                dynamic_shapes=({0: torch.export.Dim("rows", min=1, max=1 << 20)},),
                                custom_translation_table=onnx_translation(), input_names=["x"], output_names=["y"])
    ops = [(n.domain, n.op_type) for n in program.model_proto.graph.node]
    assert ("ai.onnx.ml", "TreeEnsembleRegressor") in ops
    session = ort.InferenceSession(program.model_proto.SerializeToString(), providers=["CPUExecutionProvider"])
    out = session.run(None, {"x": X})[0]
    ref = np.stack([b.predict(X) for b in boosters], axis=1)
    # tolerance: onnxruntime adds the leaves in float32 (about 1e-6 relative over ~100 trees)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())
    np.testing.assert_allclose(module(torch.from_numpy(X)).numpy(), ref, rtol=1e-6, atol=1e-6)


def test_thresholds_round_down_so_float32_decisions_match_double():
    """Hand-worked: a split at 0.1 (double). float32(0.1) = 0.10000000149 > 0.1 goes right in
    LightGBM; the stored float32 threshold must send it right too."""
    dump = {"tree_info": [{"tree_structure": {
        "split_feature": 0, "threshold": 0.1, "decision_type": "<=", "default_left": True, "missing_type": "None",
        "left_child": {"leaf_value": -1.0}, "right_child": {"leaf_value": 1.0}}}]}
    trees = from_lightgbm([dump], 1)
    x = np.array([[np.float32(0.1)], [np.float32(0.09999999)], [np.nan], [np.inf]], np.float32)
    # 0.1f > 0.1 -> right (1); below -> left (-1); NaN with missing_type None reads as 0 <= 0.1 -> left
    np.testing.assert_array_equal(evaluate(x, trees)[:, 0], [1.0, -1.0, -1.0, 1.0])


def test_unsupported_splits_and_damaged_arrays_are_refused():
    cat = {"tree_info": [{"tree_structure": {"split_feature": 0, "threshold": "1||2", "decision_type": "==",
                                             "left_child": {"leaf_value": 0.0}, "right_child": {"leaf_value": 1.0}}}]}
    with pytest.raises(ValueError, match="categorical"):
        from_lightgbm([cat], 1)
    zero = {"tree_info": [{"tree_structure": {"split_feature": 0, "threshold": 0.5, "decision_type": "<=",
                                              "missing_type": "Zero", "left_child": {"leaf_value": 0.0},
                                              "right_child": {"leaf_value": 1.0}}}]}
    with pytest.raises(ValueError, match="zero as missing"):
        from_lightgbm([zero], 1)
    wide = {"tree_info": [{"tree_structure": {"split_feature": 3, "threshold": 0.5, "decision_type": "<=",
                                              "left_child": {"leaf_value": 0.0}, "right_child": {"leaf_value": 1.0}}}]}
    with pytest.raises(ValueError, match="feature 3"):
        from_lightgbm([wide], 2)
    good = TreeEnsemble.from_arrays(from_lightgbm([wide], 4), 4)
    state = good.state_dict()
    state["left"] = state["left"] + 100  # a child outside the ensemble
    broken = TreeEnsemble(len(state["leaf"]), 1, 1, 4)
    with pytest.raises(ValueError, match="outside the ensemble"):
        broken.load_state_dict(state)
