#!/usr/bin/env bash
# How Defaults/model was made: SwiftTune pretrains it from scratch on the generated corpus.
#   Data and tokenizer: Tools/generate_default_task.py (seeded; the tokenizer is trained with HF `tokenizers`).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product swifttune
init=$(mktemp -d)/init
.build/release/swifttune init --model-config Defaults/model-config.json --tokenizer Defaults/model --output "$init" --seed 0
.build/release/swifttune pt --model "$init" --dataset Defaults/data/corpus.jsonl --tuner full \
    --output Defaults/pretrain-run --num-train-epochs 8 --batch-size 8 --max-length 256 --packing \
    --learning-rate 2e-3 --weight-decay 0.1 --warmup-ratio 0.05 --lr-scheduler cosine --seed 0
# Keep the model files; the run's logs and loss curve stay in Defaults/pretrain-run.
for f in config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json; do
    cp Defaults/pretrain-run/$f Defaults/model/$f
done
rm -rf Defaults/pretrain-run/checkpoint-* Defaults/pretrain-run/model.safetensors
