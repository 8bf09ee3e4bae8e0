"""What the Python contenders of `scripts/bench --compare` share: the arguments, the worker pool that
sends the requests, and the JSON line every contender prints.

A driver builds its SDK's client, hands `measure` one request (an `async def` returning whether the
reply had text) and the exceptions that count as a failed request, then closes its client:

    python DRIVER.py BASE_URL CONCURRENCY COUNT SECONDS WARMUP

CONCURRENCY asyncio tasks share the work (a worker pool: the same bound a semaphore gives), until
COUNT requests have been sent or SECONDS have passed, after an unrecorded warm-up of WARMUP requests
(at most 5 s). Allocations are not counted (pymalloc serves most of them without malloc): that field
is null.
"""

import asyncio
import json
import platform
import resource
import sys
import time


def arguments():
    """BASE_URL (without a trailing slash), CONCURRENCY, COUNT, SECONDS and WARMUP from the command line."""
    if len(sys.argv) != 6:
        sys.exit(f"usage: {sys.argv[0]} BASE_URL CONCURRENCY COUNT SECONDS WARMUP")
    base_url, concurrency, count, seconds, warmup = sys.argv[1:6]
    return base_url.rstrip("/"), int(concurrency), int(count), float(seconds), int(warmup)


def usage():
    """User + system CPU seconds of this process so far, and its peak resident memory in KiB."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime, own.ru_maxrss


async def drive(call, errors, concurrency, count, seconds, latencies):
    """Sends up to `count` requests from `concurrency` tasks for at most `seconds`; appends each
    latency to `latencies` (unless None); returns the number sent and the number that failed."""
    deadline = time.monotonic() + seconds
    state = {"next": 0, "failed": 0, "sent": 0}

    async def worker():
        while True:
            start = time.monotonic()
            if start >= deadline or state["next"] >= count:
                return
            state["next"] += 1
            try:
                if not await call():
                    state["failed"] += 1
            except errors:
                state["failed"] += 1
            if latencies is not None:
                latencies.append(time.monotonic() - start)
            state["sent"] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return state["sent"], state["failed"]


def percentile(values, fraction):
    if not values:
        return 0.0
    rank = max(0, min(len(values) - 1, int(-(-fraction * len(values) // 1)) - 1))
    return values[rank]


async def measure(contender, call, errors, version):
    """Warms up, measures one level with the command line's settings and prints its JSON line."""
    _, concurrency, count, seconds, warmup = arguments()
    if warmup > 0:
        await drive(call, errors, concurrency, max(warmup, concurrency), 5.0, None)
    latencies = []
    cpu_before, _ = usage()
    start = time.monotonic()
    sent, failed = await drive(call, errors, concurrency, count, seconds, latencies)
    elapsed = time.monotonic() - start
    cpu_after, peak_kib = usage()
    latencies.sort()
    requests = max(1, sent)
    line = {
        "contender": contender,
        "concurrency": concurrency,
        "requests": sent,
        "failed": failed,
        "seconds": round(elapsed, 3),
        "rps": round(sent / elapsed, 1),
        "p50_us": round(percentile(latencies, 0.5) * 1e6, 1),
        "p99_us": round(percentile(latencies, 0.99) * 1e6, 1),
        "cpu_s_per_10k": round((cpu_after - cpu_before) * 10_000 / requests, 3),
        "allocs_per_request": None,
        "peak_rss_kib": peak_kib,
        "version": f"{version}, Python {platform.python_version()}",
    }
    print(json.dumps(line, separators=(",", ":")), flush=True)


def http_library():
    """The HTTP client the OpenAI and Anthropic SDKs run on (httpx2 in their newer majors), as 'name version'."""
    try:
        import httpx2 as library
    except ImportError:
        import httpx as library
    return f"{library.__name__} {library.__version__}"
