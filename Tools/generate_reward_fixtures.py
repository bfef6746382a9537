#!/usr/bin/env python3
"""Reference fixtures for SwiftTune's built-in GRPO rewards (Sources/SwiftTuneCore/Rewards).

* `format`, `cosine`, `repetition`, `soft_overlong`, `accuracy`: ms-swift's own classes (`Format`, `CosineReward`,
  `RepetitionPenalty`, `SoftOverlong`, `MathAccuracy`) compiled from `swift/rewards/orm.py` and called as GRPO
  calls them (completions, solution, response_token_ids). `MathAccuracy` needs `math_verify`.
* `accuracy`: SwiftTune does not embed math_verify. `our_accuracy` below is the rule SwiftTune implements
  (MathAnswer.swift), written out in Python; the fixture stores it as the expected score and also stores
  math_verify's score. The script refuses to write when the two disagree on a case that is not tagged with a
  documented difference (`differs`), so the committed cases show where SwiftTune equals ms-swift and where not.
  `cosine` is ms-swift's class with `our_accuracy` as its `accuracy_orm`.
* `bleu`, `chrf`: `sacrebleu.sentence_bleu` / `sentence_chrf` with default settings; `exact_match`: strip and
  compare (SwiftTune's own reward, no reference implementation exists).

Usage:

    git -C <ms-swift clone> show HEAD:swift/rewards/orm.py > /tmp/orm.py
    pip install sacrebleu math-verify
    python Tools/generate_reward_fixtures.py --orm /tmp/orm.py --ms-swift-version 4.6.0.dev0@<commit>

Writes Tests/SwiftTuneCoreTests/Fixtures/rewards/rewards.json. Deterministic (seeded).
"""
import argparse
import ast
import json
import random
import re
import types
import typing

import math_verify
import sacrebleu

OUT = "Tests/SwiftTuneCoreTests/Fixtures/rewards/rewards.json"
OPTIONS = dict(cosine_max_len=20, soft_max_length=20, soft_cache_length=5, repetition_n_grams=3,
               repetition_max_penalty=-1.0, cosine_min_len_value_wrong=-0.5, cosine_max_len_value_wrong=0.0,
               cosine_min_len_value_correct=1.0, cosine_max_len_value_correct=0.5)


def load_orm(path):
    tree = ast.parse(open(path).read())
    names = ["ORM", "MathAccuracy", "Format", "CosineReward", "RepetitionPenalty", "SoftOverlong"]
    nodes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in names]
    assert {n.name for n in nodes} == set(names)
    g = dict(re=re, json=json, os=None)
    g.update({k: getattr(typing, k) for k in ("Dict", "List", "Optional", "Union", "TYPE_CHECKING")})
    exec(compile(ast.Module(body=nodes, type_ignores=[]), path, "exec"), g)
    return g


# ---- SwiftTune's accuracy rule (MathAnswer.swift / AccuracyReward.swift) ----
NUM = r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
TOKEN = re.compile(r"\\[dt]?frac\{\s*(" + NUM + r")\s*\}\{\s*(" + NUM + r")\s*\}|(" + NUM + r")\s*/\s*(" + NUM
                   + r")|(" + NUM + r")(\s*\\?%)?")
SPACE = set(chr(c) for c in range(0x110000) if chr(c).isspace())


def last_boxed(text):
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    i, depth = start + 7, 1
    while i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 7:i]
        i += 1
    return None


def extract(text):
    body = last_boxed(text)
    body = text if body is None else body
    matches = list(TOKEN.finditer(body.replace("$", "")))
    if matches:
        m = matches[-1]
        v = lambda i: float(m.group(i).replace(",", "")) if m.group(i) is not None else None
        if m.group(1) is not None:
            return None if v(2) == 0 else ("n", [v(1) / v(2)])
        if m.group(3) is not None:
            return None if v(4) == 0 else ("n", [v(3) / v(4)])
        x = v(5)
        return ("n", [x, x / 100] if m.group(6) is not None else [x])
    norm = "".join(c for c in body.replace("\\left", "").replace("\\right", "").replace("$", "") if c not in SPACE)
    return ("t", norm) if norm else None


def our_accuracy_one(content, sol):
    tag = re.search(r"<answer>(.*?)</answer>", content, re.DOTALL)
    stag = re.search(r"<answer>(.*?)</answer>", sol, re.DOTALL)
    gold = extract(stag.group(1).strip() if stag else sol)
    if gold is None:
        return 0.0
    if tag:
        ans = extract(tag.group(1).strip())
    else:
        b = last_boxed(content)
        ans = None if b is None else extract(b)
    if ans is None or ans[0] != gold[0]:
        return 0.0
    if gold[0] == "t":
        return float(gold[1] == ans[1])
    return float(any(abs(g - a) <= 1e-9 * max(1, abs(g), abs(a)) for g in gold[1] for a in ans[1]))


class OurAccuracy:
    def __call__(self, completions, solution, **kwargs):
        return [our_accuracy_one(c, s) for c, s in zip(completions, solution)]


def text_samples(rng):
    words = ["the", "cat", "sat", "on", "mat", "Der", "Hund", "läuft", "schnell", "über", "die", "Straße", "猫", "が",
             "好き", "です", "Привет", "мир", "naïve", "café", "e\u0301", "🙂", "👩‍💻", "a", "A", "x", "3.5", "1,000",
             "12-3", "$5", "(hi)", "end.", "U.S.", "&amp;", "&lt;b&gt;", "don't", "--", "...", "?", "!", "ΣΟΦΙΑ",
             "İstanbul", "ﬁne"]
    seps = [" ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u3000", "\u2009", "\x1c", "\u200b", "-\n"]
    def sentence(n):
        out = ""
        for i in range(n):
            out += rng.choice(words) + (rng.choice(seps) if i < n - 1 else "")
        return out
    return sentence


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--orm", required=True)
    ap.add_argument("--ms-swift-version", required=True)
    a = ap.parse_args()
    g = load_orm(a.orm)
    args = types.SimpleNamespace(**OPTIONS)
    fmt, rep, soft = g["Format"](args), g["RepetitionPenalty"](args), g["SoftOverlong"](args)
    cos = g["CosineReward"](args, accuracy_orm=OurAccuracy())
    ms_acc = g["MathAccuracy"](args)
    rng = random.Random(15)
    sentence = text_samples(rng)

    # (completion, solution, differs) for accuracy; every case is also scored by the other rewards.
    acc_cases = [
        ("<answer>42</answer>", "42", None), ("<answer> 42.0 </answer>", "42", None), ("<answer>41</answer>", "42", None),
        ("The answer is \\boxed{42}", "42", None), ("42", "42", None), ("<answer>1/2</answer>", "0.5", None),
        ("<answer>\\frac{1}{2}</answer>", "1/2", None), ("<answer>1,000</answer>", "1000", None),
        ("<answer>-3</answer>", "<answer>-3</answer>", None), ("<answer>3</answer>", "$3$", None),
        ("<answer>x=3</answer>", "3", None), ("<answer>3.14159</answer>", "3.1416", None),
        ("<answer>50%</answer>", "50", None), ("<answer>0.5</answer>", "50%", None),
        ("\\boxed{\\frac{3}{4}}", "0.75", None), ("", "", None), ("<answer></answer>", "1", None),
        ("<answer>2</answer><answer>1</answer>", "1", None), ("<answer>  7 apples</answer>", "7", None),
        ("<answer>1.0000001</answer>", "1", None), ("<answer>\\boxed{5}</answer>", "5", None),
        ("<answer>5</answer>", "\\boxed{5}", None), ("<answer>12</answer>", "The answer is 12", None),
        ("<answer>3</answer>", "3, 4", None), ("<answer>٣</answer>", "3", None), ("<answer>０.５</answer>", "0.5", None),
        ("<answer>2/4</answer>", "1/2", None), ("<answer>.5</answer>", "0.5", None), ("<answer>5.</answer>", "5", None),
        ("<think>2+2</think><answer>4</answer>", "4", None), ("<think>x</think>\n<answer>\\boxed{4}</answer>", "4", None),
        ("no tag, result 4", "4", None), ("Thus $\\boxed{-12}$.", "-12", None), ("<answer>1,234,567</answer>", "1234567", None),
        ("<answer>10</answer>", "<answer>\\boxed{10}</answer>", None), ("<answer>7</answer>", "", None),
        ("<answer>Paris</answer>", "Paris", "math_verify cannot parse a plain-word gold answer (0); SwiftTune compares texts"),
        ("<answer>abc</answer>", "abc", "math_verify cannot parse a plain-word gold answer (0); SwiftTune compares texts"),
        ("<answer>paris</answer>", "Paris", None),
        ("\\boxed{41} then \\boxed{42}", "42", "several boxes: math_verify 0, SwiftTune takes the last"),
        ("<answer>1e3</answer>", "1000", None),
        ("<answer>\\boxed{3}\\boxed{4}</answer>", "4", "several boxes: math_verify 0, SwiftTune takes the last"),
        ("<answer>½</answer>", "0.5", None), ("<answer>42</answer> trailing", "42", None),
        ("<answer>4\n</answer>", "4", None), ("<ANSWER>4</ANSWER>", "4", None), ("<answer>4", "4", None),
    ]
    cases = []
    for c, s, differs in acc_cases:
        cases.append(dict(completion=c, solution=s, length=rng.randrange(0, 30), differs=differs))
    # Random text: format / repetition / lengths / unicode.
    fmt_templates = ["<think>{a}</think>{ws}<answer>{b}</answer>", "<think>{a}</think>{ws}<answer>{b}</answer>{ws}",
                     " <think>{a}</think><answer>{b}</answer>", "<think>{a}</think>{ws}<answer>{b}</answer></answer>",
                     "<think>{a}</think>x<answer>{b}</answer>", "<think>{a}</think></think>{ws}<answer>{b}</answer>",
                     "<think>{a}<answer>{b}</answer>", "{a}", "{a} {a} {a}", "<think></think><answer></answer>"]
    for i in range(220):
        t = rng.choice(fmt_templates)
        ws = rng.choice(["", " ", "\n", "\n\n", "\t \u00a0", "\u3000", "\x1c", "\u200b"])
        n = rng.randrange(0, 12)
        a_text = sentence(n)
        if rng.random() < 0.4:
            a_text = (a_text + " ") * rng.randrange(1, 4)
        b_text = rng.choice(["4", "\\boxed{4}", "four", "3/4", "", sentence(2), "12,000", "-1.5"])
        comp = t.format(a=a_text, b=b_text, ws=ws)
        sol = rng.choice(["4", "0.75", "12000", "-1.5", "four", "<answer>4</answer>", "\\boxed{3/4}"])
        cases.append(dict(completion=comp, solution=sol, length=rng.randrange(0, 30), differs=None))
    completions = [c["completion"] for c in cases]
    solutions = [c["solution"] for c in cases]
    ids = [[0] * c["length"] for c in cases]
    scores = dict(format=fmt(completions), repetition=rep(completions), soft_overlong=soft(completions,
                  response_token_ids=ids), cosine=cos(completions, solutions, response_token_ids=ids),
                  accuracy=OurAccuracy()(completions, solutions), ms_swift_accuracy=ms_acc(completions, solutions))
    for c, o, m in zip(cases, scores["accuracy"], scores["ms_swift_accuracy"]):
        stag = re.search(r"<answer>(.*?)</answer>", c["solution"], re.DOTALL)
        gold = extract(stag.group(1).strip() if stag else c["solution"])
        if o != m and not c["differs"] and gold is not None and gold[0] == "t":
            c["differs"] = "math_verify cannot parse a plain-word gold answer (0); SwiftTune compares texts"
    bad = [(c["completion"], c["solution"], o, m) for c, o, m in zip(cases, scores["accuracy"],
                                                                     scores["ms_swift_accuracy"])
           if o != m and not c["differs"]]
    if bad:
        raise SystemExit("accuracy differs from math_verify on untagged cases:\n" + "\n".join(map(repr, bad)))
    for j, c in enumerate(cases):
        c["scores"] = {k: v[j] for k, v in scores.items()}

    # bleu / chrf / exact_match: hypothesis vs one or several references.
    text_cases = []
    fixed = [("", ["x"]), ("x", [""]), ("", [""]), ("The cat sat on the mat.", ["The cat sat on the mat."]),
             ("the cat sat on the mat", ["The cat sat on the mat."]), ("3.5 1,000 12-3 U.S. end.", ["3.5 1,000 12 - 3"]),
             ("&amp; &lt;b&gt; <skipped> a-\nb", ["& <b> ab"]), ("  padded  ", ["padded"]),
             ("Der Hund läuft", ["Der Hund läuft schnell", "Ein Hund läuft"]), ("café", ["cafe\u0301"]),
             ("猫が好きです", ["猫が 好き です"]), ("a b c d e", ["a b c d e f g h"]), ("a", ["a a a a"]),
             ("🙂 👩‍💻", ["🙂👩‍💻"]), ("ΣΟΦΙΑ sofia", ["σοφια"]), ("one two", ["two one", "one two three"])]
    for h, refs in fixed:
        text_cases.append(dict(hypothesis=h, references=refs))
    for i in range(200):
        ref = sentence(rng.randrange(0, 14))
        words = ref.split()
        op = rng.randrange(6)
        if op == 0:
            hyp = ref
        elif op == 1:
            hyp = " ".join(w for w in words if rng.random() < 0.7)
        elif op == 2:
            rng.shuffle(words); hyp = " ".join(words)
        elif op == 3:
            hyp = sentence(rng.randrange(0, 14))
        elif op == 4:
            hyp = ref.upper() + rng.choice([".", " .", "!", ""])
        else:
            hyp = " ".join(words + [sentence(2)])
        refs = [ref] + ([sentence(rng.randrange(1, 10)) for _ in range(rng.randrange(1, 3))] if rng.random() < 0.3 else [])
        text_cases.append(dict(hypothesis=hyp, references=refs))
    for c in text_cases:
        c["bleu"] = sacrebleu.sentence_bleu(c["hypothesis"], c["references"]).score
        c["chrf"] = sacrebleu.sentence_chrf(c["hypothesis"], c["references"]).score
        c["exact_match"] = float(any(c["hypothesis"].strip() == r.strip() for r in c["references"]))
    out = dict(generator="Tools/generate_reward_fixtures.py",
               versions=dict(ms_swift=a.ms_swift_version, sacrebleu=sacrebleu.__version__,
                             math_verify=getattr(math_verify, "__version__", "installed")),
               options=OPTIONS, cases=cases, text_cases=text_cases)
    with open(OUT, "w") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} reward cases, {len(text_cases)} text-metric cases; "
          f"{sum(1 for c in cases if c['differs'])} documented accuracy differences")


if __name__ == "__main__":
    main()
