#!/usr/bin/env bash
# Data generation + training on a CUDA machine that has Python/PyTorch but no Node.js toolchain: the
# generator runs from a single bundled file (esbuild) under a Node binary brought along xz-compressed.
# This is how the shipped default model was trained (public/models/default/training.json); the ONNX export and the
# conversion then run on the CPU machine:
#   /usr/bin/python3 scripts/train/train.py --export-only --out RUN --data scripts/train/data
#   npx tsx scripts/train/convert.ts --run RUN
# Prepare (on the CPU machine, in the repo root):
#   mkdir -p scripts/train/data/gpu && xz -T2 -4 -k -c "$(command -v node)" > scripts/train/data/gpu/node.xz
#   npx esbuild scripts/train/make-dataset.ts --bundle --platform=node --format=esm \
#     --outfile=scripts/train/data/gpu/make-dataset.mjs
# Environment: OUT (results), TRAIN_COUNT (default 48000), PARTS (parallel generator processes, default 16),
# TRAIN_ARGS (extra train.py arguments).
set -euo pipefail
GPU_DIR=scripts/train/data/gpu
OUT=${OUT:-scripts/train/data/device-run}
TRAIN_COUNT=${TRAIN_COUNT:-48000}
PARTS=${PARTS:-16}
DATA=${DATA:-/tmp/zf-lens-data}
NODE=/tmp/zf-lens-node
mkdir -p "$DATA" "$OUT"
python3 -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" \
  "$GPU_DIR/node.xz" "$NODE"
chmod +x "$NODE"
echo "node $("$NODE" --version)"
t0=$(date +%s)
per=$(( (TRAIN_COUNT + PARTS - 1) / PARTS ))
for ((k = 0; k < PARTS; k++)); do
  from=$(( k * per )); n=$(( TRAIN_COUNT - from < per ? TRAIN_COUNT - from : per ))
  "$NODE" "$GPU_DIR/make-dataset.mjs" --name "part$k" --count "$n" --from "$from" --seed 1 --out "$DATA" >/dev/null &
done
"$NODE" "$GPU_DIR/make-dataset.mjs" --name val --count 500 --seed 3 --out "$DATA" >/dev/null &
"$NODE" "$GPU_DIR/make-dataset.mjs" --name heldout --count 1000 --seed 2013 --out "$DATA" >/dev/null &
wait
: > "$DATA/train.images.u8"; : > "$DATA/train.labels.u8"
for ((k = 0; k < PARTS; k++)); do
  cat "$DATA/part$k.images.u8" >> "$DATA/train.images.u8"; cat "$DATA/part$k.labels.u8" >> "$DATA/train.labels.u8"
  rm "$DATA/part$k.images.u8" "$DATA/part$k.labels.u8"
done
python3 - "$DATA" "$TRAIN_COUNT" <<'PY'
import json, sys
data, count = sys.argv[1], int(sys.argv[2])
meta = json.load(open(f"{data}/part0.json"))
meta.update(count=count, splitSeed=1)
meta.pop("from", None)
json.dump(meta, open(f"{data}/train.json", "w"), indent=1)
PY
echo "generated $TRAIN_COUNT + 500 + 1000 images in $(( $(date +%s) - t0 )) s"
PYTHONUNBUFFERED=1 python3 scripts/train/train.py --data "$DATA" --out "$OUT" --no-export ${TRAIN_ARGS:-}
