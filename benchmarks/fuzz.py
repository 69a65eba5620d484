"""Fuzz energyai's input paths with a large budget and print the outcome counts per target.

Every case must end in a finite forecast (or a clean result) or a typed energyai error;
"untyped" (a bare numpy, polars, torch, onnxruntime or Python exception) and "nonfinite"
(a NaN or infinite forecast returned without an error) are failures. The generators live in
``tests/fuzz/harness.py`` (the test suite runs them with a small budget). Synthetic data.

    python benchmarks/fuzz.py --cases 50000
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzz.harness import TARGETS, run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000, help="cases in all, split evenly over the targets")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--targets", nargs="*", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "fuzz.json"))
    args = parser.parse_args()
    t0 = time.perf_counter()
    tallies = run(args.cases, args.seed, tuple(args.targets))
    seconds = time.perf_counter() - t0
    rows = {}
    print(f"{'target':16s} {'cases':>7s} {'finite':>7s} {'typed':>7s} {'untyped':>8s} {'nonfinite':>9s}")
    for target, tally in tallies.items():
        c = tally.counts
        n = c["ok"] + c["typed"] + c["untyped"] + c["nonfinite"]
        rows[target] = {"cases": n, "finite": c["ok"], "typed": c["typed"], "untyped": c["untyped"],
                        "nonfinite": c["nonfinite"],
                        "typed_by_class": {k.split(":", 1)[1]: v for k, v in sorted(c.items()) if k.startswith("typed:")},
                        "first_failures": tally.failures}
        print(f"{target:16s} {n:7d} {c['ok']:7d} {c['typed']:7d} {c['untyped']:8d} {c['nonfinite']:9d}")
        for f in tally.failures[:5]:
            print(f"    {f}")
    total = {k: sum(r[k] for r in rows.values()) for k in ("cases", "finite", "typed", "untyped", "nonfinite")}
    print(f"{'all':16s} {total['cases']:7d} {total['finite']:7d} {total['typed']:7d} {total['untyped']:8d} "
          f"{total['nonfinite']:9d}   ({seconds:.0f} s)")
    result = {"command": f"python benchmarks/fuzz.py --cases {args.cases} --seed {args.seed}", "seconds": round(seconds),
              "machine": f"{platform.machine()}, {platform.python_version()}", "total": total, "targets": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    return 0 if total["untyped"] == 0 and total["nonfinite"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
