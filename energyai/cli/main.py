"""``energyai`` entry point: a small dispatcher; each verb imports only what it needs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from energyai import __version__
from energyai.exceptions import EnergyAIError


def _data_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--data", required=required, help="CSV (.csv, .csv.gz) or Parquet file, long format")
    p.add_argument("--timestamp", default="timestamp", help="timestamp column (default: timestamp)")
    p.add_argument("--target", default="target", help="target column (default: target)")
    p.add_argument("--series-id", default=None, help="series id column, for several series")
    p.add_argument("--freq", default=None, help="sampling interval such as 15m, 1h, 1d (default: inferred)")
    p.add_argument("--tz", default=None, help="IANA time zone of naive timestamps, e.g. Asia/Seoul")
    p.add_argument("--timestamp-format", default=None, help="strftime format of the timestamps")
    p.add_argument("--future-covariates", default="", help="comma-separated known-future columns")
    p.add_argument("--past-covariates", default="", help="comma-separated past-observed columns")
    p.add_argument("--capacity", default=None, help="capacity column or number (generation)")
    p.add_argument("--allow-negative", action="store_true", help="accept negative targets (net load)")


def _debug_everywhere(sub: Any) -> None:
    """``--debug`` accepted after the verb too (``energyai backtest ... --debug``), at every level."""
    for p in sub.choices.values():
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="print the full traceback of an error")
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                _debug_everywhere(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="energyai", description="Energy forecasting: load, solar and wind.",
        epilog="Exit codes: 0 success; 1 internal error (a bug: rerun with --debug and report it); 2 bad usage, "
               "configuration or data; 3 a model file or folder refused (damaged, edited, unsigned); 4 an optional "
               "extra missing; 5 training diverged; 130 interrupted.")
    parser.add_argument("--version", action="version", version=f"energyai {__version__}")
    parser.add_argument("--debug", action="store_true", help="print the full traceback of an error")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = sub.add_parser("validate", help="check a CSV or Parquet file against the data contract")
    _data_args(p)

    p = sub.add_parser("datasets", help="the dataset registry")
    dsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    pl_ = dsub.add_parser("list", help="list every dataset with its licence")
    pl_.add_argument("--domain", choices=["load", "solar", "wind"], default=None)
    pl_.add_argument("--data-dir", default=None, help="folder with the external datasets (default: $ENERGYAI_DATA)")
    pi = dsub.add_parser("info", help="print one dataset's card")
    pi.add_argument("name")

    _backtest_parser(sub)
    _train_parsers(sub)
    _deploy_parsers(sub)
    _tune_parser(sub)

    p = sub.add_parser("presets", help="named recipes: energyai presets list")
    psub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    psub.add_parser("list", help="every preset with its options")
    pshow = psub.add_parser("show", help="the Forecaster parameters a preset chooses")
    pshow.add_argument("name")
    pshow.add_argument("--set", action="append", default=[], metavar="OPTION=VALUE",
                       help="a preset option or Forecaster parameter (YAML value), e.g. country=KR")

    p = sub.add_parser("quickstart", help="validate, fit, backtest and report on the shipped load data")
    p.add_argument("--out", default="energyai-quickstart", help="output folder (default: energyai-quickstart)")
    _debug_everywhere(sub)
    return parser


def _backtest_parser(sub: Any) -> None:
    p = sub.add_parser("backtest", help="rolling-origin backtest of a baseline")
    _data_args(p, required=False)
    p.add_argument("--dataset", default=None, help="registry dataset instead of --data")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--model", default="seasonal_naive",
                   help="baseline name (see --list-models) or a saved neural model folder (scored without refit)")
    p.add_argument("--list-models", action="store_true")
    p.add_argument("--horizon", type=int, default=24)
    p.add_argument("--season", default="day", help="day, week or steps (seasonal models)")
    p.add_argument("--step", type=int, default=None, help="steps between origins (default: horizon)")
    p.add_argument("--n-folds", type=int, default=None)
    p.add_argument("--refit", action="store_true", help="refit at every origin")
    p.add_argument("--in-sample", action="store_true",
                   help="with a saved --model: also score origins inside its training data (labelled in-sample); "
                        "by default origins start after it")
    p.add_argument("--reference", default="seasonal_naive", help="baseline for the skill score")
    p.add_argument("--oracle", action="store_true",
                   help="read future covariates from the data at their valid times (an oracle experiment, labelled)")
    p.add_argument("--known-future", default="", type=lambda s: tuple(c for c in s.split(",") if c),
                   help="comma-separated future covariates known in advance (calendar, holidays)")
    p.add_argument("--out", default=None, help="write forecasts (CSV) and metrics (JSON) to this folder")
    p.add_argument("--format", default="table", choices=("table", "csv", "json", "markdown"),
                   help="how to print the metrics table (default: a full text table)")
    p.add_argument("--plot", default=None, metavar="PNG",
                   help="write the figure: forecast and quantile band, error by lead and hour, reliability")


def _train_parsers(sub: Any) -> None:
    p = sub.add_parser("fit", help="train a neural model from a YAML run configuration")
    p.add_argument("-c", "--config", required=True,
                   help="YAML with data, model (or preset), trainer and out sections (see energyai.recipe)")
    p.add_argument("--preset", default=None, help="a preset (energyai presets list) chooses the model and training; "
                                                  "the config's preset section gives its options")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override one configuration value (repeatable), e.g. trainer.max_steps=500")
    p.add_argument("--out", default=None, help="run folder (default: the config's out)")
    p.add_argument("--checkpoint-every", type=int, default=None, metavar="STEPS",
                   help="steps between training checkpoints in <out>/checkpoints (default: the config's "
                        "trainer.checkpoint_every, else 100; 0: none)")
    p.add_argument("--resume", action="store_true",
                   help="continue a killed run of the same config from <out>/checkpoints/last.ckpt")

    p = sub.add_parser("finetune", help="fine-tune a saved model on new data (weights only, fresh optimiser)")
    p.add_argument("-c", "--config", default=None,
                   help="YAML with data, trainer and out sections (default for a released model: its example "
                        "site.yaml, printed)")
    p.add_argument("--from", dest="from_", required=True,
                   help="a released model's name (energyai.pretrained.available()), a saved model folder or a run folder")
    p.add_argument("--freeze", choices=["backbone"], default=None, help="train only the output head")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    p.add_argument("--out", default=None)


def _deploy_parsers(sub: Any) -> None:
    p = sub.add_parser("predict", help="forecast with a saved model folder or an exported .onnx file")
    p.add_argument("model_path", nargs="?", default=None,
                   help="exported .onnx file (runtime extra only) or saved model folder")
    p.add_argument("--model", default=None, help="saved model folder or run folder (same as the positional)")
    p.add_argument("--data", required=True, help="recent history (CSV; Parquet for saved folders) in the training columns")
    p.add_argument("--future", default=None, help="known-future covariates for the horizon")
    p.add_argument("-o", "--out", default=None, help="CSV file for the forecast (default: print)")
    p.add_argument("--threads", type=int, default=1, help="onnxruntime threads (.onnx only)")
    p.add_argument("--sha256", default=None, help="refuse to load an .onnx file with another sha256")
    p.add_argument("--tz", default=None, help="saved folders and released names: the site's time zone, for a base "
                                              "model trained on local wall-clock time (load-base)")
    p.add_argument("--holidays", default=None, help="saved folders and released names: the site's holiday country "
                                                    "(KR, US, GB-ENG...) replacing the model's table")
    p.add_argument("--site", default=None, metavar="LAT,LON[,ALT]",
                   help="saved folders and released names: the PV plant's latitude, longitude (degrees) and "
                        "altitude (m), for a solar base trained across plants (solar-base)")
    p.add_argument("--fallback", default="seasonal", choices=["seasonal", "climatology", "persistence", "none", "raise"],
                   help="forecast for too gappy contexts (flagged in the output's fallback column)")
    p.add_argument("--no-verify", action="store_true",
                   help="skip the digest check of an .onnx file, or the checksums of a saved folder (files you trust "
                        "that an older energyai wrote)")
    p.add_argument("--public-key", default=None, help="ed25519 public key (PEM file): accept only .onnx files signed "
                                                       "with its private key (energyai sign)")

    p = sub.add_parser("export", help="export a saved model to one self-contained ONNX file (parity-checked)")
    p.add_argument("model", help="saved model folder or run folder")
    p.add_argument("-o", "--out", required=True, help="the .onnx file to write")
    p.add_argument("--quantize", choices=["int8"], default=None, help="dynamic int8 weights")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default: the exporter's)")
    p.add_argument("--target-ort", default=None,
                   help="oldest onnxruntime to support, e.g. 1.16 (opset 18, IR 9; aarch64 with glibc < 2.28)")
    p.add_argument("--kpx-submission", action="store_true",
                   help="add a 'submission' output: the value maximising the expected KPX incentive (default rules)")

    p = sub.add_parser("inspect", help="print what an exported .onnx file, a saved folder or a released model "
                                       "expects and says about itself")
    p.add_argument("model", help="the .onnx file")
    p.add_argument("--json", action="store_true", help="raw metadata as JSON")
    p.add_argument("--no-verify", action="store_true", help="read a file whose digest is missing or wrong")

    p = sub.add_parser("sign", help="sign an exported .onnx file with an ed25519 private key (needs energyai[sign])")
    p.add_argument("model", help="the .onnx file")
    p.add_argument("--key", required=True, help="private key, PEM (openssl genpkey -algorithm ed25519 -out key.pem)")
    p.add_argument("-o", "--out", default=None, help="write the signed file here (default: in place)")


def _tune_parser(sub: Any) -> None:
    p = sub.add_parser("tune", help="search a model's hyper-parameters with optuna (resumable, multi-worker)")
    p.add_argument("-c", "--config", required=True, help="run configuration, as for energyai fit")
    p.add_argument("--n-trials", type=int, default=8, help="completed or pruned trials the study should hold")
    p.add_argument("--timeout", type=float, default=None, help="seconds after which this worker starts no trial")
    p.add_argument("--storage", default=None, help="optuna RDB URL (default: sqlite:///<out>/study.db)")
    p.add_argument("--study-name", default=None)
    p.add_argument("--metric", default="val_loss", choices=["val_loss"])
    p.add_argument("--preset", default="cpu", choices=["cpu", "gpu"], help="per-trial budget")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--worker", type=int, default=0, help="index of this worker (seeds differ per worker)")
    p.add_argument("--heartbeat", type=int, default=30, help="seconds between trial heartbeats")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    p.add_argument("--out", default=None, help="folder for best.yaml, trials.csv and plots")


#: Exit codes by error type (documented in ``energyai --help`` and docs/cli.md).
EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_ARTIFACT, EXIT_DEPENDENCY, EXIT_TRAINING, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 5, 130


def exit_code(exc: BaseException) -> int:
    """The documented exit code of an error."""
    from energyai.exceptions import ArtifactError, MissingDependencyError, TrainingError

    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, ArtifactError):
        return EXIT_ARTIFACT
    if isinstance(exc, MissingDependencyError):
        return EXIT_DEPENDENCY
    if isinstance(exc, TrainingError):
        return EXIT_TRAINING
    if isinstance(exc, (EnergyAIError, OSError)):
        return EXIT_USAGE
    return EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(parser, args)
    except (EnergyAIError, OSError, KeyboardInterrupt, Exception) as exc:
        code = exit_code(exc)
        if args.debug:
            import traceback

            traceback.print_exc(file=sys.stderr)
        if isinstance(exc, KeyboardInterrupt):
            print(f"energyai {args.verb}: interrupted", file=sys.stderr)
        elif isinstance(exc, OSError) and not isinstance(exc, EnergyAIError):
            where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            print(f"energyai {args.verb}: cannot access{where}: {exc.strerror or exc}", file=sys.stderr)
        elif code == EXIT_INTERNAL:
            print(f"energyai {args.verb}: internal error {type(exc).__name__}: {exc} (a bug in energyai: rerun with "
                  "--debug and report the traceback)", file=sys.stderr)
        else:
            print(f"energyai {args.verb}: {type(exc).__name__}: {_one_line(str(exc))}", file=sys.stderr)
        return code


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.verb == "validate":
        from energyai.cli.verbs import run_validate

        return run_validate(args)
    if args.verb == "datasets":
        from energyai.cli.verbs import run_datasets

        return run_datasets(args)
    if args.verb == "backtest":
        from energyai.cli.verbs import run_backtest

        return run_backtest(args)
    if args.verb == "predict":
        source = args.model_path or args.model
        if source is None:
            parser.error("predict needs a model: energyai predict model.onnx --data recent.csv")
        if str(source).endswith(".onnx"):
            from energyai.cli.onnx_verbs import run_predict_onnx

            args.model_path = source
            return run_predict_onnx(args)
        args.model = source
    if args.verb in ("export", "inspect", "sign"):
        from energyai.cli import onnx_verbs

        return {"export": onnx_verbs.run_export, "inspect": onnx_verbs.run_inspect,
                "sign": onnx_verbs.run_sign}[args.verb](args)
    if args.verb in ("fit", "finetune", "predict"):
        from energyai.cli import train

        return {"fit": train.run_fit, "finetune": train.run_finetune, "predict": train.run_predict}[args.verb](args)
    if args.verb == "tune":
        from energyai.recipe import load_config
        from energyai.tuning import tune

        res = tune(load_config(args.config, args.set), args.n_trials, timeout=args.timeout, storage=args.storage,
                   study_name=args.study_name, metric=args.metric, seed=args.seed, preset=args.preset,
                   out=args.out, worker=args.worker, heartbeat_interval=args.heartbeat)
        print(f"study {res.study_name}: {res.n_complete} complete, {res.n_pruned} pruned, {res.n_failed} failed; "
              f"best val_loss {res.best_value:.6g} with {res.best_params}")
        print(f"wrote {res.out / 'best.yaml'} (energyai fit -c {res.out / 'best.yaml'}), trials.csv, history.png")
        return 0
    if args.verb == "presets":
        from energyai.cli.verbs import run_presets

        return run_presets(args)
    if args.verb == "quickstart":
        from energyai.cli.quickstart import run_quickstart

        run_quickstart(args.out)
        return 0
    parser.error(f"unknown verb {args.verb}")
    return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
