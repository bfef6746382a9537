#!/usr/bin/env python3
"""Preference-pair tokenization fixtures from TRL's DPOTrainer.

For a few conversational preference rows (ms-swift's `messages` + `rejected_response` form, converted to TRL's
`prompt` / `chosen` / `rejected` form), writes what TRL's `DPOTrainer._prepare_dataset` tokenizes with the chat
template of a tokenizer fixture: `prompt_ids` (the prompt with the generation prompt, cut to its common prefix with
prompt+completion), `chosen_ids`, `rejected_ids`. It calls TRL's own `_tokenize` and `common_prefix_length` and
repeats the ten lines of `tokenize_fn` (a closure inside `_prepare_dataset`). SwiftTune's PreferenceEncoder must
give the same ids (Tests/SwiftTuneCoreTests/Data/PreferenceTRLParityTests.swift).

Usage (from the repository root, in a venv with trl and transformers):
    python Tools/generate_preference_tokenization_fixtures.py           # (re)write the fixture
    python Tools/generate_preference_tokenization_fixtures.py --check   # verify the committed file is current
"""
import json
import sys
from pathlib import Path

import trl
from transformers import AutoTokenizer
from trl.data_utils import _tokenize, common_prefix_length

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests/SwiftTuneCoreTests/Fixtures"
OUT = FIXTURES / "preference/qwen2-trl.json"

ROWS = [
    {"messages": [{"role": "user", "content": "Translate: Hund"}, {"role": "assistant", "content": "dog"}],
     "rejected_response": "a small cat"},
    {"messages": [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "Capital of France?"},
                  {"role": "assistant", "content": "Paris"}], "rejected_response": "Lyon, I think."},
    {"messages": [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello."},
                  {"role": "user", "content": "Count to three."}, {"role": "assistant", "content": "1, 2, 3"}],
     "rejected_response": "one two"},
    {"messages": [{"role": "user", "content": "Écris « été » en majuscules."}, {"role": "assistant", "content": "ÉTÉ"}],
     "rejected_response": "ete"},
]


def last_user(messages):
    return max(i for i, m in enumerate(messages) if m["role"] in ("user", "tool")) + 1


def trl_tokenize(tokenizer, row):
    start = last_user(row["messages"])
    example = {"prompt": row["messages"][:start], "chosen": row["messages"][start:],
               "rejected": [{"role": "assistant", "content": row["rejected_response"]}]}
    prompt_ids = _tokenize(tokenizer, example["prompt"], add_generation_prompt=True)["input_ids"]
    chosen = _tokenize(tokenizer, example["prompt"] + example["chosen"])["input_ids"]
    rejected = _tokenize(tokenizer, example["prompt"] + example["rejected"])["input_ids"]
    n = min(common_prefix_length(prompt_ids, chosen), common_prefix_length(prompt_ids, rejected))
    return {"prompt_ids": prompt_ids[:n], "chosen_ids": chosen[n:], "rejected_ids": rejected[n:]}


def main():
    tokenizer = AutoTokenizer.from_pretrained(str(FIXTURES / "tokenizers/qwen2"))
    cases = [{"row": row, **trl_tokenize(tokenizer, row)} for row in ROWS]
    text = json.dumps({"format": "swifttune-preference-fixture", "trl": trl.__version__, "tokenizer": "qwen2",
                       "cases": cases}, ensure_ascii=False, indent=1) + "\n"
    if "--check" in sys.argv:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if json.loads(current)["cases"] != json.loads(text)["cases"]:
            sys.exit(f"{OUT} is not current")
        print(f"{OUT} is current")
        return
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(cases)} cases, trl {trl.__version__})")


if __name__ == "__main__":
    main()
