"""CLI verbs for exported files: ``export``, ``inspect`` and ``predict model.onnx``.

``inspect`` and ``predict`` on an ``.onnx`` file need only the runtime extra.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from energyai.exceptions import ArtifactError

__all__ = ["run_export", "run_inspect", "run_predict_onnx", "run_sign"]


def run_export(args: argparse.Namespace) -> int:
    from energyai.recipe import load_saved

    model = load_saved(args.model)
    rules = None
    if getattr(args, "kpx_submission", False):
        from energyai.market.kpx import KPXRules

        rules = KPXRules()
    report = model.export(args.out, quantize=args.quantize, opset=args.opset, target_ort=args.target_ort,
                          submission=rules)
    checks = report.parity.checks
    worst = max(v["max_err_over_limit"] for v in checks.values())
    print(f"wrote {report.path} ({report.bytes / 1e6:.3f} MB, opset {report.opset}, IR {report.ir_version}, "
          f"{report.quantization}) in {report.seconds:.1f} s")
    print(f"sha256 {report.sha256}")
    if report.parity.int8:  # an int8 file is judged by the change of its real-window MAE, not by float32 tolerance
        q = report.parity.int8
        print(f"parity gate: int8 weights change the median's MAE on {q['windows']} real windows by "
              f"{100 * q['relative_mae_change']:+.2f}% (limit {100 * getattr(args, 'max_metric_change', 0.01):.1f}%): passed; its "
              f"largest deviation from float32 torch is {q['max_abs_dev']:.4g} target units, {worst:.0f}x the "
              "float32 tolerance, as expected of 8-bit weights")
    else:
        print(f"parity gate passed on {sorted(checks)}: largest difference {worst:.2f}x the tolerance "
              "(rtol 1e-4, atol 1e-5 x output scale; 1 would be the limit)")
    if report.parity.submission:
        s = report.parity.submission
        print(f"KPX submission output: onnxruntime's choice earns within {s['max_relative_shortfall']:.1e} of torch's "
              f"(same value in {100 * s['same_value_share']:.1f}% of steps)")
    if report.parity.int8:
        q = report.parity.int8
        print(f"int8 vs fp32 torch: max deviation {q['max_abs_dev']:.4g}, mean {q['mean_abs_dev']:.4g} (target units); "
              f"median MAE on {q['windows']} real windows {q['mae_fp32']:.4g} -> {q['mae_int8']:.4g} "
              f"({100 * q['relative_mae_change']:+.3f}%)")
    return 0


def run_inspect(args: argparse.Namespace) -> int:
    from energyai.runtime import read_metadata

    if not Path(args.model).is_file():
        from energyai.recipe import load_saved  # a saved folder or a released name: what it expects

        try:
            model = load_saved(args.model, verify=not args.no_verify)
        except ArtifactError as exc:
            raise ArtifactError(f"{args.model} is not an exported .onnx file, a saved folder or a released model "
                                f"({exc})") from exc
        print(model.describe())
        return 0
    info = read_metadata(args.model, verify=not args.no_verify)
    if args.json:
        print(json.dumps(info.raw, indent=2, sort_keys=True))
    else:
        print(info.summary())
    return 0


def run_predict_onnx(args: argparse.Namespace) -> int:
    from energyai.runtime import OnnxForecaster
    from energyai.runtime.csvio import read_csv_columns

    if getattr(args, "tz", None) or getattr(args, "holidays", None) or getattr(args, "site", None):
        from energyai.exceptions import ConfigError

        raise ConfigError("--tz, --holidays and --site localize a saved folder or a released name; an exported .onnx "
                          "file carries its zone, holiday table and site (localize before exporting)")
    t0 = time.perf_counter()
    model = OnnxForecaster(args.model_path, threads=args.threads, sha256=args.sha256, fallback=args.fallback,
                           verify=not args.no_verify, public_key=args.public_key)
    info = model.info
    numeric = [info.target, *(c for n in ("past_covariates", "future_covariates", "static") for c in info.columns(n))]
    if info.capacity.get("column"):
        numeric.append(info.capacity["column"])
    data = read_csv_columns(args.data, numeric)
    future = read_csv_columns(args.future, numeric) if args.future else None
    fc = model.predict(data, future)
    sid = info.series_id
    if args.out:
        fc.to_csv(args.out, series_name=sid, timestamp_name=info.timestamp)
        print(f"wrote {fc.values.shape[0] * info.horizon} rows to {args.out} "
              f"({fc.values.shape[0]} series, {int(fc.fallback.sum())} by fallback) "
              f"in {1e3 * (time.perf_counter() - t0):.0f} ms", file=sys.stderr)
    else:
        fc.write_csv(sys.stdout, series_name=sid, timestamp_name=info.timestamp, lineterminator="\n")  # no file
    return 0


def run_sign(args: argparse.Namespace) -> int:
    """Sign an exported file in place (or into ``--out``) with an ed25519 private key (PEM)."""
    from energyai.fileio import atomic_write_bytes
    from energyai.integrity import sign, verify

    src = Path(args.model)
    from energyai.fileio import read_regular_bytes

    payload = read_regular_bytes(src, "model file", ArtifactError)
    signed = sign(payload, Path(args.key))
    out = atomic_write_bytes(args.out or src, signed)
    print(f"signed {out}: digest {verify(signed).digest}")
    return 0
