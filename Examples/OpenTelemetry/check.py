#!/usr/bin/env python3
"""Summarizes and checks what the OpenTelemetry example exported, as collector.py received it.

    python3 check.py received.json example-output.txt

Prints one line per span and per GenAI metric, then checks the OpenTelemetry GenAI conventions the
example must show (see Examples/OpenTelemetry/README.md) and exits 1 with the failed checks listed,
else 0. The example's output is read for the `traceparent` values its requests left with, each of
which must name an exported `sluice.attempt` span. Standard library only.
"""

import json
import sys

MODEL = "gpt-4o-mini"
CALLS = 3  # a plain chat (two attempts), a streamed chat, a chat inside "handle request"
ATTEMPTS = 4

# The bucket boundaries the GenAI semantic conventions ask for (the same as Sluice's GenAIMetrics).
DURATION_BOUNDS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
TOKEN_BOUNDS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]

CALL_ATTRIBUTES = [
    "gen_ai.provider.name", "gen_ai.operation.name", "gen_ai.request.model", "server.address", "server.port",
    "gen_ai.response.id", "gen_ai.usage.input_tokens",
]
SHOWN_ATTRIBUTES = CALL_ATTRIBUTES + ["gen_ai.response.model", "gen_ai.response.finish_reasons",
                                      "gen_ai.usage.output_tokens", "sluice.attempts"]


def latest_points(points, name):
    """The latest data point of each attribute set of a metric (cumulative), or all of them (delta)."""
    chosen = {}
    for point in points:
        if point["name"] != name:
            continue
        key = json.dumps(point["attributes"], sort_keys=True)
        if point["temporality"] == "delta":
            key += "#" + str(len(chosen))
        if key not in chosen or (point["timeUnixNano"] or 0) >= (chosen[key]["timeUnixNano"] or 0):
            chosen[key] = point
    return list(chosen.values())


def bounds_text(bounds):
    """The first and last bounds, as `0.01…81.92` or `1…67108864`."""
    def number(value):
        return str(int(value)) if float(value).is_integer() else f"{value:g}"
    return f"{number(bounds[0])}…{number(bounds[-1])}" if bounds else "none"


def main():
    received_path, output_path = sys.argv[1], sys.argv[2]
    with open(received_path, encoding="utf-8") as file:
        received = json.load(file)
    with open(output_path, encoding="utf-8") as file:
        traceparents = [line.split(":", 1)[1].strip() for line in file if line.startswith("sent traceparent:")]

    spans = received["spans"]
    by_id = {span["spanId"]: span for span in spans}
    failures = []

    def check(condition, message):
        if not condition:
            failures.append(message)
        return condition

    print(f"received {received['requests']}, dropped {received['dropped']}")

    # Spans, parents first.
    calls = [span for span in spans if span["name"] == f"chat {MODEL}"]
    attempts = [span for span in spans if span["name"] == "sluice.attempt"]
    parents = [span for span in spans if span["name"] == "handle request"]
    for span in sorted(spans, key=lambda span: (span["startTimeUnixNano"] or 0)):
        parent = by_id.get(span["parentSpanId"])
        shown = ", ".join(f"{key}={span['attributes'][key]}" for key in SHOWN_ATTRIBUTES
                          if key in span["attributes"])
        if span["name"] == "sluice.attempt":
            shown = f"sluice.attempt={span['attributes'].get('sluice.attempt')}, " \
                    f"http.response.status_code={span['attributes'].get('http.response.status_code')}"
        where = f"parent {parent['name']}" if parent else ("no parent" if not span["parentSpanId"] else "parent ?")
        print(f"span {span['name']} [{span['kind']}] trace {span['traceId'][:8]}…: {shown or '-'}; {where}")

    check(len(calls) == CALLS, f"expected {CALLS} 'chat {MODEL}' spans, got {len(calls)}")
    for span in calls:
        attributes = span["attributes"]
        check(span["kind"] == "client", f"span {span['spanId']} is of kind {span['kind']}, not client")
        missing = [key for key in CALL_ATTRIBUTES if key not in attributes]
        check(not missing, f"call span {span['spanId']} lacks {', '.join(missing)}")
        check(attributes.get("gen_ai.provider.name") == "openai", f"call span {span['spanId']}: provider not openai")
        check(attributes.get("gen_ai.operation.name") == "chat", f"call span {span['spanId']}: operation not chat")
        check(attributes.get("gen_ai.request.model") == MODEL, f"call span {span['spanId']}: model not {MODEL}")
        check(attributes.get("server.address") == "127.0.0.1", f"call span {span['spanId']}: server.address")
        check(isinstance(attributes.get("server.port"), int), f"call span {span['spanId']}: server.port not an int")
    check(len(parents) == 1, f"expected one 'handle request' span, got {len(parents)}")
    children = [span for span in calls if parents and span["parentSpanId"] == parents[0]["spanId"]]
    if check(len(children) == 1, f"expected one call span under 'handle request', got {len(children)}"):
        check(children[0]["traceId"] == parents[0]["traceId"], "the child call span is in another trace")
    check(sum(1 for span in calls if not span["parentSpanId"]) == CALLS - 1,
          "the calls outside 'handle request' should be top-level spans")
    retried = [span for span in calls if span["attributes"].get("sluice.attempts") == 2]
    check(len(retried) == 1, "expected one call with sluice.attempts=2 (the 503, then the retry)")

    call_ids = {span["spanId"] for span in calls}
    check(len(attempts) == ATTEMPTS, f"expected {ATTEMPTS} sluice.attempt spans, got {len(attempts)}")
    check(all(span["parentSpanId"] in call_ids for span in attempts),
          "every sluice.attempt span must be a child of a call span")
    statuses = sorted(span["attributes"].get("http.response.status_code", 0) for span in attempts)
    check(statuses == [200, 200, 200, 503], f"attempt statuses {statuses}, expected [200, 200, 200, 503]")

    # W3C trace context on every request: version 00, the attempt span's trace and span ids.
    attempt_ids = {(span["traceId"], span["spanId"]) for span in attempts}
    print(f"traceparent sent on {len(traceparents)} request(s)")
    check(len(traceparents) == ATTEMPTS, f"expected {ATTEMPTS} traceparent headers sent, got {len(traceparents)}")
    for value in traceparents:
        parts = value.split("-")
        if check(len(parts) == 4 and parts[0] == "00", f"malformed traceparent {value!r}"):
            matched = (parts[1], parts[2]) in attempt_ids
            check(matched, f"traceparent {value} names no exported sluice.attempt span")
            if matched:
                print(f"traceparent {value}: attempt span {parts[2]} of trace {parts[1][:8]}…")

    # The GenAI histograms: the conventions' bounds, one recording per call (per token type).
    points = received["metricPoints"]
    expectations = [
        ("gen_ai.client.operation.duration", DURATION_BOUNDS, {"": CALLS}),
        ("gen_ai.client.token.usage", TOKEN_BOUNDS, {"input": CALLS, "output": CALLS}),
        ("gen_ai.client.operation.time_to_first_chunk", DURATION_BOUNDS, {"": 1}),
    ]
    for name, bounds, counts in expectations:
        latest = latest_points(points, name)
        if not check(latest, f"metric {name} was not exported"):
            continue
        kinds = {point["kind"] for point in latest}
        exported_bounds = [point.get("explicitBounds", []) for point in latest]
        by_type = {}
        for point in latest:
            token_type = point["attributes"].get("gen_ai.token.type", "")
            by_type[token_type] = by_type.get(token_type, 0) + point["count"]
        described = ", ".join(f"{key or 'count'} {value}" if not key else f"{key} count {value}"
                              for key, value in sorted(by_type.items()))
        print(f"metric {name} {'/'.join(sorted(kinds))} bounds {bounds_text(exported_bounds[0])} {described}"
              f" ({len(latest)} series)")
        check(kinds == {"histogram"}, f"metric {name} is {kinds}, not a histogram")
        check(all(b == [float(x) for x in bounds] for b in exported_bounds),
              f"metric {name} bounds {exported_bounds[0]} are not the conventions' {bounds}")
        check(by_type == counts, f"metric {name} counts {by_type}, expected {counts}")
        for point in latest:
            attributes = point["attributes"]
            check(attributes.get("gen_ai.operation.name") == "chat" and attributes.get("gen_ai.provider.name") == "openai"
                  and attributes.get("gen_ai.request.model") == MODEL and "server.address" in attributes,
                  f"metric {name} data point lacks the GenAI attributes: {attributes}")

    if failures:
        print(f"\nFAILED: {len(failures)} check(s) did not hold:", file=sys.stderr)
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print("all checks passed: spans, parent links, traceparent headers and GenAI histograms as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
