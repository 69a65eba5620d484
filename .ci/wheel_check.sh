#!/usr/bin/env bash
# A built wheel in a fresh virtual environment outside the clone does what the README shows
# for the released models, with no ENERGYAI_MODELS (the weights are package data):
# Forecaster.from_pretrained("load-base", ...), energyai finetune --from solar-base and
# energyai predict --model load-base. Needs the shared datasets (skipped with a line otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
CLONE="$(pwd)"
DATA="${ENERGYAI_DATA:-../shared/datasets}"
if [ ! -d "$DATA/gefcom2014_solar" ] || [ ! -d "$DATA/kr_cnu_gwangju_buildings" ]; then
  echo "wheel check skipped: no $DATA with gefcom2014_solar and kr_cnu_gwangju_buildings"
  exit 0
fi
W="${TMPDIR:-/tmp}/energyai-wheel-check"
rm -rf "$W" && mkdir -p "$W/work"
ln -s "$(cd "$DATA/.." && pwd)" "$W/shared"          # ../shared/datasets from the working folder
python -m pip wheel -q --disable-pip-version-check --no-deps -w "$W/dist" .
python -m venv "$W/venv"
"$W/venv/bin/pip" install -q --disable-pip-version-check torch==2.13.0   # the CPU wheel first (no CUDA build)
WHEEL="$(ls "$W"/dist/energyai-*.whl)"
"$W/venv/bin/pip" install -q --disable-pip-version-check "$WHEEL[data,train,calendar]"
python models/load-base/recent_from_shared.py "$W/work" --base-columns >/dev/null   # a site's week and weather, load-base's columns
cd "$W/work"
env -u ENERGYAI_MODELS -u ENERGYAI_DATA -u PYTHONPATH "$W/venv/bin/python" - <<'PY'
import energyai as ea
import energyai.pretrained as zoo

assert "site-packages" in str(zoo.available()["load-base"]), zoo.available()
model = ea.Forecaster.from_pretrained("load-base", tz="Asia/Seoul", holidays="KR")
print("from_pretrained:", model.model, model.context_length, model.horizon, "from", zoo.available()["load-base"])
PY
env -u ENERGYAI_MODELS -u ENERGYAI_DATA -u PYTHONPATH "$W/venv/bin/energyai" finetune --from solar-base --freeze backbone --out run-solar
env -u ENERGYAI_MODELS -u ENERGYAI_DATA -u PYTHONPATH "$W/venv/bin/energyai" predict --model load-base --tz Asia/Seoul \
  --holidays KR --data recent.csv --future weather.csv -o forecast.csv
test -s forecast.csv && test -f run-solar/model/config.json
echo "wheel check: from_pretrained, finetune --from solar-base and predict --model load-base passed outside $CLONE"
