#!/usr/bin/env python3
"""Tokenizer fixtures built locally with Hugging Face `tokenizers` (no hub access needed).

    ~/torchenv/bin/python Tools/generate_tokenizer_fixtures.py           # (re)write the fixtures
    ~/torchenv/bin/python Tools/generate_tokenizer_fixtures.py --check   # verify the committed files are current

Trains four small BPE tokenizers on the embedded CORPUS and writes, for each, into
Tests/SwiftTuneCoreTests/Fixtures/tokenizers/<name>/:

  tokenizer.json         as `tokenizers` saves it (merges rewritten as "a b" strings for `qwen2`, the format real
                         Qwen2 files use; the others keep the newer [a, b] pair format)
  tokenizer_config.json  the transformers side: bos/eos/pad tokens, chat_template (copied from the real models)
  expected.json          for every string in CASES: ids with and without special tokens (`Tokenizer.encode`),
                         the tokens, and `Tokenizer.decode` with and without skip_special_tokens; extra decode
                         cases; and chat renderings from transformers' `apply_chat_template` (Jinja, offline)

Tokenizers:
  qwen2     byte-level BPE with Qwen2's exact Split regex and NFC normalizer, <|endoftext|>/<|im_start|>/<|im_end|>,
            plus added tokens exercising normalized / lstrip / rstrip / single_word; Qwen2.5's chat template
  llama3    byte-level BPE with Llama-3's regex, ignore_merges=True (with whole-word vocab entries that no merge
            reaches, so the flag matters), TemplateProcessing "<|begin_of_text|> $A"; Llama-3 Instruct chat template
  llama2    Llama-2 / TinyLlama layout: normalizer Sequence[Prepend("▁"), Replace(" ", "▁")], no pre-tokenizer,
            byte_fallback with <0x00>..<0xFF>, fuse_unk, "<s> $A"; decoder Sequence[Replace, ByteFallback, Fuse, Strip]
  metaspace Mistral-style: Metaspace pre-tokenizer (prepend_scheme "first", split) and Metaspace decoder, same model

Output is deterministic: running it twice gives byte-identical files.
"""
import argparse
import json
import pathlib
import sys

import tokenizers
import transformers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/SwiftTuneCoreTests/Fixtures/tokenizers"
GENERATOR = "Tools/generate_tokenizer_fixtures.py"
MAX_FOLDER_BYTES = 200_000

# The exact Split patterns from Qwen2's and Meta-Llama-3's tokenizer.json.
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")

# Qwen/Qwen2.5-*-Instruct tokenizer_config.json "chat_template", verbatim.
QWEN25_CHAT_TEMPLATE = (
    "{%- if tools %}\n    {{- '<|im_start|>system\\n' }}\n    {%- if messages[0]['role'] == 'system' %}\n"
    "        {{- messages[0]['content'] }}\n    {%- else %}\n"
    "        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}\n    {%- endif %}\n"
    "    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n"
    "You are provided with function signatures within <tools></tools> XML tags:\\n<tools>\" }}\n"
    "    {%- for tool in tools %}\n        {{- \"\\n\" }}\n        {{- tool | tojson }}\n    {%- endfor %}\n"
    "    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments "
    "within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\": "
    "<args-json-object>}\\n</tool_call><|im_end|>\\n\" }}\n{%- else %}\n"
    "    {%- if messages[0]['role'] == 'system' %}\n"
    "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n    {%- else %}\n"
    "        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
    "<|im_end|>\\n' }}\n    {%- endif %}\n{%- endif %}\n{%- for message in messages %}\n"
    "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or "
    "(message.role == \"assistant\" and not message.tool_calls) %}\n"
    "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
    "    {%- elif message.role == \"assistant\" %}\n        {{- '<|im_start|>' + message.role }}\n"
    "        {%- if message.content %}\n            {{- '\\n' + message.content }}\n        {%- endif %}\n"
    "        {%- for tool_call in message.tool_calls %}\n            {%- if tool_call.function is defined %}\n"
    "                {%- set tool_call = tool_call.function %}\n            {%- endif %}\n"
    "            {{- '\\n<tool_call>\\n{\"name\": \"' }}\n            {{- tool_call.name }}\n"
    "            {{- '\", \"arguments\": ' }}\n            {{- tool_call.arguments | tojson }}\n"
    "            {{- '}\\n</tool_call>' }}\n        {%- endfor %}\n        {{- '<|im_end|>\\n' }}\n"
    "    {%- elif message.role == \"tool\" %}\n"
    "        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != \"tool\") %}\n"
    "            {{- '<|im_start|>user' }}\n        {%- endif %}\n        {{- '\\n<tool_response>\\n' }}\n"
    "        {{- message.content }}\n        {{- '\\n</tool_response>' }}\n"
    "        {%- if loop.last or (messages[loop.index0 + 1].role != \"tool\") %}\n"
    "            {{- '<|im_end|>\\n' }}\n        {%- endif %}\n    {%- endif %}\n{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n"
)

# meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json "chat_template", verbatim.
LLAMA3_CHAT_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
    "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)

# meta-llama/Llama-2-7b-chat-hf's template: SwiftTune does not recognise it (the tests check that it says so).
LLAMA2_CHAT_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
    "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
    "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
)

CORPUS = r"""
The quick brown fox jumps over the lazy dog. The dog didn't move; it's been sleeping since 10:30 am.
I'm sure they'll say we've done it, and you'd agree: THE QUICK BROWN FOX IT'S DON'T WE'LL I'D YOU'RE.
Tokenization splits text into pieces. Byte-pair encoding merges the most frequent pairs of symbols, again and again.
Numbers: 0 1 2 3 42 365 2024 3.14159 1,000,000 -17 +8 1e-5 0x1F 007 12345678901234567890.
Prices: $19.99, €5, £3.50, ¥1000. Percentages: 50%, 99.9%. Dates: 2024-01-15, 15/01/2024.
Email me at someone@example.com or visit https://example.org/path?query=1&x=2#frag.

def fibonacci(n: int) -> int:
    if n < 2:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)

for i in range(10):
	print(f"{i}: {fibonacci(i)}")  # tab-indented line

struct Point { var x: Double; var y: Double }
let points = [Point(x: 1, y: 2), Point(x: -3.5, y: 4e2)]
if (a && b) || !c { return x >= 0 ? x : -x; }
    ## Heading with    multiple   spaces
        Indented    text   with    runs   of    spaces.


Three blank lines above, and trailing spaces here:   
Café, naïve, résumé, façade, coöperate, Ångström, Straße, Øresund, Ærø, São Paulo, İstanbul.
Ελληνικά: Καλημέρα κόσμε. Русский: Привет, мир! Как дела? Українська: Добрий день.
中文：你好，世界！今天天气很好。我们一起学习机器学习和自然语言处理。
日本語：こんにちは世界。東京は日本の首都です。カタカナとひらがな。
한국어: 안녕하세요 세계. 오늘 날씨가 좋네요.
العربية: مرحبا بالعالم. עברית: שלום עולם. हिन्दी: नमस्ते दुनिया। ไทย: สวัสดีชาวโลก
Emoji: 😀 😃 😄 👍 👍🏽 🎉 🚀 ❤️ 🇫🇷 👨‍👩‍👧‍👦 ✅ ⭐
Math: ∑ ∫ √2 ≈ 1.414, α + β = γ, x² + y² = z², ½ ¾ ⅔, ∞ ≠ ≤ ≥.
"Quoted" 'single' «guillemets» „German“ (parentheses) [brackets] {braces} <angle> ... --- *** ___ ~~~
The end. The END. the end! THE end? Hello hello HELLO HeLLo.
"""

# ~40 strings chosen to hit regex alternatives, whitespace runs, contractions, NFC, byte fallback and added tokens.
CASES = [
    "", " ", "  ", "\n", "\n\n\n", "\t", " \t\n ", "Hello world", " Hello world", "Hello  world   ",
    "Hello\n\nworld\n", "   leading and trailing spaces   ", "I'm sure they'll say we've done it, you'd agree.",
    "DON'T STOP, IT'S FINE, WE'LL SEE, I'D GO", "'s 't 're 'S 'T 'RE", "Numbers 1234567 and 3.14159, 1,000,000",
    "x = 12345678901234567890", "def f(x):\n    return x * 2\n\n\tpass", "if (a && b) || !c { return -x; }",
    "Café naïve résumé", "Cafe\u0301 nai\u0308ve (decomposed)", "Ångström Å Å", "Straße İstanbul ǅ",
    "你好，世界！今天天气很好。", "こんにちは世界。カタカナ", "안녕하세요 세계", "مرحبا بالعالم", "नमस्ते दुनिया",
    "😀👍🏽🎉 🇫🇷 👨‍👩‍👧‍👦", "emoji😀inside words", "∑ ∫ √2 ≈ 1.414, x² ½",
    "Tokens never seen: ᚠᚢᚦ ꙮ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "zero\u200bwidth\u00a0nbsp\u3000ideographic",
    "\u000b\u000c\u0085\u2028\u2029 odd whitespace", "The END. the end! THE end?",
    "a" * 300, "ab " * 50, "https://example.org/path?query=1&x=2#frag",
]


def special_cases(specials):
    """Strings with the added tokens inside text (each tokenizer adds its own)."""
    return [
        f"{specials[0]}Hello{specials[1]}",
        f"text {specials[0]} middle {specials[1]}end",
        f"{specials[1]}{specials[1]}{specials[0]}",
        f"no{specials[0]}space",
        f"<|partial {specials[0][:-1]} not a token",
    ]


def write_json(path, obj, check):
    text = json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
    if check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(f"stale: {path.relative_to(ROOT)}")
            return False
        return True
    path.write_text(text, encoding="utf-8")
    return True


def train(pre_tokenizer, normalizer, vocab_size, special_tokens, initial_alphabet=(), limit_alphabet=None,
          model_kwargs=None, corpus=CORPUS):
    tok = Tokenizer(models.BPE(**(model_kwargs or {})))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    kwargs = dict(vocab_size=vocab_size, special_tokens=special_tokens, show_progress=False,
                  initial_alphabet=list(initial_alphabet))
    if limit_alphabet is not None:
        kwargs["limit_alphabet"] = limit_alphabet
    tok.train_from_iterator([line for line in corpus.split("\n")] * 3, trainers.BpeTrainer(**kwargs))
    return tok


def build_qwen2():
    split = pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False)
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False, trim_offsets=False)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = train(pre_tokenizers.Sequence([split, byte_level]), normalizers.NFC(), 256 + 3 + 700, specials,
                initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tok.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    # Non-special added tokens as in Qwen2.5 (<tool_call> is special=false, normalized=false), plus the
    # lstrip/rstrip/single_word/normalized flags.
    tok.add_tokens([AddedToken("<tool_call>", special=False, normalized=False),
                    AddedToken("</tool_call>", special=False, normalized=False),
                    AddedToken("[MASK]", lstrip=True, rstrip=True, special=False, normalized=False),
                    AddedToken("word", single_word=True, special=False, normalized=True),
                    AddedToken("Cafe\u0301", special=False, normalized=True)])
    config = {
        "add_bos_token": False, "add_prefix_space": False, "bos_token": None,
        "chat_template": QWEN25_CHAT_TEMPLATE, "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>", "errors": "replace", "model_max_length": 131072,
        "pad_token": "<|endoftext|>", "split_special_tokens": False, "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    extra = special_cases(["<|im_start|>", "<|im_end|>"]) + [
        "call <tool_call>{\"x\": 1}</tool_call> done", "left   [MASK]   right", "a[MASK]b",
        "word words sword word, (word) _word", "Café and Cafe\u0301 and Cafe",
    ]
    return tok, config, extra, "merges_as_strings"


def build_llama3():
    split = pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False)
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False, trim_offsets=True)
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    tok = train(pre_tokenizers.Sequence([split, byte_level]), None, 256 + len(specials) + 700, specials,
                initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    # Whole words that no merge sequence produces: only ignore_merges can emit them (Llama-3 has such entries).
    data = json.loads(tok.to_str())
    vocab = data["model"]["vocab"]
    for word in ["Ġfibonacci", "Ġsupercalifragilistic", "ĠTokenization", "ĠHELLO", "123"]:
        if word not in vocab:
            vocab[word] = max(max(vocab.values()), max(t["id"] for t in data["added_tokens"])) + 1
    data["model"]["ignore_merges"] = True
    bos = "<|begin_of_text|>"
    data["post_processor"] = json.loads(processors.Sequence([
        processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True),
        processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A {bos} $B:1",
                                      special_tokens=[(bos, vocab_id(data, bos))]),
    ]).__getstate__())
    data["decoder"] = json.loads(decoders.ByteLevel(add_prefix_space=True, trim_offsets=True,
                                                    use_regex=True).__getstate__())
    data["model"]["vocab"] = dict(sorted(vocab.items(), key=lambda kv: kv[1]))
    tok = Tokenizer.from_str(json.dumps(data))
    config = {
        "bos_token": bos, "chat_template": LLAMA3_CHAT_TEMPLATE, "clean_up_tokenization_spaces": True,
        "eos_token": "<|eot_id|>", "model_input_names": ["input_ids", "attention_mask"],
        "model_max_length": 1000000000000000019884624838656, "tokenizer_class": "PreTrainedTokenizerFast",
    }
    extra = special_cases(["<|start_header_id|>", "<|eot_id|>"]) + [
        " fibonacci fibonacci(10) supercalifragilistic Tokenization HELLO 123 1234",
    ]
    return tok, config, extra, None


def vocab_id(data, token):
    for t in data["added_tokens"]:
        if t["content"] == token:
            return t["id"]
    return data["model"]["vocab"][token]


def metaspace_model():
    """Trains pieces with a Metaspace pre-tokenizer, then lays the vocabulary out as Llama-2 does:
    <unk>, <s>, </s>, <0x00>..<0xFF>, then the pieces. Training only on Latin text (characters up to U+024F; a
    fixed cut, because `limit_alphabet` breaks frequency ties differently from run to run) leaves Greek,
    Cyrillic, CJK and emoji to byte fallback."""
    pre = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    latin = "".join(c for c in CORPUS if ord(c) <= 0x24F)
    trained = train(pre, None, 3 + 600, ["<unk>", "<s>", "</s>"], corpus=latin)
    data = json.loads(trained.to_str())
    pieces = [t for t, _ in sorted(data["model"]["vocab"].items(), key=lambda kv: kv[1])
              if t not in ("<unk>", "<s>", "</s>")]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for p in pieces:
        vocab.setdefault(p, len(vocab))
    merges = [tuple(m) for m in data["model"]["merges"]]
    return models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True)


def llama_added(tok):
    tok.add_special_tokens([AddedToken("<unk>", normalized=False, special=True),
                            AddedToken("<s>", normalized=False, special=True),
                            AddedToken("</s>", normalized=False, special=True)])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", 1)])


def llama_config(template):
    obj = lambda s: {"__type": "AddedToken", "content": s, "lstrip": False, "normalized": False, "rstrip": False,
                     "single_word": False}
    config = {"add_bos_token": True, "add_eos_token": False, "bos_token": obj("<s>"),
              "clean_up_tokenization_spaces": False, "eos_token": obj("</s>"), "legacy": False,
              "model_max_length": 2048, "pad_token": None, "padding_side": "right",
              "sp_model_kwargs": {}, "tokenizer_class": "LlamaTokenizer", "unk_token": obj("<unk>")}
    if template:
        config["chat_template"] = template
    return config


def build_llama2():
    tok = Tokenizer(metaspace_model())
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    llama_added(tok)
    tok.add_tokens([AddedToken("<tool>", special=False, normalized=False)])
    extra = special_cases(["<s>", "</s>"]) + ["use <tool> here", "<0x41> is literal text", "<unk> in text"]
    return tok, llama_config(LLAMA2_CHAT_TEMPLATE), extra, None


def build_metaspace():
    tok = Tokenizer(metaspace_model())
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    tok.decoder = decoders.Sequence([decoders.ByteFallback(),
                                     decoders.Metaspace(replacement="▁", prepend_scheme="first", split=True)])
    llama_added(tok)
    extra = special_cases(["<s>", "</s>"])
    return tok, llama_config(None), extra, None


CONVERSATIONS = [
    [{"role": "user", "content": "Hello, how are you?"},
     {"role": "assistant", "content": "I'm doing great. How can I help you today?"},
     {"role": "user", "content": "Show me a chat template."}],
    [{"role": "system", "content": "You are terse."},
     {"role": "user", "content": "2 + 2?"},
     {"role": "assistant", "content": "4"}],
    [{"role": "system", "content": "  Padded system.\n"},
     {"role": "user", "content": "\n  Padded user   "},
     {"role": "assistant", "content": " Padded reply with 你好 and 😀 \n\n"},
     {"role": "user", "content": "Thanks"}],
    [{"role": "user", "content": "First"}, {"role": "assistant", "content": "One"},
     {"role": "user", "content": "Second"}, {"role": "assistant", "content": "Two\nlines"},
     {"role": "system", "content": "A later system message."}, {"role": "user", "content": "Third"}],
]


def expected_for(name, tok, config, extra):
    cases = []
    for text in CASES + extra:
        with_special = tok.encode(text)
        without = tok.encode(text, add_special_tokens=False)
        cases.append({
            "text": text, "ids": with_special.ids, "ids_no_special": without.ids, "tokens": without.tokens,
            "id_tokens": [tok.id_to_token(i) for i in without.ids],
            "token_ids": [tok.token_to_id(tok.id_to_token(i)) for i in without.ids],
            "decoded": tok.decode(with_special.ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(with_special.ids, skip_special_tokens=True),
        })
    vocab_size = tok.get_vocab_size(with_added_tokens=True)
    decode_ids = [[], [0], [vocab_size - 1, 0, 1], list(range(0, min(vocab_size, 300), 7)),
                  [vocab_size + 5, 3], list(range(vocab_size - 12, vocab_size))]
    decodes = [{"ids": ids, "skip_special_tokens": skip, "text": tok.decode(ids, skip_special_tokens=skip)}
               for ids in decode_ids for skip in (False, True)]
    token_string = lambda key: (config.get(key) or {}).get("content") if isinstance(config.get(key), dict) \
        else config.get(key)
    ids_of = lambda key: None if token_string(key) is None else tok.token_to_id(token_string(key))
    chats = []
    if config.get("chat_template"):
        fast = transformers.PreTrainedTokenizerFast(
            tokenizer_object=tok, chat_template=config["chat_template"], bos_token=token_string("bos_token"),
            eos_token=token_string("eos_token"))
        for messages in CONVERSATIONS:
            for add in (False, True):
                try:
                    rendered = fast.apply_chat_template(messages, tokenize=False, add_generation_prompt=add)
                except Exception as e:  # e.g. Llama-2's template raises on a system message late in the chat
                    rendered = None
                    print(f"  {name}: apply_chat_template raised {type(e).__name__}: {e}")
                chats.append({"messages": messages, "add_generation_prompt": add, "rendered": rendered,
                              "ids": None if rendered is None else tok.encode(rendered, add_special_tokens=False).ids})
    return {
        "format": "swifttune-tokenizer-fixture", "version": 1, "generator": GENERATOR,
        "tokenizers": tokenizers.__version__, "transformers": transformers.__version__, "name": name,
        "vocab_size": vocab_size, "bos_token_id": ids_of("bos_token"), "eos_token_id": ids_of("eos_token"),
        "pad_token_id": ids_of("pad_token"), "cases": cases, "decodes": decodes, "chats": chats,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    ok = True
    for name, build in [("qwen2", build_qwen2), ("llama3", build_llama3), ("llama2", build_llama2),
                        ("metaspace", build_metaspace)]:
        tok, config, extra, merges_format = build()
        data = json.loads(tok.to_str())
        if merges_format == "merges_as_strings":
            data["model"]["merges"] = [" ".join(pair) for pair in data["model"]["merges"]]
            tok = Tokenizer.from_str(json.dumps(data))
        folder = OUT / name
        folder.mkdir(parents=True, exist_ok=True)
        ok &= write_json(folder / "tokenizer.json", data, args.check)
        ok &= write_json(folder / "tokenizer_config.json", config, args.check)
        ok &= write_json(folder / "expected.json", expected_for(name, tok, config, extra), args.check)
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(f"{name}: {size} bytes, vocab {tok.get_vocab_size()}")
        if size > MAX_FOLDER_BYTES:
            print(f"{name}: folder is {size} bytes, over {MAX_FOLDER_BYTES}")
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
