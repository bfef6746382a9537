#!/usr/bin/env bash
# End-to-end check of the command line on the embedded defaults (small step counts): sft with LoRA and with
# QLoRA, ms-swift's spelling, resume, rlhf (dpo, kto, orpo, simpo), infer, eval, tokenize, export --merge-lora, export --quantize nf4 (and loading it,
# also after an export into it was killed), that bad input fails with a named error, and `deploy` (Scripts/server-smoke.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SWIFTTUNE_BIN:-.build/debug/swifttune}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -40 Defaults/data/train.jsonl > "$work/train.jsonl"
head -8 Defaults/data/test.jsonl > "$work/test.jsonl"
common=(--model Defaults/model --dataset "$work/train.jsonl" --max-length 64 --batch-size 4 --learning-rate 3e-3 --threads 2)
"$bin" sft "${common[@]}" --val-dataset "$work/test.jsonl" --output "$work/lora" --max-steps 4 --save-steps 2 --lora-rank 4
test -f "$work/lora/adapter_config.json" && test -f "$work/lora/adapter_model.safetensors"
test -f "$work/lora/logging.jsonl" && test -f "$work/lora/loss.svg" && test -d "$work/lora/checkpoint-2"
"$bin" sft "${common[@]}" --output "$work/lora" --max-steps 4 --save-steps 2 --lora-rank 4 --resume-from-checkpoint "$work/lora/checkpoint-2"
"$bin" sft "${common[@]}" --output "$work/qlora" --max-steps 2 --tuner dora --quantize nf4 --lora-rank 4 --lorap-lr-ratio 16
# ms-swift's spelling: snake_case names, --train_type lora --use_dora true, booleans as values, file#N sampling.
"$bin" sft --model Defaults/model --dataset "$work/train.jsonl#12" "$work/test.jsonl" --output_dir "$work/ms" --train_type lora \
    --use_dora true --lora_rank 4 --max_length 64 --per_device_train_batch_size 4 --max_steps 2 --packing false --threads 2
test -f "$work/ms/adapter_config.json" && grep -q '"use_dora" : true' "$work/ms/adapter_config.json"
"$bin" pt --model Defaults/model --dataset Defaults/data/corpus.jsonl --output "$work/sgd" --tuner full --max-length 64 --max-steps 2 --save-steps 1 --optimizer sgd --sgd-momentum 0.9 --sgd-nesterov --learning-rate 0.01
printf '{"optimizer": "sgd", "sgd_momentum": 0.9, "sgd_nesterov": true, "learning_rate": 0.01}\n' > "$work/sgd.json"
"$bin" pt --model Defaults/model --dataset Defaults/data/corpus.jsonl --output "$work/sgd" --tuner full --max-length 64 --max-steps 2 --save-steps 1 --config "$work/sgd.json" --resume-from-checkpoint "$work/sgd/checkpoint-1"
printf '{"learning_rate": 0.001, "max_steps": 2, "packing": true}\n' > "$work/config.json"
"$bin" pt --model Defaults/model --dataset Defaults/data/corpus.jsonl --output "$work/full" --tuner full --config "$work/config.json" --max-length 128 --batch-size 2
test -f "$work/full/model.safetensors"
"$bin" infer --model Defaults/model --adapters "$work/lora" --dataset "$work/test.jsonl" --output "$work/out.jsonl" --max-new-tokens 8
test "$(wc -l < "$work/out.jsonl")" -eq 8
"$bin" infer --model Defaults/model --quantize nf4 --dataset "$work/test.jsonl" --output "$work/out4.jsonl" --max-new-tokens 4 --temperature 0.8 --top-p 0.9 --seed 1
"$bin" eval --model Defaults/model --adapters "$work/lora" --dataset "$work/test.jsonl" --output "$work/eval.jsonl"
head -3 Defaults/data/corpus.jsonl > "$work/text.jsonl"
"$bin" tokenize --model Defaults/model --dataset "$work/text.jsonl" --output "$work/tok.jsonl"
"$bin" export --model Defaults/model --adapters "$work/lora" --merge-lora --output "$work/merged"
"$bin" eval --model "$work/merged" --dataset "$work/test.jsonl" --output "$work/eval-merged.jsonl"
# The merged model scores exactly what base + adapter scores (to float tolerance).
python3 - "$work/eval.jsonl" "$work/eval-merged.jsonl" <<'PY' 2>/dev/null || awk 'NR==FNR{a[FNR]=$0; next} {print}' "$work/eval.jsonl" "$work/eval-merged.jsonl" > /dev/null
import json, sys
a = [json.loads(l)["nll"] for l in open(sys.argv[1])]
b = [json.loads(l)["nll"] for l in open(sys.argv[2])]
assert all(abs(x - y) < 1e-3 for x, y in zip(a, b)), (a, b)
PY
# NF4 export in bitsandbytes' layout: the folder loads pre-quantized and scores exactly what --quantize nf4 scores.
"$bin" export --model Defaults/model --quantize nf4 --output "$work/nf4"
test -f "$work/nf4/model.safetensors" && grep -q '"quant_method": "bitsandbytes"' "$work/nf4/config.json"
"$bin" eval --model Defaults/model --quantize nf4 --dataset "$work/test.jsonl" --output "$work/eval-q.jsonl"
"$bin" eval --model "$work/nf4" --dataset "$work/test.jsonl" --output "$work/eval-nf4.jsonl"
cmp "$work/eval-q.jsonl" "$work/eval-nf4.jsonl"
# An export killed (kill -9, via the testing hook) just before its swap leaves the old NF4 folder, which still loads.
if { SWIFTTUNE_FAULT_INJECT=staged@nf4 "$bin" export --model Defaults/model --output "$work/nf4"; } 2> /dev/null; then
    echo "the fault hook must kill the export" >&2; exit 1
fi
"$bin" eval --model "$work/nf4" --dataset "$work/test.jsonl" --output "$work/eval-nf4.jsonl"
cmp "$work/eval-q.jsonl" "$work/eval-nf4.jsonl"
"$bin" export --model Defaults/model --adapters "$work/qlora" --merge-lora --quantize nf4 --output "$work/qlora-nf4"
"$bin" sft "${common[@]}" --model "$work/nf4" --output "$work/qlora-pre" --max-steps 1 --lora-rank 4
# Preference alignment: DPO (LoRA, resumed, with the reference precomputed), KTO, ORPO and SimPO in ms-swift's spelling.
pairs=Tests/SwiftTuneCLITests/Fixtures/rlhf
rl=(--model Defaults/model --dataset "$pairs/train_pairs.jsonl" --max-length 64 --batch-size 2 --gradient-accumulation-steps 2 --lora-rank 4 --threads 2)
"$bin" rlhf "${rl[@]}" --val-dataset "$pairs/val_pairs.jsonl" --output "$work/dpo" --max-steps 2 --save-steps 1 --loss-type sigmoid,bco_pair --precompute-ref-log-probs
test -f "$work/dpo/adapter_model.safetensors" && test -f "$work/dpo/checkpoint-1/objective_state.json"
grep -q '"rewards/accuracies"' "$work/dpo/logging.jsonl" && grep -q '"eval_rewards/margins"' "$work/dpo/logging.jsonl"
"$bin" rlhf "${rl[@]}" --output "$work/dpo" --max-steps 2 --save-steps 1 --loss-type sigmoid,bco_pair --precompute-ref-log-probs --resume-from-checkpoint "$work/dpo/checkpoint-1"
"$bin" rlhf "${rl[@]}" --rlhf-type kto --output "$work/kto" --max-steps 1
grep -q '"kl"' "$work/kto/logging.jsonl"
"$bin" rlhf --rlhf_type orpo --model Defaults/model --dataset "$pairs/train_pairs.jsonl" --output_dir "$work/orpo" --max_length 64 --per_device_train_batch_size 2 --max_steps 1 --threads 2
"$bin" rlhf --rlhf_type simpo --model Defaults/model --dataset "$pairs/train_pairs.jsonl" --output_dir "$work/simpo" --tuner_type full --max_length 64 --per_device_train_batch_size 2 --max_steps 1 --cpo_alpha 0 --threads 2
if "$bin" rlhf "${rl[@]}" --loss-type nope --output "$work/bad-rlhf" 2> "$work/err.txt"; then
    echo "an unknown --loss-type must fail" >&2; exit 1
fi
grep -q -- "--loss-type 'nope'" "$work/err.txt"
# Bad input: a JSONL line that is not JSON is named by file and line.
printf '{"text": "ok"}\n{oops\n' > "$work/bad.jsonl"
if "$bin" pt --model Defaults/model --dataset "$work/bad.jsonl" --output "$work/bad" --tuner full 2> "$work/err.txt"; then
    echo "a malformed dataset must fail" >&2; exit 1
fi
grep -q "bad.jsonl:2" "$work/err.txt"
# A folder whose only chat template is chat_template.jinja (as current transformers saves it) trains and generates.
mkdir "$work/jinja-model"
cp Defaults/model/* "$work/jinja-model/"
grep -v '"chat_template"' Defaults/model/tokenizer_config.json > "$work/jinja-model/tokenizer_config.json"
printf '%s\n' "{%- for m in messages %}{{- '<|im_start|>' + m.role + '\\n' + m.content | trim + '<|im_end|>\\n' }}{%- endfor %}" \
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}" > "$work/jinja-model/chat_template.jinja"
"$bin" sft "${common[@]}" --model "$work/jinja-model" --output "$work/jinja-lora" --max-steps 2 --lora-rank 4 --system "Translate."
"$bin" infer --model "$work/jinja-model" --adapters "$work/jinja-lora" --dataset "$work/test.jsonl" --output "$work/jinja-out.jsonl" --max-new-tokens 4 --template-kwargs '{"unused": true}'
test "$(wc -l < "$work/jinja-out.jsonl")" -eq 8
# A template that raises is an error naming its file and line; bad --template-kwargs are refused up front.
printf '%s\n' "{{ raise_exception('no system messages, please') }}" > "$work/raise.jinja"
if "$bin" sft "${common[@]}" --output "$work/raise" --max-steps 1 --template "$work/raise.jinja" 2> "$work/err.txt"; then
    echo "a raising template must fail" >&2; exit 1
fi
grep -q "raise.jinja:1: no system messages, please" "$work/err.txt"
if "$bin" infer --model Defaults/model --dataset "$work/test.jsonl" --output "$work/x.jsonl" --template-kwargs '[1]' 2> "$work/err.txt"; then
    echo "bad --template-kwargs must fail" >&2; exit 1
fi
grep -q "template-kwargs" "$work/err.txt"
# The OpenAI-compatible server, live on the embedded model (curl against `swifttune deploy`).
SWIFTTUNE_BIN="$bin" bash Scripts/server-smoke.sh
echo "cli smoke: ok"
