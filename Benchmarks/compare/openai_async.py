"""The official openai Python SDK's AsyncOpenAI as a contender of `scripts/bench --compare`.

The same request as the other contenders: chat.completions.create with the small chat body against
BASE_URL (nginx on loopback answering a fixed chat.completion), max_retries=0, the whole reply read
and parsed. CONCURRENCY asyncio tasks share the work (a worker pool: the same bound a semaphore
gives), until COUNT requests have been sent or SECONDS have passed, after an unrecorded warm-up.
Prints one JSON line with the figures the other contenders print; allocations are not counted
(pymalloc serves most of them without malloc), so that field is null.

    python openai_async.py BASE_URL CONCURRENCY COUNT SECONDS WARMUP
"""

import asyncio
import json
import platform
import resource
import sys
import time

import openai

try:  # the HTTP client the SDK runs on (httpx2 in the 3.x SDKs), for its version
    import httpx2 as http_library
except ImportError:
    import httpx as http_library


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


async def drive(client, concurrency, count, seconds, latencies):
    deadline = time.monotonic() + seconds
    state = {"next": 0, "failed": 0, "sent": 0}

    async def worker():
        while True:
            start = time.monotonic()
            if start >= deadline or state["next"] >= count:
                return
            state["next"] += 1
            try:
                completion = await client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
                )
                if not completion.choices[0].message.content:
                    state["failed"] += 1
            except openai.OpenAIError:
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


async def main():
    base_url, concurrency, count, seconds, warmup = sys.argv[1:6]
    concurrency, count, seconds, warmup = int(concurrency), int(count), float(seconds), int(warmup)
    client = openai.AsyncOpenAI(base_url=base_url.rstrip("/") + "/v1", api_key="bench-key", max_retries=0)
    if warmup > 0:
        await drive(client, concurrency, max(warmup, concurrency), 5.0, None)
    latencies = []
    cpu_before, _ = cpu_seconds()
    start = time.monotonic()
    sent, failed = await drive(client, concurrency, count, seconds, latencies)
    elapsed = time.monotonic() - start
    cpu_after, peak_kib = cpu_seconds()
    await client.close()
    latencies.sort()
    requests = max(1, sent)
    print(
        json.dumps(
            {
                "contender": "openai-python",
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
                "version": f"openai {openai.__version__}, {http_library.__name__} {http_library.__version__}, "
                f"Python {platform.python_version()}",
            },
            separators=(",", ":"),
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
