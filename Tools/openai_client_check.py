"""Drive an OpenAI-compatible server with the official `openai` Python client and assert the response shapes.

Run by hand against a live server (never by the test suite):

    /work/venv/bin/pip install openai            # 1.x or later
    python Tools/openai_client_check.py --base-url http://127.0.0.1:8000/v1 [--api-key KEY] [--model NAME]

Checks, each printed as `ok <name>` (the first failure raises with the offending object):
  models            GET /v1/models: a list of objects `model` with `id`; --model defaults to the first.
  chat              chat.completions.create, temperature 0: `chat.completion`, role assistant, text content,
                    finish_reason stop|length, usage prompt + completion = total.
  chat-stream       the same request streamed with stream_options.include_usage: chunks `chat.completion.chunk`,
                    the first delta carries the role, then content deltas, exactly one finish_reason, a last chunk
                    with no choices and the usage; the streamed text equals the non-streamed text (greedy).
  chat-logprobs     logprobs=True, top_logprobs=2: one entry per generated token with token, logprob <= 0 and two
                    top_logprobs, best first.
  completions       completions.create: `text_completion`, text, finish_reason, usage.
  completions-stream  streamed with include_usage: text chunks, one finish_reason, usage chunk; text equals the
                    non-streamed text.
  error-field       a bad field value (temperature "hot") is a 400 (BadRequestError) with the OpenAI error shape.
  --lenient         wire-format deviations that clients tolerate (usage on a chunk with choices) become warnings.
  error-model       an unknown model is a 404 (NotFoundError); --skip-model-error for servers that serve whatever
                    name they are asked for (llama-server does).
"""
import argparse
import sys

import openai


def check(cond, what, obj=None):
    if not cond:
        raise AssertionError(f"{what}: {obj!r}")


LENIENT = False


def wire(cond, what, obj=None):
    """A deviation from OpenAI's wire format that clients tolerate: fatal unless --lenient (then a warning)."""
    if not cond:
        if not LENIENT:
            raise AssertionError(f"{what}: {obj!r}")
        print(f"WARN {what}")


def usage_ok(u, name):
    check(u is not None, f"{name}: usage missing")
    check(u.prompt_tokens > 0 and u.completion_tokens > 0, f"{name}: usage counts", u)
    check(u.prompt_tokens + u.completion_tokens == u.total_tokens, f"{name}: usage total", u)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000/v1")
    ap.add_argument("--api-key", default="none")
    ap.add_argument("--model", default=None)
    ap.add_argument("--max-tokens", type=int, default=16)
    ap.add_argument("--skip-model-error", action="store_true")
    ap.add_argument("--lenient", action="store_true",
                    help="report wire-format deviations as warnings (for peers: llama-server puts the streamed "
                         "completions' usage into the finish_reason chunk instead of a chunk with no choices)")
    args = ap.parse_args()
    global LENIENT
    LENIENT = args.lenient
    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0, timeout=120)
    n = args.max_tokens

    models = client.models.list()
    ids = [m.id for m in models.data]
    check(ids, "models: empty list", models)
    for m in models.data:
        check(m.object == "model" and isinstance(m.id, str), "models: entry", m)
    model = args.model or ids[0]
    check(model in ids, f"models: {model} not listed", ids)
    print(f"ok models {ids}")

    messages = [{"role": "user", "content": "What is the capital of France?"}]
    chat = client.chat.completions.create(model=model, messages=messages, max_tokens=n, temperature=0)
    check(chat.object == "chat.completion" and chat.id and isinstance(chat.created, int), "chat: envelope", chat)
    check(len(chat.choices) == 1 and chat.choices[0].index == 0, "chat: choices", chat.choices)
    c0 = chat.choices[0]
    check(c0.message.role == "assistant" and isinstance(c0.message.content, str) and c0.message.content,
          "chat: message", c0.message)
    check(c0.finish_reason in ("stop", "length"), "chat: finish_reason", c0.finish_reason)
    usage_ok(chat.usage, "chat")
    print(f"ok chat {c0.message.content!r} ({c0.finish_reason}, {chat.usage.completion_tokens} tokens)")

    stream = client.chat.completions.create(model=model, messages=messages, max_tokens=n, temperature=0,
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    check(chunks, "chat-stream: no chunks")
    for ch in chunks:
        check(ch.object == "chat.completion.chunk", "chat-stream: object", ch)
    with_choices = [ch for ch in chunks if ch.choices]
    check(with_choices and with_choices[0].choices[0].delta.role == "assistant", "chat-stream: first delta role",
          with_choices[:1])
    finishes = [ch.choices[0].finish_reason for ch in with_choices if ch.choices[0].finish_reason]
    check(len(finishes) == 1 and finishes[0] in ("stop", "length"), "chat-stream: finish_reason", finishes)
    wire(not chunks[-1].choices, "chat-stream: the usage chunk must have no choices", chunks[-1])
    usage_ok(chunks[-1].usage, "chat-stream")
    for ch in chunks[:-1]:
        check(ch.usage is None, "chat-stream: usage before the last chunk", ch)
    text = "".join(ch.choices[0].delta.content or "" for ch in with_choices)
    check(text == c0.message.content, "chat-stream: text differs from the non-streamed answer",
          (text, c0.message.content))
    check(chunks[-1].usage.completion_tokens == chat.usage.completion_tokens, "chat-stream: usage differs",
          (chunks[-1].usage, chat.usage))
    print(f"ok chat-stream {len(chunks)} chunks")

    lp = client.chat.completions.create(model=model, messages=messages, max_tokens=n, temperature=0,
                                        logprobs=True, top_logprobs=2)
    content = lp.choices[0].logprobs.content
    check(len(content) == lp.usage.completion_tokens, "chat-logprobs: one entry per token",
          (len(content), lp.usage))
    for e in content:
        check(isinstance(e.token, str) and e.logprob <= 1e-6, "chat-logprobs: entry", e)
        check(len(e.top_logprobs) == 2 and e.top_logprobs[0].logprob >= e.top_logprobs[1].logprob,
              "chat-logprobs: top_logprobs", e.top_logprobs)
        check(abs(e.top_logprobs[0].logprob - e.logprob) < 1e-3, "chat-logprobs: greedy token is the best", e)
    print(f"ok chat-logprobs {len(content)} entries")

    prompt = "The capital of France is"
    comp = client.completions.create(model=model, prompt=prompt, max_tokens=n, temperature=0)
    check(comp.object == "text_completion" and comp.id and isinstance(comp.created, int), "completions: envelope",
          comp)
    check(len(comp.choices) == 1 and isinstance(comp.choices[0].text, str) and comp.choices[0].text,
          "completions: choices", comp.choices)
    check(comp.choices[0].finish_reason in ("stop", "length"), "completions: finish_reason", comp.choices[0])
    usage_ok(comp.usage, "completions")
    print(f"ok completions {comp.choices[0].text!r}")

    cs = list(client.completions.create(model=model, prompt=prompt, max_tokens=n, temperature=0, stream=True,
                                        stream_options={"include_usage": True}))
    check(cs, "completions-stream: no chunks")
    wire(not cs[-1].choices, "completions-stream: the usage chunk must have no choices", cs[-1:])
    usage_ok(cs[-1].usage, "completions-stream")
    finishes = [ch.choices[0].finish_reason for ch in cs if ch.choices and ch.choices[0].finish_reason]
    check(len(finishes) == 1, "completions-stream: finish_reason", finishes)
    text = "".join(ch.choices[0].text for ch in cs if ch.choices)
    check(text == comp.choices[0].text, "completions-stream: text differs", (text, comp.choices[0].text))
    print(f"ok completions-stream {len(cs)} chunks")

    try:
        client.chat.completions.create(model=model, messages=messages, max_tokens=n, temperature="hot")
        raise AssertionError("error-field: a bad temperature was accepted")
    except openai.BadRequestError as e:
        check(e.status_code == 400, "error-field: status", e.status_code)
        body = e.body if isinstance(e.body, dict) else {}
        err = body.get("error", body)  # the client may hand back the inner object
        check(isinstance(err, dict) and "message" in err, "error-field: error shape", e.body)
        print(f"ok error-field 400 {err.get('message')!r}")

    if not args.skip_model_error:
        try:
            client.chat.completions.create(model=model + "-does-not-exist", messages=messages, max_tokens=n)
            raise AssertionError("error-model: an unknown model was accepted")
        except openai.NotFoundError as e:
            check(e.status_code == 404, "error-model: status", e.status_code)
            print("ok error-model 404")
    print("openai_client_check: all checks passed")


if __name__ == "__main__":
    sys.exit(main())
