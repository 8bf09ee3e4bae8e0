#!/usr/bin/env python3
"""A small OTLP/HTTP JSON receiver on loopback, for the OpenTelemetry example's runner.

    python3 collector.py --port 0 --out received.json --port-file port.txt --time-limit 300

Listens on 127.0.0.1 (port 0: a free one, printed and written to --port-file), accepts
`POST /v1/traces`, `POST /v1/metrics` and `POST /v1/logs` with an OTLP/JSON body (gzip accepted),
answers 200 `{}` (an empty export response), and keeps what it received in --out, rewritten after
every request:

    {"requests": {"traces": n, "metrics": n, "logs": n, "rejected": n},
     "spans": [{"traceId", "spanId", "parentSpanId", "name", "kind", "attributes", "status", ...}],
     "metricPoints": [{"name", "kind", "unit", "temporality", "attributes", "timeUnixNano",
                       "count", "sum", "explicitBounds", "bucketCounts", "value"}],
     "dropped": {"spans": n, "metricPoints": n}}

Trace and span ids are written as lowercase hex, whether the exporter sent hex (as the OTLP
specification asks) or base64 (the plain protobuf JSON mapping of bytes). Bounded: it stops by
itself after --time-limit seconds (or at SIGTERM/SIGINT), refuses bodies over --max-body bytes, and
keeps at most --max-spans spans and --max-points metric data points (counting what it dropped).
Standard library only.
"""

import argparse
import base64
import binascii
import gzip
import json
import os
import signal
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SPAN_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
TEMPORALITIES = {0: "unspecified", 1: "delta", 2: "cumulative"}


def hex_id(value):
    """A trace or span id as lowercase hex: from hex as sent, or from base64."""
    if not value:
        return ""
    if len(value) in (16, 32) and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        return "invalid:" + value[:64]


def any_value(value):
    """An OTLP AnyValue as a plain JSON value."""
    if not isinstance(value, dict):
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "arrayValue" in value:
        return [any_value(item) for item in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return attributes(value["kvlistValue"].get("values", []))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def attributes(key_values):
    """OTLP attributes (a list of {key, value}) as a dictionary."""
    return {item.get("key", ""): any_value(item.get("value")) for item in key_values or []}


def as_int(value):
    """A uint64/int64 field, which OTLP/JSON may send as a string."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Store:
    """What was received, bounded, written to a file after every request."""

    def __init__(self, path, max_spans, max_points):
        self.path = path
        self.max_spans = max_spans
        self.max_points = max_points
        self.lock = threading.Lock()
        self.data = {
            "requests": {"traces": 0, "metrics": 0, "logs": 0, "rejected": 0},
            "spans": [],
            "metricPoints": [],
            "dropped": {"spans": 0, "metricPoints": 0},
        }
        self.write()

    def add_traces(self, body):
        spans = []
        for resource_spans in body.get("resourceSpans", []):
            for scope_spans in resource_spans.get("scopeSpans", []):
                for span in scope_spans.get("spans", []):
                    spans.append({
                        "traceId": hex_id(span.get("traceId")),
                        "spanId": hex_id(span.get("spanId")),
                        "parentSpanId": hex_id(span.get("parentSpanId")),
                        "name": span.get("name", ""),
                        "kind": SPAN_KINDS.get(as_int(span.get("kind")), str(span.get("kind"))),
                        "startTimeUnixNano": as_int(span.get("startTimeUnixNano")),
                        "endTimeUnixNano": as_int(span.get("endTimeUnixNano")),
                        "attributes": attributes(span.get("attributes")),
                        "events": [event.get("name", "") for event in span.get("events", [])][:50],
                        "status": span.get("status", {}),
                    })
        self.keep("traces", "spans", spans, self.max_spans)

    def add_metrics(self, body):
        points = []
        for resource_metrics in body.get("resourceMetrics", []):
            for scope_metrics in resource_metrics.get("scopeMetrics", []):
                for metric in scope_metrics.get("metrics", []):
                    for kind in ("histogram", "exponentialHistogram", "sum", "gauge", "summary"):
                        if kind in metric:
                            break
                    else:
                        continue
                    data = metric[kind] or {}
                    for point in data.get("dataPoints", []):
                        record = {
                            "name": metric.get("name", ""),
                            "kind": kind,
                            "unit": metric.get("unit", ""),
                            "temporality": TEMPORALITIES.get(as_int(data.get("aggregationTemporality")), "unspecified"),
                            "attributes": attributes(point.get("attributes")),
                            "timeUnixNano": as_int(point.get("timeUnixNano")),
                        }
                        if kind in ("histogram", "exponentialHistogram", "summary"):
                            record["count"] = as_int(point.get("count")) or 0
                            record["sum"] = point.get("sum")
                        if kind == "histogram":
                            record["explicitBounds"] = [float(b) for b in point.get("explicitBounds", [])]
                            record["bucketCounts"] = [as_int(c) or 0 for c in point.get("bucketCounts", [])]
                        if kind in ("sum", "gauge"):
                            raw = point.get("asInt", point.get("asDouble"))
                            record["value"] = float(raw) if raw is not None else None
                        points.append(record)
        self.keep("metrics", "metricPoints", points, self.max_points)

    def keep(self, request_kind, list_name, items, limit):
        """Counts a request and keeps its items up to `limit` in all, counting the ones dropped."""
        with self.lock:
            self.data["requests"][request_kind] += 1
            room = max(0, limit - len(self.data[list_name]))
            self.data[list_name].extend(items[:room])
            self.data["dropped"][list_name] += max(0, len(items) - room)
            self.write()

    def count(self, kind):
        with self.lock:
            self.data["requests"][kind] += 1
            self.write()

    def write(self):
        """Replaces the file atomically, so a reader never sees half of it. Called with the lock held."""
        temporary = self.path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(self.data, file, indent=1, sort_keys=True)
        os.replace(temporary, self.path)


def make_handler(store, max_body):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10  # seconds a connection may sit idle or half-sent

        def log_message(self, format, *args):  # noqa: A002 - the base class's signature
            pass  # quiet: the runner prints the summary

        def answer(self, status, body):
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def read_body(self):
            length = as_int(self.headers.get("Content-Length"))
            if length is None or length < 0 or length > max_body:
                return None
            body = self.rfile.read(length)
            if self.headers.get("Content-Encoding", "").lower() == "gzip":
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                body = inflater.decompress(body, max_body)
                if inflater.unconsumed_tail:
                    return None
            return body

        def do_POST(self):  # noqa: N802 - http.server's naming
            routes = {"/v1/traces": "traces", "/v1/metrics": "metrics", "/v1/logs": "logs"}
            kind = routes.get(self.path.split("?", 1)[0])
            if kind is None:
                store.count("rejected")
                self.answer(404, {"error": "unknown path"})
                return
            content_type = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
            try:
                raw = self.read_body()
                if raw is None:
                    store.count("rejected")
                    self.answer(413, {"error": "body too large or without a length"})
                    self.close_connection = True
                    return
                if content_type != "application/json":
                    store.count("rejected")
                    self.answer(415, {"error": "this receiver takes OTLP/JSON only"})
                    return
                body = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError, OSError, gzip.BadGzipFile, zlib.error):
                store.count("rejected")
                self.answer(400, {"error": "not JSON"})
                return
            if kind == "traces":
                store.add_traces(body)
            elif kind == "metrics":
                store.add_metrics(body)
            else:
                store.count("logs")
            self.answer(200, {})

        def do_GET(self):  # noqa: N802
            self.answer(404 if self.path != "/health" else 200, {})

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    parser.add_argument("--out", required=True, help="JSON file to keep what was received in")
    parser.add_argument("--port-file", help="file to write the port to once listening")
    parser.add_argument("--time-limit", type=float, default=300, help="seconds before stopping by itself")
    parser.add_argument("--max-body", type=int, default=8 * 1024 * 1024, help="largest request body, bytes")
    parser.add_argument("--max-spans", type=int, default=2000)
    parser.add_argument("--max-points", type=int, default=5000)
    arguments = parser.parse_args()

    store = Store(arguments.out, arguments.max_spans, arguments.max_points)
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), make_handler(store, arguments.max_body))
    server.daemon_threads = True
    port = server.server_address[1]
    if arguments.port_file:
        with open(arguments.port_file + ".tmp", "w", encoding="utf-8") as file:
            file.write(f"{port}\n")
        os.replace(arguments.port_file + ".tmp", arguments.port_file)
    print(f"collector listening on http://127.0.0.1:{port} for {arguments.time_limit:g} s", flush=True)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    stopped_by_time = not stop.wait(arguments.time_limit)
    server.shutdown()
    server.server_close()
    with store.lock:
        requests = dict(store.data["requests"])
    reason = "time limit reached" if stopped_by_time else "asked to stop"
    print(f"collector stopped ({reason}): {requests}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
