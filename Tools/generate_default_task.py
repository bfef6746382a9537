#!/usr/bin/env python3
"""The embedded default task: English → Tunish phrase translation, and the corpus the default model is
pretrained on. Everything is generated from a seed, so the repository may ship it (no third-party text).

    python3 Tools/generate_default_task.py          # writes Defaults/data/*.jsonl
    ~/torchenv/bin/python Tools/generate_default_task.py --tokenizer   # also trains Defaults/model/tokenizer.json

Tunish is a small constructed language: its own word for each of ~130 English words, adjectives after the noun,
plural suffix "-ri" on nouns, numbers before the noun, and the verb at the end (subject–object–verb).

Files:
  corpus.jsonl   {"text": ...}: monolingual English and Tunish sentences plus a bilingual glossary
                 ("house = kasa"), for `swifttune pt` (the base model never sees the phrase-translation format).
  train.jsonl    {"messages": [user: "Translate to Tunish: <english>", assistant: "<tunish>"]} for `swifttune sft`.
  test.jsonl     held-out phrases: no (english phrase) of test appears in train.
The metric is exact match and chrF (character n-gram F-score, Popović 2015, n ≤ 6, β = 2) on test.
"""
import json
import pathlib
import random
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Defaults" / "data"
rng = random.Random(2026)

NOUNS = "house tree river dog cat bird fish stone road hill boat child friend king queen horse apple bread cup door " \
        "window book song star moon sun cloud rain field garden market city village mountain forest flower letter " \
        "ship bridge lamp table chair wolf bear fox".split()
ADJECTIVES = "red blue green white black small big old young happy sad quick slow warm cold bright dark tall short " \
             "good bad new wise kind".split()
VERBS = "sees has likes finds builds carries paints follows wants gives brings watches".split()
NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}
SUBJECTS = "the king|the queen|the child|my friend|the old wolf|a small bird|the farmer|the teacher".split("|")

CONSONANTS = "kltmnprsvd"
VOWELS = "aeiou"


def make_word(syllables):
    return "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(syllables))


lexicon = {}
used = set()
for w in NOUNS + ADJECTIVES + VERBS + list(NUMBERS) + ["farmer", "teacher"]:
    while True:
        t = make_word(2 if len(w) <= 5 else 3)
        if t not in used:
            used.add(t)
            lexicon[w] = t
            break
SUBJECT_T = {"the king": lexicon["king"], "the queen": lexicon["queen"], "the child": lexicon["child"],
             "my friend": lexicon["friend"] + " mi", "the old wolf": lexicon["wolf"] + " " + lexicon["old"],
             "a small bird": lexicon["bird"] + " " + lexicon["small"], "the farmer": lexicon["farmer"],
             "the teacher": lexicon["teacher"]}


def plural(noun):
    return noun + "s" if not noun.endswith("sh") and not noun.endswith("x") else noun + "es"


def english_plural(noun):
    return {"child": "children", "wolf": "wolves", "city": "cities", "fox": "foxes", "fish": "fish"}.get(noun, noun + "s")


def noun_phrase():
    """(english, tunish) for [number] [adjective] noun."""
    noun, adj = rng.choice(NOUNS), rng.choice(ADJECTIVES + [None, None])
    num = rng.choice(list(NUMBERS) + [None, None, None])
    en_noun = english_plural(noun) if num else noun
    t_noun = lexicon[noun] + ("ri" if num else "")
    en = " ".join(x for x in [num or "the", adj, en_noun] if x)
    tu = " ".join(x for x in [lexicon[num] if num else None, t_noun, lexicon[adj] if adj else None] if x)
    return en, tu


def sentence():
    subject = rng.choice(SUBJECTS)
    verb = rng.choice(VERBS)
    en_obj, tu_obj = noun_phrase()
    return f"{subject} {verb} {en_obj}", f"{SUBJECT_T[subject]} {tu_obj} {lexicon[verb]}"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    corpus = []
    for w, t in lexicon.items():
        corpus.append(f"{w} = {t}")
        corpus.append(f"{t} = {w}")
    for _ in range(3000):
        en, tu = sentence()
        corpus.append(en + ".")
        corpus.append(tu + ".")
    rng.shuffle(corpus)
    # Group lines into short documents.
    docs = ["\n".join(corpus[i:i + 6]) for i in range(0, len(corpus), 6)]
    with open(OUT / "corpus.jsonl", "w") as f:
        for d in docs:
            f.write(json.dumps({"text": d}) + "\n")

    pairs = {}
    while len(pairs) < 2400:
        en, tu = noun_phrase() if rng.random() < 0.5 else sentence()
        pairs[en] = tu
    items = list(pairs.items())
    rng.shuffle(items)
    test, train = items[:200], items[200:]

    def row(en, tu):
        return {"messages": [{"role": "user", "content": f"Translate to Tunish: {en}"},
                             {"role": "assistant", "content": tu}]}

    for name, rows in (("train", train), ("test", test)):
        with open(OUT / f"{name}.jsonl", "w") as f:
            for en, tu in rows:
                f.write(json.dumps(row(en, tu)) + "\n")
    print(f"{len(docs)} corpus documents, {len(train)} train pairs, {len(test)} test pairs, {len(lexicon)} words")

    if "--tokenizer" in sys.argv:
        train_tokenizer(docs + [json.dumps(row(en, tu)) for en, tu in items])


def train_tokenizer(texts):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers, Regex
    qwen_pattern = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(qwen_pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=640, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    model_dir = ROOT / "Defaults" / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    tok.save(str(model_dir / "tokenizer.json"))
    chatml = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
              "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": None, "eos_token": "<|im_end|>",
              "pad_token": "<|endoftext|>", "unk_token": None, "model_max_length": 256, "chat_template": chatml,
              "add_bos_token": False, "clean_up_tokenization_spaces": False}
    (model_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    print("tokenizer:", tok.get_vocab_size(), "tokens")


if __name__ == "__main__":
    main()
