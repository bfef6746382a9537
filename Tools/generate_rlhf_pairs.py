#!/usr/bin/env python3
"""Preference pairs for the `swifttune rlhf` tests and Scripts/cli-smoke.sh, from the embedded translation task.

chosen = the reference translation (the row's assistant message), rejected = a corrupted one: its words in
reverse order with the first word dropped (so it is never equal to the chosen one). Writes
Tests/SwiftTuneCLITests/Fixtures/rlhf/{train,val}_pairs.jsonl from the first 64 rows of Defaults/data/train.jsonl
and the first 16 of Defaults/data/test.jsonl. Standard library only; deterministic.
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/SwiftTuneCLITests/Fixtures/rlhf"


def corrupt(text: str) -> str:
    words = text.split()
    rejected = list(reversed(words))[:-1] if len(words) > 1 else words + words
    return " ".join(rejected)


def pairs(source: pathlib.Path, count: int):
    for line in source.read_text().splitlines()[:count]:
        row = json.loads(line)
        reply = row["messages"][-1]["content"]
        row["rejected_response"] = corrupt(reply)
        yield json.dumps(row, ensure_ascii=False)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "train_pairs.jsonl").write_text("\n".join(pairs(ROOT / "Defaults/data/train.jsonl", 64)) + "\n")
    (OUT / "val_pairs.jsonl").write_text("\n".join(pairs(ROOT / "Defaults/data/test.jsonl", 16)) + "\n")
