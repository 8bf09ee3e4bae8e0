"""The official openai and anthropic Python SDKs, unchanged, against `sluice mock-server`.

Usage: python sdk_check.py BASE_URL [LIMITED_URL [FAULTY_URL]]

BASE_URL is a mock server's root (e.g. http://127.0.0.1:8080) without limits; LIMITED_URL, when
given, one started with `--rpm 60 --request-burst 1` (a second call within a second gets a 429 with
`retry-after: 1`); FAULTY_URL one started with `--key sdk=sdk-check-key --reject-unknown-keys
--fault-rate 500=1` (every call with that key fails with a 500, any other key gets a 401).

Each check prints one line; any failure exits 1 after all checks ran. Loopback only.
"""
import json
import sys
import time
import traceback

import anthropic
import openai

base = sys.argv[1].rstrip("/")
key = "sdk-check-key"
failures = []


def check(name):
    def run(function):
        try:
            function()
            print(f"ok    {name}")
        except Exception:  # noqa: BLE001 - every failure is reported, then the run fails
            failures.append(name)
            print(f"FAIL  {name}")
            traceback.print_exc(limit=3)
        return function
    return run


oa = openai.OpenAI(api_key=key, base_url=f"{base}/v1", max_retries=0, timeout=10)
an = anthropic.Anthropic(api_key=key, base_url=base, max_retries=0, timeout=10)
weather = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@check("openai: chat")
def _():
    reply = oa.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}])
    assert reply.choices[0].message.content, reply
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0, reply.usage
    assert reply.choices[0].finish_reason == "stop", reply.choices[0].finish_reason


@check("openai: streamed chat with usage")
def _():
    stream = oa.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}], stream=True,
        stream_options={"include_usage": True})
    text, usage = "", None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage:
            usage = chunk.usage
    assert text and usage and usage.completion_tokens > 0, (text, usage)


@check("openai: embeddings")
def _():
    reply = oa.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert len(reply.data) == 2 and len(reply.data[0].embedding) > 0, reply


@check("openai: tool call")
def _():
    reply = oa.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Weather in Paris?"}], tools=[weather],
        tool_choice={"type": "function", "function": {"name": "get_weather"}})
    calls = reply.choices[0].message.tool_calls
    assert calls and calls[0].function.name == "get_weather", reply


@check("openai: streamed tool call")
def _():
    stream = oa.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Weather in Paris?"}], tools=[weather],
        tool_choice={"type": "function", "function": {"name": "get_weather"}}, stream=True)
    names, arguments = set(), ""
    for chunk in stream:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            if call.function and call.function.name:
                names.add(call.function.name)
            if call.function and call.function.arguments:
                arguments += call.function.arguments
    assert names == {"get_weather"} and arguments.startswith("{"), (names, arguments)


@check("openai: models")
def _():
    assert len(list(oa.models.list())) > 0


@check("openai: wrong key is AuthenticationError")
def _():
    try:
        openai.OpenAI(api_key="", base_url=f"{base}/v1", max_retries=0).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}])
    except openai.AuthenticationError:
        return
    except openai.OpenAIError as error:  # an empty key is refused by the SDK itself in some versions
        if "api_key" in str(error):
            return
        raise
    raise AssertionError("no error")


@check("openai: malformed body is BadRequestError")
def _():
    try:
        oa.chat.completions.create(model="gpt-4o-mini", messages=[])
    except openai.BadRequestError:
        return
    raise AssertionError("no error")


@check("anthropic: messages")
def _():
    reply = an.messages.create(model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Hello"}])
    assert reply.content[0].type == "text" and reply.content[0].text, reply
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0, reply.usage
    assert reply.stop_reason in ("end_turn", "max_tokens"), reply.stop_reason


@check("anthropic: streamed messages")
def _():
    with an.messages.stream(model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Hello"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text and final.usage.output_tokens > 0, (text, final)


@check("anthropic: tool use")
def _():
    tool = {"name": "get_weather", "description": "The weather in a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
    reply = an.messages.create(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Weather in Paris?"}], tools=[tool],
        tool_choice={"type": "tool", "name": "get_weather"})
    uses = [block for block in reply.content if block.type == "tool_use"]
    assert uses and uses[0].name == "get_weather" and isinstance(uses[0].input, dict), reply
    with an.messages.stream(
            model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Weather in Paris?"}],
            tools=[tool], tool_choice={"type": "tool", "name": "get_weather"}) as stream:
        final = stream.get_final_message()
    assert any(block.type == "tool_use" for block in final.content), final


def thinking_loop(streamed):
    """Two turns of a tool loop with thinking on; the assistant turn goes back as the SDK returned it."""
    tool = {"name": "get_weather", "description": "The weather in a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    options = {"model": "claude-test", "max_tokens": 2048, "tools": [tool],
               "thinking": {"type": "enabled", "budget_tokens": 1024}}

    def turn():
        if streamed:
            with an.messages.stream(messages=messages, **options) as stream:
                return stream.get_final_message()
        return an.messages.create(messages=messages, **options)

    first = turn()
    assert [block.type for block in first.content] == ["thinking", "tool_use"], first.content
    assert first.content[0].thinking and first.content[0].signature, first.content[0]
    use = first.content[1]
    messages.append({"role": "assistant", "content": first.content})
    messages.append({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": use.id, "content": "18 C and sunny"}]})
    second = turn()
    assert [block.type for block in second.content] == ["thinking", "text"], second.content
    assert second.stop_reason == "end_turn", second.stop_reason
    # The same loop without the thinking block is the real API's 400.
    messages[1] = {"role": "assistant", "content": [use]}
    try:
        turn()
    except anthropic.BadRequestError as error:
        assert "Expected `thinking` or `redacted_thinking`" in str(error), error
        return
    raise AssertionError("no 400 for a dropped thinking block")


@check("anthropic: tool loop with thinking on, its blocks sent back; dropping them is BadRequestError")
def _():
    thinking_loop(streamed=False)


@check("anthropic: streamed tool loop with thinking on (thinking_delta, signature_delta)")
def _():
    thinking_loop(streamed=True)


@check("anthropic: a redacted_thinking block (Anthropic's test string) goes back and the loop continues")
def _():
    tool = {"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
    messages = [{"role": "user",
                 "content": "What is the weather in Paris? ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING"}]
    options = {"model": "claude-test", "max_tokens": 2048, "tools": [tool],
               "thinking": {"type": "enabled", "budget_tokens": 1024}}
    first = an.messages.create(messages=messages, **options)
    assert [block.type for block in first.content] == ["redacted_thinking", "tool_use"], first.content
    messages.append({"role": "assistant", "content": first.content})
    messages.append({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": first.content[1].id, "content": "18 C"}]})
    second = an.messages.create(messages=messages, **options)
    assert second.stop_reason == "end_turn", second


# Prompt caching (issue 19): a repeated long prefix with cache_control is written, then read.
@check("anthropic: a repeated prefix with cache_control reports cache creation, then a cache read")
def _():
    manual = f"Run {time.time_ns()}. " + "Answer from the manual and cite its section. " * 120
    system = [{"type": "text", "text": manual, "cache_control": {"type": "ephemeral"}}]
    replies = [
        an.messages.create(model="claude-test", max_tokens=16, system=system,
                           messages=[{"role": "user", "content": question}])
        for question in ("First question?", "Second question?")]
    first, second = (reply.usage for reply in replies)
    assert first.cache_creation_input_tokens > 1024 and first.cache_read_input_tokens == 0, first
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens, second
    assert second.cache_creation_input_tokens == 0, second
    assert 0 < second.input_tokens < 20, second


@check("anthropic: models")
def _():
    models = list(an.models.list())
    assert models and all(model.type == "model" and model.id for model in models), models


@check("anthropic: missing max_tokens is BadRequestError")
def _():
    try:
        an.post("/v1/messages", cast_to=object, body={"model": "claude-test", "messages": [{"role": "user", "content": "x"}]})
    except anthropic.BadRequestError:
        return
    raise AssertionError("no error")


# --- The Responses API (issue 19): responses.create plain and streamed, a function call and its
# result sent back in a second turn. The SDK builds typed models from the mock's JSON.

response_tool = {"type": "function", "name": "get_weather", "description": "The weather in a city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
                 "strict": False}


@check("openai: responses.create")
def _():
    reply = oa.responses.create(model="gpt-test", input="Hello", instructions="Be brief.", max_output_tokens=64)
    assert reply.object == "response" and reply.status == "completed", reply
    assert reply.output_text and reply.output[0].type == "message", reply.output
    assert reply.output[0].content[0].type == "output_text", reply.output[0]
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0, reply.usage
    assert reply.usage.input_tokens_details.cached_tokens == 0, reply.usage
    assert reply.usage.output_tokens_details.reasoning_tokens == 0, reply.usage
    assert reply.usage.total_tokens == reply.usage.input_tokens + reply.usage.output_tokens, reply.usage


@check("openai: responses.create streamed (semantic events, response.completed with usage)")
def _():
    types, text, final = [], "", None
    for event in oa.responses.create(model="gpt-test", input="Hello", stream=True):
        types.append(event.type)
        if event.type == "response.output_text.delta":
            text += event.delta
        if event.type == "response.completed":
            final = event.response
    assert types[:3] == ["response.created", "response.in_progress", "response.output_item.added"], types
    assert types[-1] == "response.completed" and "response.output_text.done" in types, types
    assert final and final.output_text == text and final.usage.output_tokens > 0, (text, final)
    with oa.responses.stream(model="gpt-test", input="Hello") as stream:
        streamed = "".join(event.delta for event in stream if event.type == "response.output_text.delta")
        response = stream.get_final_response()
    assert streamed and response.output_text == streamed, (streamed, response)


def responses_function_loop(streamed):
    first_input = [{"role": "user", "content": "What is the weather in Paris?"}]

    def turn(items):
        if not streamed:
            return oa.responses.create(model="gpt-test", input=items, tools=[response_tool])
        arguments = ""
        with oa.responses.stream(model="gpt-test", input=items, tools=[response_tool]) as stream:
            for event in stream:
                if event.type == "response.function_call_arguments.delta":
                    arguments += event.delta
            reply = stream.get_final_response()
        calls = [item for item in reply.output if item.type == "function_call"]
        assert not calls or calls[0].arguments == arguments, (calls, arguments)
        return reply

    first = turn(first_input)
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather" and calls[0].call_id, first.output
    assert json.loads(calls[0].arguments).get("city"), calls[0].arguments
    second_input = first_input + [item.model_dump(exclude_none=True) for item in first.output] + [
        {"type": "function_call_output", "call_id": calls[0].call_id, "output": "18 C and sunny"}]
    second = turn(second_input)
    assert second.status == "completed" and second.output_text, second
    assert not [item for item in second.output if item.type == "function_call"], second.output
    chained = oa.responses.create(
        model="gpt-test", previous_response_id=first.id, tools=[response_tool],
        input=[{"type": "function_call_output", "call_id": calls[0].call_id, "output": "18 C"}])
    assert chained.output_text and chained.previous_response_id == first.id, chained


@check("openai: responses function call, its output sent back in a second turn")
def _():
    responses_function_loop(streamed=False)


@check("openai: streamed responses function call (function_call_arguments.delta), then its output")
def _():
    responses_function_loop(streamed=True)


@check("openai: responses with an empty input is BadRequestError")
def _():
    try:
        oa.responses.create(model="gpt-test", input=[])
    except openai.BadRequestError:
        return
    raise AssertionError("no error")

# --- end of the Responses API checks

# --- Shapes (issue 15): every body and stream event the mock sends, validated strictly (no
# coercion, every required field present, every literal known) against the SDKs' own types, not
# only read through the SDKs' lenient parsing as the checks above do.
import httpx2 as http  # noqa: E402 - the SDKs' own HTTP client
import pydantic  # noqa: E402
from anthropic.types import ErrorResponse as AnthropicErrorBody, Message, ModelInfo, RawMessageStreamEvent  # noqa: E402
from openai.types import CreateEmbeddingResponse, Model  # noqa: E402
from openai.types.chat import ChatCompletion, ChatCompletionChunk  # noqa: E402
from openai.types.responses import Response as ResponsesResponse, ResponseStreamEvent  # noqa: E402
from openai.types.shared import ErrorObject as OpenAIErrorObject  # noqa: E402

openai_headers = {"authorization": f"Bearer {key}"}
anthropic_headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
chat_body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Weather in Paris?"}]}
anthropic_tool = {"name": "get_weather", "input_schema": weather["function"]["parameters"]}
message_body = {"model": "claude-test", "max_tokens": 64, "messages": [{"role": "user", "content": "Weather in Paris?"}]}


def strict(shape, value):
    """Validates `value` as JSON text, in strict mode (JSON mode, as the wire is: datetimes are strings)."""
    pydantic.TypeAdapter(shape).validate_json(json.dumps(value), strict=True)


def post_json(path, body, headers):
    return http.post(f"{base}{path}", json=body, headers=headers, timeout=10)


def sse_data(path, body, headers):
    """The JSON of every `data:` line of a streamed answer, except OpenAI's `[DONE]`."""
    with http.stream("POST", f"{base}{path}", json=body, headers=headers, timeout=10) as reply:
        assert reply.status_code == 200, reply.status_code
        lines = [line for line in reply.iter_lines() if line.startswith("data:")]
    payloads = [line[5:].strip() for line in lines]
    assert payloads, "no events"
    return [json.loads(payload) for payload in payloads if payload != "[DONE]"]


@check("shapes: OpenAI chat, tool call, stream chunks, embeddings, models and errors match the SDK's types strictly")
def _():
    strict(ChatCompletion, post_json("/v1/chat/completions", chat_body, openai_headers).json())
    with_tool = dict(chat_body, tools=[weather], tool_choice="required")
    strict(ChatCompletion, post_json("/v1/chat/completions", with_tool, openai_headers).json())
    for streamed in (dict(chat_body, stream=True, stream_options={"include_usage": True}),
                     dict(with_tool, stream=True, stream_options={"include_usage": True})):
        for chunk in sse_data("/v1/chat/completions", streamed, openai_headers):
            strict(ChatCompletionChunk, chunk)
    strict(CreateEmbeddingResponse,
           post_json("/v1/embeddings", {"model": "text-embedding-3-small", "input": ["a", "b"]}, openai_headers).json())
    models = http.get(f"{base}/v1/models", headers=openai_headers, timeout=10).json()
    assert models["object"] == "list" and models["data"], models
    for model in models["data"]:
        strict(Model, model)
    for status, reply in ((400, post_json("/v1/chat/completions", dict(chat_body, messages=[]), openai_headers)),
                          (401, post_json("/v1/chat/completions", chat_body, {}))):
        assert reply.status_code == status, reply.status_code
        strict(OpenAIErrorObject, reply.json()["error"])


@check("shapes: Responses API objects and stream events match the SDK's types strictly")
def _():
    body = {"model": "gpt-test", "input": "Hello", "max_output_tokens": 64}
    strict(ResponsesResponse, post_json("/v1/responses", body, openai_headers).json())
    tool_body = dict(body, input="Weather in Paris?", tools=[response_tool], tool_choice="required")
    strict(ResponsesResponse, post_json("/v1/responses", tool_body, openai_headers).json())
    for streamed in (dict(body, stream=True), dict(tool_body, stream=True)):
        for event in sse_data("/v1/responses", streamed, openai_headers):
            strict(ResponseStreamEvent, event)


@check("shapes: Anthropic messages, tool use, thinking, stream events, models and errors match the SDK's types strictly")
def _():
    thinking = {"type": "enabled", "budget_tokens": 1024}
    bodies = [message_body,
              dict(message_body, tools=[anthropic_tool], tool_choice={"type": "any"}),
              dict(message_body, max_tokens=2048, tools=[anthropic_tool], thinking=thinking)]
    for body in bodies:
        strict(Message, post_json("/v1/messages", body, anthropic_headers).json())
        for event in sse_data("/v1/messages", dict(body, stream=True), anthropic_headers):
            if event["type"] != "ping":  # a keep-alive, which the SDK skips
                strict(RawMessageStreamEvent, event)
    models = http.get(f"{base}/v1/models", headers=anthropic_headers, timeout=10).json()
    assert models["data"] and models["has_more"] is False, models
    for model in models["data"]:
        strict(ModelInfo, model)
    for status, reply in ((400, post_json("/v1/messages", {"model": "claude-test"}, anthropic_headers)),
                          (401, post_json("/v1/messages", message_body, {"anthropic-version": "2023-06-01"}))):
        assert reply.status_code == status, reply.status_code
        strict(AnthropicErrorBody, reply.json())


if len(sys.argv) > 2:
    limited = sys.argv[2].rstrip("/")

    @check("openai: 429 is RateLimitError carrying retry-after; the SDK's retry waits it out")
    def _():
        client = openai.OpenAI(api_key="sdk-limited", base_url=f"{limited}/v1", max_retries=0, timeout=10)
        message = [{"role": "user", "content": "x"}]
        client.chat.completions.create(model="gpt-4o-mini", messages=message)
        try:
            client.chat.completions.create(model="gpt-4o-mini", messages=message)
            raise AssertionError("no 429")
        except openai.RateLimitError as error:
            assert float(error.response.headers["retry-after"]) > 0, error.response.headers
        start = time.monotonic()
        client.with_options(max_retries=2).chat.completions.create(model="gpt-4o-mini", messages=message)
        assert time.monotonic() - start >= 0.5, "the SDK retried before the retry-after passed"

    @check("anthropic: 429 is RateLimitError carrying retry-after; the SDK's retry waits it out")
    def _():
        client = anthropic.Anthropic(api_key="sdk-limited-anthropic", base_url=limited, max_retries=0, timeout=10)
        message = [{"role": "user", "content": "x"}]
        client.messages.create(model="claude-test", max_tokens=16, messages=message)
        try:
            client.messages.create(model="claude-test", max_tokens=16, messages=message)
            raise AssertionError("no 429")
        except anthropic.RateLimitError as error:
            assert float(error.response.headers["retry-after"]) > 0, error.response.headers
        start = time.monotonic()
        client.with_options(max_retries=2).messages.create(model="claude-test", max_tokens=16, messages=message)
        assert time.monotonic() - start >= 0.5, "the SDK retried before the retry-after passed"

if len(sys.argv) > 3:
    faulty = sys.argv[3].rstrip("/")

    @check("openai: a 500 is InternalServerError")
    def _():
        client = openai.OpenAI(api_key=key, base_url=f"{faulty}/v1", max_retries=0, timeout=10)
        try:
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
        except openai.InternalServerError as error:
            assert error.status_code == 500, error
            return
        raise AssertionError("no error")

    @check("anthropic: a 500 is InternalServerError")
    def _():
        client = anthropic.Anthropic(api_key=key, base_url=faulty, max_retries=0, timeout=10)
        try:
            client.messages.create(model="claude-test", max_tokens=16, messages=[{"role": "user", "content": "x"}])
        except anthropic.InternalServerError as error:
            assert error.status_code == 500, error
            return
        raise AssertionError("no error")

    @check("anthropic: an unknown key is AuthenticationError")
    def _():
        client = anthropic.Anthropic(api_key="not-a-known-key", base_url=faulty, max_retries=0, timeout=10)
        try:
            client.messages.create(model="claude-test", max_tokens=16, messages=[{"role": "user", "content": "x"}])
        except anthropic.AuthenticationError as error:
            assert "not-a-known-key" not in str(error), "the key is echoed back"
            return
        raise AssertionError("no error")

if failures:
    print(f"sdk check: {len(failures)} failed: {', '.join(failures)}")
    sys.exit(1)
print("sdk check: all passed")
