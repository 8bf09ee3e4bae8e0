"""Prints `scripts/bench --compare`'s table (or, with --json, one JSON object) from the contenders'
JSON lines in RESULTS, with the machine and versions in META (a JSON object the script writes).

    python3 report.py RESULTS META [--json]
"""

import json
import sys

NAMES = {
    "c": "C curl_multi loop",
    "curl": "CurlTransport",
    "ahc": "async-http-client",
    "client": "LLMClient.chat (full)",
    "openai-python": "openai-python AsyncOpenAI",
    "litellm": "LiteLLM acompletion",
    "c-anthropic": "C curl_multi loop",
    "client-anthropic": "LLMClient.chat (full)",
    "anthropic-python": "anthropic-python AsyncAnthropic",
}
# The legs, each against its own endpoint of the one nginx: its title, its C loop (the reference of
# the "vs C" columns), its contenders in table order, Sluice's full client and the Python SDKs that
# client is compared with.
LEGS = [
    {
        "title": "OpenAI leg: POST /v1/chat/completions, a fixed chat.completion",
        "c": "c",
        "order": ["c", "curl", "ahc", "client", "openai-python", "litellm"],
        "client": "client",
        "peers": ["openai-python", "litellm"],
    },
    {
        "title": "Anthropic leg: POST /v1/messages, a fixed Anthropic message",
        "c": "c-anthropic",
        "order": ["c-anthropic", "client-anthropic", "anthropic-python"],
        "client": "client-anthropic",
        "peers": ["anthropic-python"],
    },
]


def load(path):
    rows = []
    with open(path, encoding="utf-8") as file:
        for line in file:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def find(rows, contender, concurrency):
    for row in rows:
        if row["contender"] == contender and row["concurrency"] == concurrency:
            return row
    return None


def ratio(value, reference):
    if value is None or not reference:
        return None
    return value / reference


def targets(rows):
    """The issue's targets, each with the figures it was judged on; met is None when one is missing."""
    out = []

    def add(name, met, detail):
        out.append({"target": name, "met": met, "detail": detail})

    c64, curl64, ahc64 = find(rows, "c", 64), find(rows, "curl", 64), find(rows, "ahc", 64)
    if c64 and curl64:
        share = curl64["rps"] / c64["rps"]
        add("CurlTransport at 64 >= 75% of the C loop", share >= 0.75, f"{share:.0%} of C")
    else:
        add("CurlTransport at 64 >= 75% of the C loop", None, "not measured")
    if ahc64 and curl64:
        share = curl64["rps"] / ahc64["rps"]
        add("CurlTransport at 64 >= async-http-client", share >= 1, f"{share:.2f}x async-http-client")
    else:
        add("CurlTransport at 64 >= async-http-client", None, "not measured")
    c1, curl1 = find(rows, "c", 1), find(rows, "curl", 1)
    if c1 and curl1:
        times = curl1["p50_us"] / c1["p50_us"]
        add("CurlTransport sequential latency <= 2x the C loop", times <= 2, f"p50 {times:.2f}x C")
    else:
        add("CurlTransport sequential latency <= 2x the C loop", None, "not measured")
    # Sluice's own allocations: the full client's less its leg's C loop at the same concurrency. The C
    # loop reuses one easy handle and sets nothing per request, so its count is libcurl's floor per
    # transfer (34 on this machine's libcurl), which alone exceeds 30.
    name = "<= 30 allocations per request through the full client (Sluice's own, over libcurl's floor)"
    own, parts = [], []
    for leg in LEGS:
        for concurrency in (1, 64):
            client, c = find(rows, leg["client"], concurrency), find(rows, leg["c"], concurrency)
            if not client or not c:
                continue
            if client["allocs_per_request"] is None or c["allocs_per_request"] is None:
                own = None
                break
            own.append(client["allocs_per_request"] - c["allocs_per_request"])
            parts.append(
                f"{leg['client']} at {concurrency}: {client['allocs_per_request']:.1f} - "
                f"{c['allocs_per_request']:.1f} = {own[-1]:.1f}"
            )
        if own is None:
            break
    if own:
        add(name, max(own) <= 30, "; ".join(parts))
    else:
        add(name, None, "not counted")
    client64, python64 = find(rows, "client", 64), find(rows, "openai-python", 64)
    if client64 and python64:
        times = client64["rps"] / python64["rps"]
        add("full client at 64 >= 40x openai-python", times >= 40, f"{times:.1f}x openai-python")
    else:
        add("full client at 64 >= 40x openai-python", None, "not measured")
    return out


def comparisons(rows):
    """Sluice's full client against each Python SDK on the same endpoint, per level."""
    out = []
    for leg in LEGS:
        for concurrency in (1, 64):
            client = find(rows, leg["client"], concurrency)
            for peer in leg["peers"]:
                other = find(rows, peer, concurrency)
                if not client or not other or not other["rps"] or not client["p50_us"] or not client["cpu_s_per_10k"]:
                    continue
                out.append(
                    {
                        "client": leg["client"],
                        "peer": peer,
                        "concurrency": concurrency,
                        "rps_times": round(client["rps"] / other["rps"], 2),
                        "p50_times_lower": round(other["p50_us"] / client["p50_us"], 2),
                        "cpu_times_less": round(other["cpu_s_per_10k"] / client["cpu_s_per_10k"], 2),
                    }
                )
    return out


def number(value, digits=0):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def table(rows, meta):
    print(f"== scripts/bench --compare ({meta.get('date', '?')})")
    print(
        f"machine: {meta.get('cores', '?')} cores, {meta.get('cpu', '?')}; load average at start "
        f"{meta.get('load_start', '?')}, at end {meta.get('load_end', '?')}"
    )
    print(
        f"server: {meta.get('nginx', 'nginx')} on 127.0.0.1, one worker, a fixed chat.completion and a fixed "
        "Anthropic message"
    )
    print(
        f"each level: at most {meta.get('count_64', '?')} requests at 64 ({meta.get('count_1', '?')} at 1) "
        f"or {meta.get('seconds', '?')} s, after a warm-up; each contender in a process of its own"
    )
    for key in ("versions",):
        for line in meta.get(key, []):
            print(f"  {line}")
    header = (
        f"{'contender':<32} {'conc':>4} {'requests':>9} {'fail':>4} {'req/s':>9} {'vs C':>6} "
        f"{'p50 µs':>8} {'p99 µs':>8} {'p50 vs C':>8} {'CPU s/10k':>9} {'allocs/req':>10} {'peak RSS':>9}"
    )
    ratios = comparisons(rows)
    for leg in LEGS:
        if not any(row["contender"] in leg["order"] for row in rows):
            continue
        print()
        print(f"-- {leg['title']}")
        print(header)
        for concurrency in (1, 64):
            leg_rows(rows, leg, concurrency, [r for r in ratios if r["concurrency"] == concurrency])
    print()
    print("targets (measured, not chased here):")
    for target in targets(rows):
        verdict = {True: "met", False: "NOT met", None: "n/a"}[target["met"]]
        print(f"  {verdict:<7} {target['target']}: {target['detail']}")
    failed = sum(row["failed"] for row in rows)
    if failed:
        print(f"warning: {failed} requests failed; their figures are not comparable")


def leg_rows(rows, leg, concurrency, ratios):
    """One level of one leg: a line per contender, then the full client against each Python SDK."""
    c = find(rows, leg["c"], concurrency)
    for contender in leg["order"]:
        row = find(rows, contender, concurrency)
        if row is None:
            continue
        vs_c = ratio(row["rps"], c and c["rps"])
        p50_vs_c = ratio(row["p50_us"], c and c["p50_us"])
        print(
            f"{NAMES[contender]:<32} {concurrency:>4} {row['requests']:>9,} {row['failed']:>4} "
            f"{number(row['rps']):>9} {number(vs_c and vs_c * 100) + '%':>6} {number(row['p50_us']):>8} "
            f"{number(row['p99_us']):>8} {number(p50_vs_c, 2) + 'x':>8} {number(row['cpu_s_per_10k'], 2):>9} "
            f"{number(row['allocs_per_request'], 1):>10} {number(row['peak_rss_kib'] / 1024, 1) + ' MB':>9}"
        )
    for compared in ratios:
        if compared["client"] == leg["client"]:
            print(
                f"{'  full client vs ' + compared['peer']:<37} {compared['rps_times']:.1f}x req/s, "
                f"{compared['p50_times_lower']:.1f}x lower p50, {compared['cpu_times_less']:.1f}x less CPU per request"
            )


def main():
    rows = load(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as file:
        meta = json.load(file)
    if "--json" in sys.argv[3:]:
        print(
            json.dumps(
                {"meta": meta, "results": rows, "comparisons": comparisons(rows), "targets": targets(rows)}, indent=2
            )
        )
    else:
        table(rows, meta)


if __name__ == "__main__":
    main()
