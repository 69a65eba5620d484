"""The contract every registered architecture must meet (run over the whole registry)."""

from __future__ import annotations

import dataclasses

import pytest

torch = pytest.importorskip("torch")

from energyai.exceptions import ConfigError  # noqa: E402
from energyai.models import available_models, get_model, make_config  # noqa: E402
from energyai.nn.network import ForecastNetwork  # noqa: E402

L, H, B = 48, 12, 5
LEVELS = (0.1, 0.5, 0.9)
MODELS = available_models("neural")


def _dims(name):
    spec = get_model(name)
    return (2 if "past" in spec.supports else 0, 3 if "future" in spec.supports else 0,
            2 if "static" in spec.supports else 0)


def _network(name, scaler="revin", nonnegative=False, **cfg):
    spec = get_model(name)
    P, F, S = _dims(name)
    calendar = "future" in spec.supports
    small = {"hidden": 32} if "hidden" in {f for f in spec.config.__dataclass_fields__} else {}
    if name == "patchtst":
        small = {"d_model": 16, "n_heads": 2, "d_ff": 32, "n_layers": 2}
    core = spec.build(make_config(name, **{**small, **cfg}), L, H, len(LEVELS), P, F + (6 if calendar else 0), S)
    return ForecastNetwork(core, LEVELS, P, F, S, calendar=calendar, scaler=scaler, nonnegative=nonnegative)


def _inputs(name, seed=0, missing=True):
    g = torch.Generator().manual_seed(seed)
    P, F, S = _dims(name)
    y = 50 + 10 * torch.randn(B, L, generator=g)
    observed = torch.ones(B, L)
    if missing:
        observed[:, 5:15] = 0
        observed[1, -3:] = 0
        y = torch.where(observed > 0, y, torch.full_like(y, float("nan")))  # garbage where missing
    t0 = 1_700_000_000 + 3600 * torch.arange(L + H, dtype=torch.int64)
    return (y, observed, torch.randn(B, L, P, generator=g), torch.randn(B, L + H, F, generator=g),
            t0.expand(B, -1).clone(), torch.randn(B, S, generator=g), torch.full((B, H), float("inf")))


def test_registry_lists_at_least_the_required_architectures():
    assert {"nhits", "patchtst", "dlinear", "nlinear", "tide", "lstm"} <= set(MODELS)
    with pytest.raises(ConfigError, match="available models"):
        get_model("no-such-model")


@pytest.mark.parametrize("name", MODELS)
def test_config_is_frozen_and_checked(name):
    cfg = make_config(name)
    fields = list(type(cfg).__dataclass_fields__)
    if fields:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(cfg, fields[0], 1)
    with pytest.raises(ConfigError, match="has no option"):
        make_config(name, not_an_option=1)


@pytest.mark.parametrize("name", MODELS)
def test_output_shape_sorted_and_finite_with_masked_inputs(name):
    net = _network(name).eval()
    out = net(*_inputs(name))
    assert out.shape == (B, H, len(LEVELS))
    assert torch.isfinite(out).all()
    assert (out[..., 1:] >= out[..., :-1]).all()


@pytest.mark.parametrize("name", MODELS)
def test_gradients_reach_every_parameter(name):
    net = _network(name).train()
    y, obs, pc, fc, lt, st, _ = _inputs(name)
    target = 50 + 10 * torch.randn(B, H)
    pred, tgt = net.normalized(y, obs, pc, fc, lt, st, future_target=target)
    ((pred - tgt.unsqueeze(-1)) ** 2).mean().backward()
    for pname, p in net.named_parameters():
        assert p.grad is not None, f"{name}: no gradient for {pname}"
        assert torch.isfinite(p.grad).all(), f"{name}: non-finite gradient for {pname}"
        assert p.grad.abs().sum() > 0, f"{name}: zero gradient for {pname}"


@pytest.mark.parametrize("name", MODELS)
def test_deterministic_in_eval_mode(name):
    net = _network(name).eval()
    x = _inputs(name)
    with torch.inference_mode():
        assert torch.equal(net(*x), net(*x))


@pytest.mark.parametrize("name", MODELS)
def test_instance_scaling_is_affine_equivariant(name):
    # f(a*y + b) = a*f(y) + b for a > 0. Tolerance: float32 round-off through the
    # normalisation, about 1e-6 relative, amplified by the network; 1e-4 of the scale.
    torch.manual_seed(0)
    net = _network(name).eval()
    y, obs, pc, fc, lt, st, cap = _inputs(name, missing=False)
    a, b = 3.5, -120.0
    with torch.inference_mode():
        base = net(y, obs, pc, fc, lt, st, cap)
        moved = net(a * y + b, obs, pc, fc, lt, st, cap)
    torch.testing.assert_close(moved, a * base + b, rtol=1e-4, atol=1e-4 * a * 10)


@pytest.mark.parametrize("name", MODELS)
def test_clipping_to_zero_and_capacity(name):
    net = _network(name, nonnegative=True).eval()
    y, obs, pc, fc, lt, st, _ = _inputs(name, missing=False)
    cap = torch.full((B, H), 45.0)
    with torch.inference_mode():
        out = net(y - 80, obs, pc, fc, lt, st, cap)
    assert (out >= 0).all() and (out <= 45.0).all()


def test_nhits_loads_weights_saved_with_one_first_layer():
    """Weights saved before the first layer was split (one ``body.0`` over the
    concatenated inputs) load into the split layer and give the same forecasts."""
    from energyai.models.nhits import NHiTS, NHiTSConfig

    torch.manual_seed(0)
    net = NHiTS(NHiTSConfig(hidden=32, n_layers=3), 24, 6, 3, 2, 1, 1).eval()
    old = {}
    for key, value in net.state_dict().items():
        block, rest = key.split(".", 2)[1], key.split(".", 2)[2]
        prefix = f"blocks.{block}."
        if rest == "own.weight":
            old[prefix + "body.0.weight"] = torch.cat([value, net.state_dict()[prefix + "exog.weight"]], dim=1)
        elif rest == "own.bias":
            old[prefix + "body.0.bias"] = value
        elif rest.startswith("body."):
            layer, tail = rest[len("body."):].split(".", 1)
            old[f"{prefix}body.{int(layer) + 1}.{tail}"] = value
        elif rest != "exog.weight":
            old[key] = value
    torch.manual_seed(5)
    fresh = NHiTS(NHiTSConfig(hidden=32, n_layers=3), 24, 6, 3, 2, 1, 1).eval()
    fresh.load_state_dict(old)
    x = (torch.randn(4, 24), torch.ones(4, 24), torch.randn(4, 24, 2), torch.randn(4, 30, 1), torch.randn(4, 1))
    # tolerance: float32 rounding of two summed products against one (a few ulp of O(1) outputs)
    torch.testing.assert_close(fresh(*x), net(*x), rtol=0, atol=1e-6)


def test_nhits_with_pooled_covariates_meets_the_contract():
    """The ``pool_covariates`` variant: shapes, finite sorted output with masked inputs,
    gradients to every parameter, determinism, and fewer weights than unpooled."""
    net = _network("nhits", pool_covariates=True).train()
    y, obs, pc, fc, lt, st, cap = _inputs("nhits")
    pred, tgt = net.normalized(y, obs, pc, fc, lt, st, future_target=50 + 10 * torch.randn(B, H))
    ((pred - tgt.unsqueeze(-1)) ** 2).mean().backward()
    for pname, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, pname
    net.eval()
    with torch.inference_mode():
        out = net(y, obs, pc, fc, lt, st, cap)
        assert out.shape == (B, H, len(LEVELS)) and torch.isfinite(out).all()
        assert (out[..., 1:] >= out[..., :-1]).all()
        assert torch.equal(out, net(y, obs, pc, fc, lt, st, cap))
    n_pooled = sum(p.numel() for p in net.parameters())
    assert n_pooled < sum(p.numel() for p in _network("nhits").parameters())


def test_tide_covariates_move_the_level_of_a_step():
    """Known-future covariates must be able to move a step's forecast level, not only its
    quantile spread. With ``output_norm=True`` (the first energyai TiDE) the temporal
    decoder's output is normalised across quantiles, so its mean over quantiles is the same
    for any covariate value; the default path does not have that bottleneck."""
    import torch

    from energyai.models.tide import TiDE, TiDEConfig

    torch.manual_seed(0)
    L, H, Q, F = 24, 6, 3, 2
    y = torch.randn(4, L)
    obs = torch.ones(4, L)
    past, static = torch.zeros(4, L, 0), torch.zeros(4, 0)
    fut_a, fut_b = torch.zeros(4, L + H, F), torch.zeros(4, L + H, F)
    fut_b[:, L:, 0] = 3.0  # a "holiday" flag over the horizon
    for output_norm, moves in ((False, True), (True, False)):
        net = TiDE(TiDEConfig(hidden=16, dropout=0.0, output_norm=output_norm), L, H, Q, 0, F, 0).eval()
        with torch.no_grad():
            a = net(y, obs, past, fut_a, static) - net.skip(y).view(4, H, Q)
            b = net(y, obs, past, fut_b, static) - net.skip(y).view(4, H, Q)
        shift = (b.mean(-1) - a.mean(-1)).abs().max().item()
        assert (shift > 1e-3) is moves, (output_norm, shift)
