#!/usr/bin/env python3
"""Reference fixtures for SwiftTune's Jinja interpreter (Sources/SwiftTuneCore/Jinja).

Renders every case below with jinja2 configured exactly as transformers compiles chat templates
(ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker,
loopcontrols]) with transformers' raise_exception, strftime_now, tojson, dict and namespace) and writes
Tests/SwiftTuneCoreTests/Fixtures/jinja/cases.json: the expected output of each case, or the error it raises.
When transformers is installed, the environment is checked against transformers' own _compile_jinja_template.

Also writes Python's float repr for a set of doubles and strftime for fixed dates.

    python3 -m venv /work/venv-jinja && /work/venv-jinja/bin/pip install jinja2 transformers
    /work/venv-jinja/bin/python Tools/generate_jinja_fixtures.py            # write the fixtures
    /work/venv-jinja/bin/python Tools/generate_jinja_fixtures.py --check    # verify they are current

    # Differential check against real chat templates (not committed):
    /work/venv-jinja/bin/python Tools/generate_jinja_fixtures.py --real-templates /work/templates-src \
        --real-out /tmp/jinja-real.json
    SWIFTTUNE_JINJA_REAL=/tmp/jinja-real.json swift test --skip-build --filter JinjaRealTemplate
"""
import argparse
import json
import os
import random
import struct
import sys
import traceback
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

import jinja2
import jinja2.exceptions
import jinja2.ext
import jinja2.nodes
import jinja2.utils
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "SwiftTuneCoreTests", "Fixtures", "jinja", "cases.json")


def make_environment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False):
    """A copy of transformers.utils.chat_template_utils._cached_compile_jinja_template's environment."""

    class AssistantTracker(Extension):
        tags = {"generation"}

        def __init__(self, environment):
            super().__init__(environment)
            environment.extend(activate_tracker=self.activate_tracker)
            self._tracking = ContextVar("assistant_tracker", default=None)

        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

        @jinja2.pass_eval_context
        def _generation_support(self, context, caller):
            rv = caller()
            if (tracking := self._tracking.get()) is not None:
                rendered_blocks, generation_indices = tracking
                start_index = len("".join(rendered_blocks))
                generation_indices.append((start_index, start_index + len(rv)))
            return rv

        @contextmanager
        def activate_tracker(self, rendered_blocks, generation_indices):
            token = self._tracking.set((rendered_blocks, generation_indices))
            try:
                yield
            finally:
                self._tracking.reset(token)

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.now().strftime(format)

    class TemplateDict:
        def __call__(self, *args, **kwargs):
            return dict(*args, **kwargs)

        def fromkeys(self, *args, **kwargs):
            return dict.fromkeys(*args, **kwargs)

    class TemplateNamespace(jinja2.utils.Namespace):
        def __init__(*args, **kwargs):
            self, args = args[0], args[1:]
            attrs = dict(*args, **kwargs)
            for name in attrs:
                TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__init__(self, attrs)

        def __setitem__(self, name, value):
            TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__setitem__(self, name, value)

        @staticmethod
        def _check_name(name):
            if isinstance(name, str) and name.startswith("_"):
                raise jinja2.exceptions.SecurityError(f"underscore-prefixed namespace attribute {name!r}")

    env = ImmutableSandboxedEnvironment(
        trim_blocks=trim_blocks, lstrip_blocks=lstrip_blocks, keep_trailing_newline=keep_trailing_newline,
        extensions=[AssistantTracker, jinja2.ext.loopcontrols],
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    env.globals["dict"] = TemplateDict()
    env.globals["namespace"] = TemplateNamespace
    return env


def error_kind(e):
    if isinstance(e, jinja2.exceptions.TemplateAssertionError):
        msg = str(e)
        if msg.startswith("No filter named"):
            return "unknownFilter"
        if msg.startswith("No test named"):
            return "unknownTest"
        return "syntax"
    if isinstance(e, (jinja2.exceptions.TemplateSyntaxError, SyntaxError)):
        return "syntax"
    if isinstance(e, jinja2.exceptions.UndefinedError):
        return "undefinedName"
    if isinstance(e, jinja2.exceptions.SecurityError):
        return "type"
    if isinstance(e, jinja2.exceptions.TemplateRuntimeError):
        msg = str(e)
        if msg.startswith("No filter named"):
            return "unknownFilter"
        if msg.startswith("No test named"):
            return "unknownTest"
        return "type"
    if type(e) is jinja2.exceptions.TemplateError:
        return "raised"
    if isinstance(e, (OverflowError, RecursionError, MemoryError)):
        return "limit"
    return "type"


def template_line(e):
    if isinstance(e, jinja2.exceptions.TemplateSyntaxError):
        return e.lineno
    lines = [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.filename == "<template>"]
    return lines[-1] if lines else None


# A conversation most cases render against.
MESSAGES = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Hi there"},
    {"role": "assistant", "content": "Hello! How can I help?"},
    {"role": "user", "content": "  Tell me a joke.  "},
]
CONTEXT = {
    "messages": MESSAGES, "xs": [3, 1, 2], "words": ["b", "A", "c", "a"], "d": {"b": 2, "a": 1, "c": [1, 2]},
    "s": "héllo wörld", "n": None, "t": True, "f": False, "i": 7, "x": 2.5, "empty": [], "e": "",
    "users": [{"name": "bob", "age": 30, "tags": ["x"]}, {"name": "Alice", "age": 25, "tags": []},
              {"name": "carol", "age": 30}],
    "nested": {"a": {"b": {"c": "deep"}}, "list": [{"k": "v0"}, {"k": "v1"}]},
    "add_generation_prompt": True, "bos_token": "<s>", "eos_token": "</s>",
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters":
              {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
    "unicode": "naïve café ☕ 𝔘",
}

CASES = []


def case(name, template, context=None, **options):
    CASES.append({"name": name, "template": template, "context": CONTEXT if context is None else context,
                  "options": options})


def plain(name, template, context=None):
    """A case under Jinja2's own defaults (no trim_blocks, no lstrip_blocks)."""
    case(name, template, context, trim_blocks=False, lstrip_blocks=False)


# --- Text, output, comments -------------------------------------------------------------------------
case("text", "plain text")
case("empty", "")
case("output", "{{ 'a' }}{{ 1 }}{{ 1.5 }}{{ none }}{{ true }}{{ n }}{{ undefined_name }}|")
case("comment", "a{# comment #}b{# multi\nline #}c")
case("trailing newline dropped", "line\n")
case("two trailing newlines", "line\n\n")
case("trailing newline kept", "line\n", keep_trailing_newline=True)
case("crlf normalised", "a\r\nb\rc\n{% if true %}\r\nx{% endif %}")
case("braces in text", "{ not a tag } {x} %} }}")
case("lone brace at end", "text {")

# --- Whitespace control -------------------------------------------------------------------------------
for opts_name, opts in [("transformers", {}), ("plain", {"trim_blocks": False, "lstrip_blocks": False}),
                        ("trim only", {"trim_blocks": True, "lstrip_blocks": False}),
                        ("lstrip only", {"trim_blocks": False, "lstrip_blocks": True})]:
    case(f"ws {opts_name}: block lines", "start\n  {% if true %}\n    body\n  {% endif %}\nend\n", None, **opts)
    case(f"ws {opts_name}: for lines", "{% for m in xs %}\n  - {{ m }}\n{% endfor %}\ndone", None, **opts)
    case(f"ws {opts_name}: comment lines", "a\n  {# note #}\nb\n    {#- x -#}   \nc", None, **opts)
    case(f"ws {opts_name}: variable at line start", "a\n   {{ 1 }}\n  {% if true %}x{% endif %}  \n", None, **opts)
    case(f"ws {opts_name}: minus both", "a  \n {%- if true -%} \n b \n {%- endif -%}\n  c", None, **opts)
    case(f"ws {opts_name}: plus", "a\n  {%+ if true +%}\nb\n  {%+ endif %}\nc", None, **opts)
    case(f"ws {opts_name}: variable minus", "a \n {{- 'x' -}} \n b", None, **opts)
    case(f"ws {opts_name}: tabs", "\t{% if true %}\t\n\tx\n\t{% endif %}\n", None, **opts)
    case(f"ws {opts_name}: text before tag", "x {% if true %}\ny\n{% endif %} z", None, **opts)
    case(f"ws {opts_name}: endfor newline", "{% for i in range(2) %}{{ i }}\n{% endfor %}\nafter", None, **opts)
    case(f"ws {opts_name}: raw", "{% raw %}\n  {{ not }} {% parsed %}\n  {% endraw %}\nz", None, **opts)
    case(f"ws {opts_name}: set lines", "  {% set a = 1 %}\n  {% set b %}\n  x\n  {% endset %}\n[{{ b }}]", None, **opts)
    case(f"ws {opts_name}: crlf", "a\r\n  {% if true %}\r\n  b\r\n  {% endif %}\r\n", None, **opts)
case("ws: minus strips newlines and unicode spaces", "a\u00a0\u2003\n\n{{- 'b' }}\u3000\n{%- if true %}c{% endif %}")
case("ws: newline after variable is kept", "{{ 'a' }}\n{{ 'b' }}\n")
case("ws: comment then tag", "{# c #}\n{% if true %}\nx\n{% endif %}\n")
case("ws: lstrip after trimmed tag", "{% if true %}\n    {% if true %}\n  y\n    {% endif %}\n{% endif %}\n")
case("ws: lstrip needs whitespace only", "ab {% if true %}c{% endif %}\n  d {% if true %}e{% endif %}")
case("ws: lstrip at start", "   {% if true %}x{% endif %}")
case("ws: minus before plus", "a   {%- if true +%}\n b{% endif %}")
case("ws: minus comment", "a   {#- c #}  b {# c -#}   c")
case("ws: raw minus", "a  {%- raw -%}  inner  {%- endraw -%}  b")
case("ws: chatml", "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
case("ws: llama style", "{{- bos_token }}\n{%- for message in messages %}\n    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n{%- endif %}\n")
case("ws: dict literal closing braces", "{{ {'a': {'b': 1}}}}|{{ {'a': 1}['a']}}")

# --- Literals and repr ----------------------------------------------------------------------------------
case("string escapes", r"""{{ 'a\nb\tc\\d\'e"f' }}|{{ "q\"r" }}|{{ '\x41\u00e9\U0001F600\101\q\d' }}""")
case("string concatenation of literals", "{{ 'a' 'b' \"c\" }}")
case("numbers", "{{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1.5e3 }} {{ 2E-3 }} {{ 1_0.5 }}")
case("error: leading zero literal", "{{ 012 }}")
case("float repr", "{{ [0.1, 1.0, 1e-05, 1e16, 1e15, 123456789.123, 2.5e-7, 1/3, 100.0, -0.0, 3e20] }}")
case("repr of values", "{{ [1, 'a', none, true, false, 1.5, [], {}, {'k': 'v', 'n': [1, 'x']}] }}")
case("repr quotes", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'tab\\t', 'nl\\n', 'uni é ☕', '\\x00\\x7f'] }}")
case("tuples", "{{ (1, 2) | list }}|{{ (1,) | length }}|{{ () | list }}|{% for a, b in [(1, 2)] %}{{ a }}{{ b }}{% endfor %}")
case("dict literal order", "{{ {'z': 1, 'a': 2, 'm': 3} }}|{{ {'z': 1, 'a': 2} | tojson }}")
case("list literal trailing comma", "{{ [1, 2,] }}{{ {'a': 1,} }}")
case("bool spellings", "{{ True }}{{ False }}{{ None }}{{ true and True }}")

# --- Operators --------------------------------------------------------------------------------------
case("arithmetic", "{{ 1 + 2 }} {{ 7 - 10 }} {{ 3 * 4 }} {{ 7 / 2 }} {{ 6 / 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }}")
case("float arithmetic", "{{ 0.1 + 0.2 }} {{ 7.5 // 2 }} {{ -7.5 // 2 }} {{ 7.5 % 2 }} {{ -7.5 % 2 }} {{ 2.0 ** 0.5 }} {{ 1 + 1.0 }} {{ true + 1 }}")
case("pow is left associative", "{{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ (-2) ** 3 }}")
case("unary", "{{ -i }} {{ +i }} {{ - -i }} {{ -x }} {{ not t }} {{ not empty }}")
case("unary minus and filter", "{{ -3|abs }} {{ -x|abs }}")
case("string ops", "{{ 'a' + 'b' }} {{ 'ab' * 3 }} {{ 3 * 'x' }} {{ [1] * 3 }} {{ [1] + [2] }} {{ 'x' ~ 1 ~ none ~ true ~ [1] ~ undefined_name }}")
case("string repeat zero", "[{{ 'ab' * 0 }}][{{ 'ab' * -2 }}]")
case("percent format operator", "{{ '%s and %d' % ('a', 3) }}|{{ '%05.1f' % 3.14159 }}|{{ '%s' % 'one' }}|{{ '%(a)s-%(b)s' % {'a': 1, 'b': 2} }}")
case("comparison", "{{ 1 < 2 }} {{ 2 <= 2 }} {{ 3 > 4 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 'a' != 'a' }} {{ none == none }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}")
case("comparison unicode", "{{ 'é' > 'z' }} {{ 'Z' < 'a' }} {{ 'ab' < 'abc' }}")
case("and or return operands", "{{ 0 or 'x' }}|{{ 'a' and 'b' }}|{{ '' and 'b' }}|{{ none or [] }}|{{ 1 and 0 }}|{{ undefined_name or 'dflt' }}")
case("not precedence", "{{ not 1 == 2 }} {{ not true and false }} {{ not (true and false) }}")
case("in", "{{ 'b' in 'abc' }} {{ 'z' in 'abc' }} {{ 2 in [1, 2] }} {{ 'a' in d }} {{ 'z' not in d }} {{ 3 not in xs }} {{ 1.0 in [1] }} {{ 'x' in undefined_name }} {{ '' in 'abc' }}")
case("in substring unicode", "{{ 'é' in s }} {{ 'wö' in s }}")
case("conditional expression", "{{ 'y' if t else 'n' }} {{ 'y' if f else 'n' }} [{{ 'y' if f }}] {{ 1 if f else 2 if t else 3 }}")
case("concat precedence", "{{ 1 ~ 2 + 3 }} {{ 'a' ~ 2 * 3 }} {{ 1 + 2 ~ 3 }}")
case("error: concat precedence", "{{ 1 + 2 ~ 3 + 4 }}")
case("math precedence", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 2 - 3 }} {{ 2 * 3 % 4 }} {{ 100 / 10 / 5 }}")

# --- Attributes, items, slices ---------------------------------------------------------------------
case("attribute and item", "{{ d.a }} {{ d['b'] }} {{ nested.a.b.c }} {{ nested['a']['b'].c }} {{ nested.list[1].k }} {{ nested.list.0.k }} {{ xs[0] }} {{ xs[-1] }} {{ s[0] }} {{ s[-1] }}")
case("missing attribute", "[{{ d.zz }}][{{ d['zz'] }}][{{ xs[10] }}][{{ n.foo }}][{{ i.foo }}][{{ s.nope }}][{{ xs.nope }}]")
case("missing attribute is undefined", "{{ d.zz is defined }} {{ d.zz is undefined }} {{ messages[0].tool_calls is defined }}")
case("dict method shadows key", "{{ {'items': 1}['items'] }} {{ {'get': 5}.get('get') }}")
case("slices", "{{ xs[1:] }} {{ xs[:1] }} {{ xs[::-1] }} {{ xs[::2] }} {{ xs[-2:] }} {{ xs[1:-1] }} {{ xs[5:] }} {{ xs[-100:100] }} {{ xs[2:0:-1] }}")
case("string slices", "{{ s[1:4] }}|{{ s[::-1] }}|{{ s[:-3] }}|{{ unicode[-1] }}|{{ unicode[::-1] }}|{{ s[100:] }}")
case("messages slicing", "{% for m in messages[1:] %}{{ m.role }},{% endfor %}|{% for m in messages[::-1] %}{{ m.role }},{% endfor %}")
case("slice with variables", "{% set k = 2 %}{{ xs[:k] }}{{ xs[k:] }}{{ s[:k] }}")
case("item with bool index", "{{ xs[true] }}{{ xs[false] }}")

# --- Statements ------------------------------------------------------------------------------------
case("if elif else", "{% for v in [1, 2, 3, 0] %}{% if v == 1 %}one{% elif v == 2 %}two{% elif v == 3 %}three{% else %}other{% endif %},{% endfor %}")
case("for loop variables", "{% for v in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}")
case("for previtem nextitem", "{% for v in xs %}[{{ loop.previtem }}<{{ v }}>{{ loop.nextitem }}]{{ loop.previtem is defined }}{% endfor %}")
case("for cycle", "{% for v in range(5) %}{{ loop.cycle('a', 'b', 'c') }}{% endfor %}")
case("for changed", "{% for v in [1, 1, 2, 2, 1] %}{{ loop.changed(v) }},{% endfor %}")
case("for else", "{% for v in empty %}x{% else %}none{% endfor %}|{% for v in xs %}{{ v }}{% else %}none{% endfor %}")
case("for filter", "{% for v in xs if v > 1 %}{{ v }}:{{ loop.index }}/{{ loop.length }}{{ loop.last }},{% else %}none{% endfor %}|{% for v in xs if v > 10 %}x{% else %}none{% endfor %}")
case("for dict items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{% for v in d.values() %}{{ v }}{% endfor %}")
case("for string", "{% for c in 'héy' %}[{{ c }}]{% endfor %}")
case("for unpack pairs", "{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% endfor %}|{% for (a, b) in [('x', 'y')] %}{{ a }}{{ b }}{% endfor %}")
case("for undefined", "{% for v in undefined_name %}x{% else %}empty{% endfor %}")
case("nested loops", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }}{% endfor %}{{ loop.index }};{% endfor %}")
case("outer loop through set", "{% for a in [1, 2] %}{% set outer = loop %}{% for b in [1, 2] %}{{ outer.index }}{{ loop.index }} {% endfor %}{% endfor %}")
case("break continue", "{% for v in range(10) %}{% if v == 2 %}{% continue %}{% endif %}{% if v == 5 %}{% break %}{% endif %}{{ v }}{% endfor %}")
case("break skips else", "{% for v in xs %}{% break %}{% else %}else{% endfor %}done")
case("loop variable does not leak", "{% for v in xs %}{% endfor %}[{{ v }}][{{ loop }}]")
case("set", "{% set a = 1 %}{% set b, c = 2, 3 %}{% set l = [a, b, c] %}{{ a }}{{ b }}{{ c }}{{ l }}")
case("set block", "{% set block %}Hello {{ 'world' }}{% endset %}[{{ block }}]{{ block | length }}")
case("set block filter", "{% set block | upper | replace('L', '_') %}hello{% endset %}{{ block }}")
case("set inside if leaks", "{% if true %}{% set q = 1 %}{% endif %}{{ q }}")
case("set inside for does not leak", "{% set x = 1 %}{% for i in range(3) %}{% set x = x + 10 %}[{{ x }}]{% endfor %}{{ x }}")
case("set in loop resets each iteration", "{% for i in range(3) %}{% if i == 0 %}{% set y = 'a' %}{% endif %}[{{ y }}]{% endfor %}")
case("read before set in loop", "{% set x = 1 %}{% for i in [1] %}{{ x }}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}")
case("set block scope", "{% set y %}{% set z = 3 %}abc{% endset %}{{ y }}[{{ z }}]")
case("namespace", "{% set ns = namespace(count=0, found=false) %}{% for v in xs %}{% set ns.count = ns.count + v %}{% if v == 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }} {{ ns.missing }}")
case("namespace from dict", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}")
case("namespace last system", "{%- set ns = namespace(last_user=-1) %}{%- for m in messages %}{%- if m.role == 'user' %}{%- set ns.last_user = loop.index0 %}{%- endif %}{%- endfor %}{{ ns.last_user }}")
case("namespace repr", "{{ namespace(a=1) }}")
case("macro", "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Bob') }} {{ greet('Ann', 'Hi') }} {{ greet(greeting='Yo', name='Cy') }} {{ greet() }}")
case("macro varargs kwargs", "{% macro m(a, b=2) %}{{ a }}{{ b }}{{ varargs | list }}{{ kwargs }}{% endmacro %}{{ m(1) }}|{{ m(1, 3) }}|{{ m(1, 2, 3, 4) }}|{{ m(1, c=5) }}")
case("macro default uses earlier arg", "{% macro m(a, b=a * 2) %}{{ a }}-{{ b }}{% endmacro %}{{ m(3) }}")
case("macro sees globals at call time", "{% macro m() %}{{ g }}{% endmacro %}{% set g = 1 %}{{ m() }}{% set g = 2 %}{{ m() }}")
case("macro scoping", "{% set x = 'outer' %}{% macro m() %}{% set x = 'inner' %}{{ x }}{% endmacro %}{{ m() }}{{ x }}")
case("macro recursion", "{% macro fact(k) %}{% if k <= 1 %}1{% else %}{{ k * fact(k - 1) | int }}{% endif %}{% endmacro %}{{ fact(5) }}")
case("macro in loop", "{% macro render(m) %}<{{ m.role }}>{% endmacro %}{% for m in messages %}{{ render(m) }}{% endfor %}")
case("macro repr and callable", "{% macro m() %}{% endmacro %}{{ m is callable }} {{ m }}")
case("macro output is string", "{% macro m() %}  x  {% endmacro %}[{{ m() | trim }}]{{ m() | length }}")
case("call block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ 1 + 1 }}{% endcall %}")
case("call block with args", "{% macro each(items) %}{% for it in items %}{{ caller(it) }}{% endfor %}{% endmacro %}{% call(item) each(xs) %}[{{ item }}]{% endcall %}")
case("filter block", "{% filter upper %}hello {{ 'x' }}{% endfilter %}|{% filter trim %}   padded   {% endfilter %}|{% filter replace('a', 'o') | upper %}banana{% endfilter %}")
case("with block", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]")
case("raw block", "{% raw %}{{ x }}{% if %}{% endraw %}")
case("print tag", "{% print 'a', 1 %}")
case("generation block", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}")
case("generation scope", "{% generation %}{% set z = 1 %}{{ z }}{% endgeneration %}[{{ z }}]")

# --- Tests -----------------------------------------------------------------------------------------
case("tests", "{{ n is none }} {{ i is number }} {{ x is float }} {{ i is integer }} {{ t is boolean }} {{ t is true }} {{ f is false }} {{ i is odd }} {{ i is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ s is string }} {{ d is mapping }} {{ xs is iterable }} {{ xs is sequence }} {{ d is sequence }} {{ s is sequence }} {{ i is iterable }} {{ undefined_name is iterable }}")
case("tests bool is number", "{{ t is number }} {{ t is integer }} {{ 1.0 is integer }} {{ i is float }} {{ none is mapping }}")
case("comparison tests", "{{ 1 is eq 1 }} {{ 1 is equalto(2) }} {{ 1 is ne 2 }} {{ 2 is gt 1 }} {{ 2 is lt 1 }} {{ 2 is ge 2 }} {{ 2 is le 1 }} {{ 2 is in [1, 2] }} {{ 'a' is in 'abc' }} {{ 2 is greaterthan 1 }} {{ 1 is lessthan 1 }}")
case("is not", "{{ n is not none }} {{ d.zz is not defined }} {{ s is not string }}")
case("callable tests", "{{ range is callable }} {{ s.upper is callable }} {{ s is callable }} {{ d.items is callable }}")
case("lower upper tests", "{{ 'abc' is lower }} {{ 'aBc' is lower }} {{ 'ABC' is upper }} {{ '1' is upper }}")
case("sameas", "{{ none is sameas none }} {{ t is sameas true }} {{ 1 is sameas true }}")
case("filter and test tests", "{{ 'upper' is filter }} {{ 'nosuch' is filter }} {{ 'odd' is test }}")
case("test precedence", "{{ 1 + 1 is eq 2 }} {{ not n is none }} {{ xs | length is gt 2 }}")

# --- String methods --------------------------------------------------------------------------------
case("strip", "[{{ '  a b  '.strip() }}][{{ '  a  '.lstrip() }}][{{ '  a  '.rstrip() }}][{{ 'xxaxx'.strip('x') }}][{{ '\t\n a \u3000'.strip() }}][{{ 'abcba'.strip('ab') }}]")
case("split", "{{ 'a,b,,c'.split(',') }} {{ '  a  b \t c  '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ 'abc'.split('x') }} {{ ''.split() }} {{ ''.split(',') }} {{ ' a b '.rsplit(None, 1) }} {{ 'a b c'.split(maxsplit=1) }}")
case("startswith endswith", "{{ s.startswith('hé') }} {{ s.endswith('ld') }} {{ s.startswith(('x', 'h')) }} {{ 'abc'.endswith(('z', 'y')) }} {{ 'abc'.startswith('') }}")
case("case methods", "{{ 'hello World'.upper() }} {{ 'HeLLo'.lower() }} {{ 'hello world foo-bar'.title() }} {{ 'hELLO wORLD'.capitalize() }} {{ 'straße'.upper() }} {{ \"they're bill's\".title() }}")
case("replace method", "{{ 'aaa'.replace('a', 'b') }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'abc'.replace('', '-') }} {{ 'héé'.replace('é', 'e') }}")
case("find count", "{{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ s.find('w') }} {{ 'banana'.count('a') }} {{ 'aaaa'.count('aa') }} {{ 'abc'.index('c') }}")
case("join method", "{{ ', '.join(['a', 'b']) }}|{{ ''.join('xyz') }}|{{ '-'.join(d) }}")
case("format method", "{{ '{}-{}'.format('a', 1) }} {{ '{0}{1}{0}'.format('x', 'y') }} {{ '{name}!'.format(name='Z') }} {{ '{{}}{}'.format(5) }} {{ '{:>5}|{:<4}|{:^7}|{:05d}|{:.2f}|{:+d}'.format('r', 'l', 'c', 42, 3.14159, 7) }} {{ '{!r}'.format('q') }}")
case("splitlines", "{{ 'a\nb\r\nc\rd\n'.splitlines() }} {{ 'a\n\nb'.splitlines() }} {{ 'x\ny'.splitlines(true) }}")
case("is methods", "{{ '123'.isdigit() }} {{ '12a'.isdigit() }} {{ '  '.isspace() }} {{ ''.isspace() }} {{ 'abé'.isalpha() }} {{ 'ab1'.isalpha() }} {{ 'ab1'.isalnum() }} {{ 'ABC'.isupper() }} {{ 'abc'.islower() }}")
case("misc string methods", "[{{ 'ab'.center(6, '*') }}][{{ 'ab'.ljust(4) }}][{{ 'ab'.rjust(4, '.') }}][{{ '42'.zfill(5) }}][{{ 'prefix-x'.removeprefix('prefix-') }}][{{ 'a.b.c'.partition('.') | list }}][{{ 'a.b.c'.rpartition('.') | list }}]")
case("dict methods", "{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 'dflt') }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | map('list') | list }}")
case("list methods", "{{ xs.index(1) }} {{ [1, 1, 2].count(1) }}")

# --- Filters ---------------------------------------------------------------------------------------
case("trim filter", "[{{ '  x  ' | trim }}][{{ 'xxyxx' | trim('x') }}][{{ none | trim }}][{{ undefined_name | trim }}]")
case("length", "{{ xs | length }} {{ s | length }} {{ d | length }} {{ '' | count }} {{ unicode | length }} {{ undefined_name | length }}")
case("tojson", "{{ d | tojson }}|{{ messages[0] | tojson }}|{{ [1, 'a', none, true, 1.5] | tojson }}|{{ 'é\"\\\\\n\t\u2028' | tojson }}|{{ unicode | tojson }}")
case("tojson indent", "{{ tools | tojson(indent=4) }}|{{ {'a': [], 'b': {}} | tojson(indent=2) }}|{{ [1, [2]] | tojson(indent=0) }}")
case("tojson options", "{{ d | tojson(sort_keys=true) }}|{{ d | tojson(separators=(',', ':')) }}|{{ d | tojson(indent='\t') }}|{{ 'é' | tojson(ensure_ascii=true) }}|{{ '😀' | tojson(ensure_ascii=true) }}")
case("tojson floats", "{{ [1.0, 0.1, 1e20, 1e-7, 12345678901234567.0] | tojson }}")
case("join filter", "{{ xs | join }}|{{ xs | join(', ') }}|{{ users | join('/', attribute='name') }}|{{ [1, none, 'a'] | join('-') }}|{{ 'abc' | join('.') }}")
case("default filter", "{{ undefined_name | default('d') }}|{{ n | default('d') }}|{{ '' | default('d') }}|{{ '' | default('d', true) }}|{{ 0 | d('z', boolean=true) }}|{{ undefined_name | d }}|{{ d.zz | default(d.a) }}")
case("first last", "{{ xs | first }} {{ xs | last }} {{ s | first }} {{ s | last }} [{{ empty | first }}] {{ d | first }} {{ d | last }}")
case("list filter", "{{ 'abc' | list }} {{ d | list }} {{ xs | list }} {{ undefined_name | list }}")
case("map", "{{ users | map(attribute='name') | list }} {{ users | map(attribute='tags.0', default='none') | list }} {{ words | map('upper') | list }} {{ xs | map('string') | join('+') }} {{ users | map(attribute='missing') | list }}")
case("select reject", "{{ range(10) | select('odd') | list }} {{ range(10) | reject('even') | list }} {{ [0, 1, '', 'a', none] | select | list }} {{ xs | select('gt', 1) | list }} {{ range(10) | select('divisibleby', 3) | list }}")
case("selectattr", "{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | list }} {{ users | selectattr('age', 'eq', 30) | map(attribute='name') | join(',') }} {{ users | rejectattr('age', 'gt', 26) | map(attribute='name') | list }} {{ users | selectattr('tags') | map(attribute='name') | list }} {{ users | selectattr('tags', 'defined') | list | length }}")
case("select returns iterator", "{{ (xs | select('odd') | list) | length }} {% if empty | select('odd') %}truthy{% endif %}")
case("string filter", "{{ 1 | string }} {{ none | string }} {{ xs | string }} {{ t | string ~ '!' }}")
case("int float", "{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(5) }} {{ 3.9 | int }} {{ '0x1A' | int(base=16) }} {{ ' 12 ' | int }} {{ '1_000' | int }} {{ true | int }} {{ none | int }} | {{ '1.5' | float }} {{ 'x' | float }} {{ 3 | float }} {{ 'inf' | float }} {{ '1e3' | float }}")
case("abs round", "{{ -3 | abs }} {{ -2.5 | abs }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} {{ 1.234 | round(1, 'ceil') }} {{ 1.25 | round(1, 'floor') }} {{ 3 | round }} {{ -0.5 | round }} {{ 1234.5 | round(-2) }}")
case("case filters", "{{ 'hello' | upper }} {{ 'HeLLo' | lower }} {{ 'hello wORLD-foo (bar) [baz] <q>' | title }} {{ 'hELLO' | capitalize }} {{ \"they're\" | title }}")
case("replace filter", "{{ 'hello' | replace('l', 'L') }} {{ 'aaa' | replace('a', 'b', 1) }} {{ 5 | replace('5', 'five') }}")
case("indent", "[{{ 'a\nb\n\nc' | indent }}][{{ 'a\nb' | indent(2, true) }}][{{ 'a\n\nb\n' | indent(2, blank=true) }}][{{ 'a\nb' | indent('> ') }}][{{ 'single' | indent(first=true) }}][{{ '' | indent(first=true) }}]")
case("escape safe", "{{ '<a href=\"x\">&\\'</a>' | e }}|{{ '<b>' | escape }}|{{ '<b>' | safe }}|{{ '<i>' | forceescape }}")
case("unique", "{{ [1, 2, 1, 3, 2] | unique | list }} {{ words | unique | list }} {{ words | unique(case_sensitive=true) | list }} {{ users | unique(attribute='age') | map(attribute='name') | list }}")
case("sort", "{{ xs | sort }} {{ xs | sort(reverse=true) }} {{ words | sort }} {{ words | sort(case_sensitive=true) }} {{ users | sort(attribute='age') | map(attribute='name') | list }} {{ users | sort(attribute='age,name') | map(attribute='name') | list }} {{ users | sort(attribute='name', reverse=true) | map(attribute='name') | list }}")
case("reverse", "{{ xs | reverse | list }} {{ 'abc' | reverse }} {{ d | reverse | list }} {% for m in messages | reverse %}{{ m.role[0] }}{% endfor %}")
case("sum min max", "{{ xs | sum }} {{ xs | sum(start=10) }} {{ users | sum(attribute='age') }} {{ xs | min }} {{ xs | max }} {{ words | min }} {{ words | max }} {{ words | max(case_sensitive=true) }} {{ users | max(attribute='age') | tojson }} [{{ empty | max }}] {{ [1.5, 2] | sum }} {{ [[1], [2]] | sum(start=[]) }}")
case("items dictsort", "{{ d | items | map('list') | list }} {{ d | dictsort | map('join', '=') | list }} {{ d | dictsort(reverse=true) | map('first') | list }} {{ {'b': 1, 'A': 2, 'a': 0} | dictsort | map('first') | join }} {{ {'b': 1, 'A': 2, 'a': 0} | dictsort(true) | map('first') | join }} {{ {'x': 2, 'y': 1} | dictsort(by='value') | map('last') | list }} {{ undefined_name | items | list }}")
case("wordcount center", "{{ 'hello big  world, its_me 42!' | wordcount }} [{{ 'ab' | center(7) }}] [{{ 'abc' | center(6) }}]")
case("format filter", "{{ '%s-%s' | format('a', 'b') }} {{ '%d%%' | format(50) }} {{ '%.3f' | format(3.14159) }} {{ '%5s|%-5s|' | format('r', 'l') }} {{ '%x %X %o' | format(255, 255, 8) }} {{ '%r' | format('q') }} {{ '%(a)s' | format(a=1) }} {{ '%e' | format(12345.678) }} {{ '%g %g' | format(0.00001, 123456789) }} {{ '%+d % d' | format(5, 5) }} {{ '%s' | format([1, 2]) }}")
case("truncate", "{{ 'hello world foo bar' | truncate(9) }}|{{ 'hello world foo bar' | truncate(9, true) }}|{{ 'hello world' | truncate(11) }}|{{ 'hello world foo bar' | truncate(12, end='…') }}|{{ 'abcdefghij' | truncate(5, leeway=0) }}")
case("batch slice", "{{ range(7) | batch(3) | list }} {{ range(5) | batch(2, 'x') | list }} {{ range(7) | slice(3) | list }} {{ range(5) | slice(2, 0) | list }}")
case("attr filter", "{{ d | attr('a') }}|{{ namespace(q=1) | attr('q') }}|{{ d | attr('items') is callable }}")
case("filter chains", "{{ messages | map(attribute='role') | unique | list | join(', ') | upper }}")
case("filter precedence", "{{ 'a' ~ 'b' | upper }} {{ ('a' ~ 'b') | upper }} {{ (1 + 2) | string }}")
case("pprint", "{{ d | pprint }} {{ 'x' | pprint }}")

case("markup plus escapes", "{{ 'a<'|safe + '<b>' }}|{{ '<b>' + 'x'|safe }}|{{ '<x>'|e + '<y>' }}|{{ ('a'|safe) ~ '<' }}|{{ '<'|safe|upper + '<' }}|{{ '<'|safe + '<'|safe }}")
case("markup format", "{{ ('%s'|safe) % '<i>' }}|{{ '%s'|safe|format('<') }}|{{ '%s' | format('<') }}")
case("markup behaves like a string", "{{ ('<'|safe) is string }} {{ ('x'|safe) == 'x' }} {{ '<p>'|safe|length }} {% set m = '<'|safe %}{{ [m] }} {{ m | tojson }} {{ m in '<<' }} {{ ('ab'|safe)[0] }} {{ ('a b'|safe).split() }}")
case("functionary style markup", "{{ \"Use '\"|safe + 'f' + \"'\\n\"|safe + {'a': '<b>'} | tojson }}")
case("dict literal non-string keys", "{{ {1: 'a', 2: 'b'} }} {{ {1: 'a'}[1] }} {% for k, v in {2: 'b', 1: 'a'}|dictsort %}{{ k + 1 }}{{ v }}{% endfor %} {{ {1: 'a'} | tojson }} {{ 1 in {1: 2} }} {{ {true: 1, none: 2} | tojson }} {% for k in {3: 0} %}{{ k * 2 }}{% endfor %}")
case("dict thresholds", "{%- set budget = {0: 0, 1024: 256, 4096: 512} -%}{%- set ns = namespace(v=none) -%}{%- for k, v in budget | dictsort -%}{%- if ns.v is none and 2000 <= k -%}{%- set ns.v = v -%}{%- endif -%}{%- endfor -%}{{ ns.v }}")

# --- Globals -------------------------------------------------------------------------------------------
case("range", "{{ range(3) | list }} {{ range(1, 4) | list }} {{ range(10, 0, -3) | list }} {{ range(0) | list }} {{ range(5, 1) | list }}")
case("dict global", "{{ dict(a=1, b=2) }} {{ dict({'x': 1}, y=2) }} {{ dict([('p', 1)]) }} {{ dict() }}")
case("raise_exception", "{% if messages | length > 2 %}{{ raise_exception('Too many messages: ' ~ messages | length) }}{% endif %}")
case("raise_exception unicode", "line one\n{{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }}")

# --- Chat-template idioms ---------------------------------------------------------------------------
case("system message extraction", "{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] %}{%- set loop_messages = messages[1:] %}{%- else %}{%- set loop_messages = messages %}{%- endif %}[{{ system_message }}]{% for m in loop_messages %}{{ m.role }}{% endfor %}")
case("alternation check", "{% for message in messages[1:] %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('alternate') }}{% endif %}{% endfor %}ok")
case("content string or list", "{%- for m in [{'content': 'text'}, {'content': [{'type': 'text', 'text': 'a'}, {'type': 'image'}, {'type': 'text', 'text': 'b'}]}] %}{%- if m.content is string %}{{ m.content }}{%- else %}{%- for c in m.content %}{%- if c.type == 'text' %}{{ c.text }}{% endif %}{%- endfor %}{%- endif %}|{%- endfor %}")
case("tool call rendering", "{%- for tool in tools %}{{ tool.function.name }}: {{ tool.function.parameters | tojson }}\n{%- endfor %}{%- set tc = {'name': 'f', 'arguments': {'x': 1, 'y': 'z'}} %}\n<tool_call>{\"name\": \"{{ tc.name }}\", \"arguments\": {{ tc.arguments | tojson }}}</tool_call>")
case("reasoning split", "{%- set content = '<think>\nhmm\n</think>\n\nAnswer' %}{%- if '</think>' in content %}{%- set reasoning = content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}{%- set content = content.split('</think>')[-1].lstrip('\n') %}{% endif %}[{{ reasoning }}][{{ content }}]")
case("strftime literal", "{{ 'no call' }}")
case("loop over messages reversed with namespace", "{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}{%- for message in messages[::-1] %}{%- set index = (messages|length - 1) - loop.index0 %}{%- if ns.multi_step_tool and message.role == 'user' %}{%- set ns.multi_step_tool = false %}{%- set ns.last_query_index = index %}{%- endif %}{%- endfor %}{{ ns.last_query_index }}")

# --- Errors ----------------------------------------------------------------------------------------
case("error: unclosed block", "{% if true %}never closed")
case("error: unclosed for", "line\n{% for x in xs %}\n{{ x }}")
case("error: unknown tag", "{% frobnicate %}")
case("error: unexpected end tag", "{% endif %}")
case("error: bad expression", "{{ 1 + }}")
case("error: unclosed variable", "{{ 1 + 2")
case("error: unclosed comment", "a {# never")
case("error: unclosed string", "{{ 'abc }}")
case("error: unbalanced bracket", "{{ (1 + 2 }}")
case("error: unexpected closing", "{{ 1 ) }}")
case("error: unknown filter", "line\n{{ x | nosuchfilter }}")
case("error: unknown filter in if is fine", "{% if false %}{{ x | nosuchfilter }}{% endif %}ok")
case("error: unknown filter in if runs", "{% if true %}\n{{ x | nosuchfilter }}{% endif %}")
case("error: unknown test", "{{ x is nosuchtest }}")
case("error: unknown test in if runs", "{% if x is nosuchtest %}{% endif %}")
case("error: undefined attribute", "line 1\nline 2 {{ nope.attr }}")
case("error: undefined item", "{{ nope[0] }}")
case("error: undefined nested", "{{ d.zz.y }}")
case("error: undefined arithmetic", "{{ nope + 1 }}")
case("error: undefined comparison", "{{ nope < 1 }}")
case("error: undefined call", "{{ nope() }}")
case("error: call non-callable", "{{ xs() }}")
case("error: call string attr missing", "{{ s.nosuchmethod() }}")
case("error: type add", "{{ 'a' + 1 }}")
case("error: type compare", "{{ 'a' < 1 }}")
case("error: none compare", "{{ n < 1 }}")
case("error: division by zero", "{{ 1 / 0 }}")
case("error: floor division by zero", "{{ 1 // 0 }}")
case("error: modulo by zero", "{{ 1 % 0 }}")
case("error: not iterable", "{% for v in 3 %}{% endfor %}")
case("error: none not iterable", "{% for v in n %}{% endfor %}")
case("error: unpack", "{% for a, b in xs %}{% endfor %}")
case("error: length of int", "{{ 3 | length }}")
case("error: list append is unsafe", "{% set l = [] %}{{ l.append(1) }}")
case("error: dict update is unsafe", "{{ d.update({'x': 1}) }}")
case("error: raise", "{{ raise_exception('custom failure message') }}")
case("error: tojson undefined", "{{ nope | tojson }}")
case("error: namespace underscore", "{% set ns = namespace(_x=1) %}")
case("error: set attr on non-namespace", "{% set d.x = 1 %}")
case("error: range too big", "{{ range(1000000) | length }}")
case("error: break outside loop", "{% break %}")
case("error: macro too many args", "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}")
case("error: macro unknown kwarg", "{% macro m(a) %}{% endmacro %}{{ m(b=1) }}")
case("error: select length", "{{ xs | select('odd') | length }}")
case("error: multiple tests", "{{ 1 is odd is even }}")
case("error: assign to literal", "{% set 1 = 2 %}")
case("error: int filter on undefined", "{{ nope | int }}")
case("error: slice step zero", "{{ xs[::0] }}")
case("error: string index method missing", "{{ 'abc'.index('z') }}")
case("error: format args", "{{ '%s %s' | format('a') }}")
case("error: undefined in loop body line", "{% for v in xs %}\n{% if v == 2 %}\n{{ v.nope.deeper }}\n{% endif %}\n{% endfor %}")
case("error: non-default after default", "{% macro m(a=1, b) %}{% endmacro %}")


def render_case(c):
    opts = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": False}
    opts.update(c["options"])
    env = make_environment(**opts)
    try:
        template = env.from_string(c["template"])
        out = template.render(**c["context"])
        return {"expected": out}
    except Exception as e:  # noqa: BLE001 - every error becomes part of the fixture
        err = {"kind": error_kind(e), "type": type(e).__name__, "message": str(e)}
        line = template_line(e)
        if line is not None:
            err["line"] = line
        return {"error": err}


def check_against_transformers():
    try:
        from transformers.utils.chat_template_utils import _compile_jinja_template
    except Exception:  # noqa: BLE001
        print("transformers not importable: skipping the environment cross-check", file=sys.stderr)
        return
    for c in CASES:
        if c["options"]:
            continue
        ours = render_case(c)
        try:
            theirs = {"expected": _compile_jinja_template(c["template"]).render(**c["context"])}
        except Exception as e:  # noqa: BLE001
            theirs = {"error": {"kind": error_kind(e)}}
        if ("expected" in ours) != ("expected" in theirs) or ours.get("expected") != theirs.get("expected"):
            if not ("error" in ours and "error" in theirs):
                raise SystemExit(f"environment differs from transformers on case {c['name']!r}: {ours} vs {theirs}")


def float_samples():
    rng = random.Random(1234)
    values = [0.1, 1.0, 1e-05, 1e-4, 1e15, 1e16, 9999999999999998.0, 123456789012345678.0, 5e-324,
              1.7976931348623157e308, 2.5, 0.3, 1 / 3, float(2 ** 53), 2 ** 53 + 2.0, 1e22, 1e-7, -1.5e-300, 100.0]
    for _ in range(1500):
        values.append(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0])
        values.append(rng.uniform(-1, 1) * 10 ** rng.randint(-25, 25))
    values = [v for v in values if v == v and abs(v) != float("inf")]
    return [{"bits": struct.pack("<d", v).hex(), "repr": repr(v)} for v in values]


def strftime_samples():
    formats = ["%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%A, %B %d", "%a %H:%M:%S", "%y/%j", "%e|%-d|%-m|%-H",
               "%I:%M %p", "%%Y", "%D %T", "%F", "%w %u"]
    dates = [datetime(2024, 3, 5, 14, 7, 9), datetime(2025, 12, 31, 0, 0, 0), datetime(2026, 7, 26, 9, 30, 5)]
    out = []
    for d in dates:
        for f in formats:
            out.append({"date": [d.year, d.month, d.day, d.hour, d.minute, d.second], "format": f,
                        "expected": d.strftime(f)})
    return out


def build():
    check_against_transformers()
    cases = []
    for c in CASES:
        entry = {"name": c["name"], "template": c["template"]}
        if c["context"] is not CONTEXT:
            entry["context"] = c["context"]
        if c["options"]:
            entry["options"] = c["options"]
        entry.update(render_case(c))
        cases.append(entry)
    return {
        "format": "swifttune-jinja-fixture", "version": 1, "jinja2": jinja2.__version__,
        "generator": "Tools/generate_jinja_fixtures.py", "context": CONTEXT, "cases": cases,
        "floats": float_samples(), "strftime": strftime_samples(),
    }


def real_templates(folder):
    """Renders real chat templates on a few conversations (for a local differential check)."""
    conversations = [
        [{"role": "user", "content": "Hello"}],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"},
         {"role": "assistant", "content": "4"}, {"role": "user", "content": "And 3+3?"}],
        [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": " Hey there! "},
         {"role": "user", "content": "Bye\n"}, {"role": "assistant", "content": "Goodbye."}],
    ]
    tool_conversation = [
        {"role": "system", "content": "You can call tools."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "id": "call_1", "function": {
            "name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": "{\"temp\": 21}", "tool_call_id": "call_1", "name": "get_weather"},
        {"role": "assistant", "content": "It is 21°C in Paris."},
    ]
    conversations.append(tool_conversation)
    results = []
    for path in sorted(os.listdir(folder)):
        if not path.endswith(".jinja"):
            continue
        source = open(os.path.join(folder, path), encoding="utf-8").read()
        entry = {"name": path, "source": source, "renders": []}
        for conv in conversations:
            for agp in (False, True):
                ctx = {"messages": conv, "add_generation_prompt": agp, "bos_token": "<s>", "eos_token": "</s>"}
                if conv is tool_conversation:
                    ctx["tools"] = CONTEXT["tools"]
                c = {"template": source, "context": ctx, "options": {}}
                r = render_case(c)
                r["context"] = ctx
                entry["renders"].append(r)
        results.append(entry)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--real-templates")
    parser.add_argument("--real-out")
    args = parser.parse_args()
    if args.real_templates:
        with open(args.real_out, "w", encoding="utf-8") as f:
            json.dump(real_templates(args.real_templates), f, ensure_ascii=False, indent=1)
        return
    text = json.dumps(build(), ensure_ascii=False, indent=1) + "\n"
    if args.check:
        if open(OUT, encoding="utf-8").read() != text:
            raise SystemExit(f"{OUT} is out of date")
        print("fixtures are current")
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
