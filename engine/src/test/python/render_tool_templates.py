#!/usr/bin/env python3
"""Reference renderings of tool conversations through the real chat templates, with jinja2.

Renders every conversation of tool-conversations.json through the Jinja chat templates in
../shared/data/templates the way Hugging Face transformers' apply_chat_template does
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, a tojson filter that is
json.dumps without HTML escaping and without sorting keys, raise_exception, strftime_now), with
the date fixed to 26 July 2024 as the engine's ChatTemplateOptions default. Families without tool
support in their template get the engine's generic tool format (GENERIC below, the same text as
GenericToolFormat.java) applied to the messages first.

Writes tool-renderings.json beside the conversations; ChatTemplateToolRenderingTest compares the
Java templates with it. Run from the repository root:

    python3 engine/src/test/python/render_tool_templates.py [../shared]
"""
import datetime
import json
import os
import sys

from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
RESOURCES = os.path.join(HERE, "..", "resources", "dev", "chelsea", "engine", "tokenizer")

# template file -> (variables, generic tool format?)
TEMPLATES = {
    "meta-llama-Llama-3.1-8B-Instruct.jinja": ({"bos_token": "<|begin_of_text|>"}, False),
    "meta-llama-Llama-3.2-3B-Instruct.jinja": ({"bos_token": "<|begin_of_text|>"}, False),
    "Qwen-Qwen2.5-7B-Instruct.jinja": ({}, False),
    "Qwen-Qwen3-0.6B.jinja": ({}, False),
    "mistralai-Mistral-Nemo-Instruct-2407.jinja": ({"bos_token": "<s>", "eos_token": "</s>"}, False),
    "Mistral-Small-3.2-24B-Instruct-2506.jinja": ({"bos_token": "<s>", "eos_token": "</s>"}, False),
    "microsoft-Phi-3.5-mini-instruct.jinja": ({"bos_token": "<s>", "eos_token": "<|endoftext|>"}, True),
    "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja": ({"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"}, True),
}

GENERIC_HEAD = ("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                "You are provided with function signatures within <tools></tools> XML tags:\n<tools>")
GENERIC_TAIL = ("\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
                "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>")


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise ValueError(message)


def generic(messages, tools):
    """The engine's generic tool format: tools in the system message, calls and results as text."""
    out = []
    if tools:
        block = GENERIC_HEAD + "".join("\n" + tojson(t) for t in tools) + GENERIC_TAIL
        if messages and messages[0]["role"] == "system":
            out.append({"role": "system", "content": messages[0]["content"] + "\n\n" + block})
            messages = messages[1:]
        else:
            out.append({"role": "system", "content": block})
    merge = False
    for m in messages:
        if m["role"] == "assistant" and m.get("tool_calls"):
            parts = [m["content"]] if m.get("content") else []
            for c in m["tool_calls"]:
                f = c["function"]
                parts.append("<tool_call>\n{\"name\": \"" + f["name"] + "\", \"arguments\": " + tojson(f["arguments"]) + "}\n</tool_call>")
            out.append({"role": "assistant", "content": "\n".join(parts)})
            merge = False
        elif m["role"] == "tool":
            text = "<tool_response>\n" + m["content"] + "\n</tool_response>"
            if merge:
                out[-1]["content"] += "\n" + text
            else:
                out.append({"role": "user", "content": text})
            merge = True
        else:
            out.append(m)
            merge = False
    return out


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "..", "shared")
    with open(os.path.join(RESOURCES, "tool-conversations.json"), encoding="utf-8") as f:
        fixtures = json.load(f)
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.date(2024, 7, 26).strftime(fmt)
    out = {}
    for name, (variables, use_generic) in TEMPLATES.items():
        with open(os.path.join(shared, "data", "templates", name), encoding="utf-8") as f:
            template = env.from_string(f.read())
        rendered = {}
        for cname, c in fixtures["conversations"].items():
            tools = fixtures["tools"] if c["tools"] else None
            messages = c["messages"]
            kwargs = dict(variables)
            if use_generic:
                messages = generic(messages, tools)
            elif tools is not None:
                kwargs["tools"] = tools
            try:
                rendered[cname] = template.render(messages=messages, add_generation_prompt=c["add_generation_prompt"], **kwargs)
            except Exception as e:  # the template refuses the conversation
                rendered[cname] = {"error": str(e)}
        out[name] = rendered
    with open(os.path.join(RESOURCES, "tool-renderings.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
