"""Writes BENCHMARKS.md and its plots from one scripts/bench-all run's results."""

import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ORDER = ["pushcast-rust", "pushcast-python-c-abi", "pushcast-php-laravel",
         "php-guzzle-baseline", "pusher-http-node", "pusher-http-python"]


def _cpu():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def _fmt(x, digits=1):
    return "n/a" if x != x else f"{x:,.{digits}f}"


def _plot_latency(results, plots):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, rate in zip(axes, sorted({r["rate"] for r in results["latency"]})):
        for r in sorted((r for r in results["latency"] if r["rate"] == rate), key=lambda r: ORDER.index(r["impl"])):
            values = sorted(float(v) for v in Path(r["latencies_file"]).read_text().split())
            if not values:
                continue
            ys = [(i + 1) / len(values) for i in range(len(values))]
            ax.plot(values, ys, label=r["impl"])
        ax.set_xscale("log")
        ax.set_xlabel("publish → subscriber latency (ms, log)")
        ax.set_title(f"{rate} events/s, 100 B")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("fraction of events")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(plots / "latency-cdf.png", dpi=110)
    plt.close(fig)


def _plot_throughput(results, plots):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    rows = results["throughput"]
    sizes = sorted({r["size"] for r in rows})
    width = 0.8 / len(sizes)
    for ax, key, label in [(axes[0], "delivered_per_s", "delivered events/s (log)"),
                           (axes[1], "call_us_p50", "caller cost per publish, p50 (µs, log)")]:
        for i, size in enumerate(sizes):
            values = [next((r[key] for r in rows if r["impl"] == name and r["size"] == size), 0) for name in ORDER]
            ax.bar([x + i * width for x in range(len(ORDER))], values, width, label=f"{size} B")
        ax.set_xticks([x + width / 2 for x in range(len(ORDER))])
        ax.set_xticklabels(ORDER, rotation=25, ha="right", fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel(label)
        ax.grid(True, axis="y", which="both", alpha=0.3)
        ax.legend()
    axes[0].axhline(results["ceiling_per_s"], color="black", linestyle="--", linewidth=1)
    axes[0].text(0, results["ceiling_per_s"] * 1.1, "server ceiling", fontsize=8)
    fig.tight_layout()
    fig.savefig(plots / "throughput-by-payload.png", dpi=110)
    plt.close(fig)


def _plot_rss(results, plots):
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for r in results["throughput"]:
        if r["size"] == 100 and r["rss"]:
            xs, ys = zip(*r["rss"])
            ax.plot(xs, ys, label=f"{r['impl']} ({r['n']:,} events)")
    ax.set_xlabel("seconds since the publisher started")
    ax.set_ylabel("RSS (MB)")
    ax.set_title("publisher RSS over a run (100 B events, as fast as the caller goes)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(plots / "rss-over-time.png", dpi=110)
    plt.close(fig)


def _fpm_equal_load(results):
    rows = [r for r in results["fpm"] if r.get("rate") is not None]
    if not rows:
        return []
    rate = rows[0]["rate"]
    lines = ["### The same at an equal load", "",
             f"`ab -c 4` gives each variant as many requests as it serves, so the faster one works"
             f" harder (more requests per second on the same two cores) and its events wait longer for"
             f" a core. Here both get the same open-loop load, {rate:,} requests/s"
             " (crates/pushcast-testkit/src/bin/bench-http-load.rs: each request starts when due, and"
             " its time runs from then), which compares their latencies at equal work. The two variants"
             f" alternate in {rows[0].get('blocks', 1)} blocks per payload, so that a drift of the machine"
             " during the comparison reaches both alike; latency percentiles pool every event of a"
             " variant's blocks, request columns are the median over its blocks.", "",
             "| variant | payload | requests | request p50 (ms) | request p99 (ms) | requests/s | latency p50 (ms) | latency p99 (ms) | delivered | lost |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['size']} B | {r['requests']:,} | {_fmt(r['request_ms_p50'], 2)} | "
                     f"{_fmt(r['request_ms_p99'], 2)} | {_fmt(r['requests_per_s'], 0)} | {_fmt(r['latency_ms_p50'], 2)} | "
                     f"{_fmt(r['latency_ms_p99'], 2)} | {r['delivered']:,} | {r['lost']} |")
    return lines + [""]


STAGE_WORDS = {
    "queue": "publish → the engine's I/O thread takes it (its wake-up; for an event its publisher wrote, after the request left)",
    "batch": "taken → handed to a lane (a free lane; batching)",
    "wake": "handed → the lane task runs",
    "send": "the lane starts → answered (signing, connection, the server, retries; what is left of it for an event its publisher wrote)",
    "total": "publish → the server's acknowledgement",
}


def _stages(results):
    """The engine's own hop-by-hop histograms, for the runs that report them."""
    runs = [(f"{r['impl']}, {r['rate']:,}/s", r["stages"]) for r in results["latency"]
            if r.get("stages") and r["rate"] == min(x["rate"] for x in results["latency"])]
    runs += [(f"FPM {r['variant']}, {r['transport']}, {('%s/s' % format(r['rate'], ',')) if r.get('rate') else 'ab -c 4'}",
              r["stages"]) for r in results["fpm"] if r.get("stages") and r["size"] == 100]
    if not runs:
        return []
    names = [n for n in STAGE_WORDS if any(n in st for _, st in runs)]
    lines = ["## Where the time goes", "",
             "The engine times each hop of every event (`Client::stage_latencies()`, PHP"
             " `stageLatencies()`; log-linear buckets, within 12.5 %; the FPM workers' buckets merged)."
             " p50 / p99 in µs, from this run:", "",
             "| stage | what | " + " | ".join(name for name, _ in runs) + " |",
             "|---|---|" + "---|" * len(runs)]
    for stage in names:
        cells = []
        for _, st in runs:
            s = st.get(stage) or {}
            cells.append(f"{s.get('p50_us', 'n/a')} / {s.get('p99_us', 'n/a')}")
        lines.append(f"| {stage} | {STAGE_WORDS[stage]} | " + " | ".join(cells) + " |")
    bench = Path(__file__).resolve().parents[2] / "benchmarks"
    changes = [(name, what) for name, what in STAGE_CHANGES if (bench / name).exists()]
    if changes:
        lines += ["", "What changed them, before and after (`scripts/bench-stages`: the same runs with the"
                  " engine before and after each change):", ""]
        lines += [f"- [benchmarks/{name}](benchmarks/{name}): {what}" for name, what in changes]
    lines.append("")
    return lines


# The before/after stage reports of scripts/bench-stages, oldest change first.
STAGE_CHANGES = [
    ("stages-before-after.md", "the dispatcher moved from a thread of its own onto the I/O thread"),
    ("stages-predial.md", "pre-dialled connections for servers that close after every answer"),
    ("stages-ahead.md", "an idle engine's event written by its publisher"),
]


def _reverb(results):
    rows = results.get("reverb")
    if not rows:
        return []
    lines = ["## Against Laravel Reverb: pushcast and the real pusher-http-php", "",
             "The real Reverb 1.10.2 of `../shared/reverb` (it closes the connection after every answer),"
             " pushcast through Laravel's broadcaster (reverb profile: batches up to Reverb's 10,000-byte"
             " request limit) and the real pusher-http-php 7.2.7 (`Pusher::trigger`, one request per"
             " event). Reverb's CPU: utime + stime of its process (/proc) over the run.", "",
             "| publisher | rate (events/s) | events | delivered/s | latency p50 (ms) | latency p99 (ms) | caller p50 (µs) | Reverb CPU (s) | Reverb CPU s per 10,000 events | delivered | lost |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['impl']} | {r['rate'] or 'max'} | {r['n']:,} | {_fmt(r['delivered_per_s'], 0)} | "
                     f"{_fmt(r['latency_ms_p50'], 2)} | {_fmt(r['latency_ms_p99'], 2)} | {_fmt(r['call_us_p50'], 2)} | "
                     f"{_fmt(r['reverb_cpu_s'], 2)} | {_fmt(r['reverb_cpu_s_per_10k'], 2)} | {r['delivered']:,} | {r['lost']} |")
    return lines + ["", "At full speed the throughput rows' latency is queueing (each publisher as fast as it"
                    " goes); the paced rows compare latency.", ""]


def _footprint(results):
    f = results.get("footprint")
    if not f:
        return []
    return ["## What an idle engine costs each PHP-FPM worker", "",
            "`scripts/bench-fpm-footprint` (Debian's php-fpm, a static pool of 32 workers; each worker"
            " measured from `/proc` before any broadcast, after every worker has broadcast, and over idle"
            " seconds), in this run:", "", "```", f["detail"], f["line"], "```", "",
            f"An engine adds {f['idle_uss_mb_added']:.2f} MB of private memory (USS) to a worker, whose"
            f" thread count goes to {f['threads_per_worker']:.0f} (PHP's own and the engine's I/O thread,"
            " which runs the dispatcher and the lanes), and wakes"
            f" {f['idle_wakeups_per_s']:.2f} times a second while idle. Sockets: the worker's first is"
            " FPM's own; sockudo (like Reverb) closes the connection after each answer, and an idle"
            " engine holds the one it dialled after its last answer, unused, for the next event (at"
            " most 5 s old when used; parked outside the I/O thread's epoll, so the server closing it"
            " wakes nobody). With a keep-alive server (hosted Pusher) it keeps up to `max_in_flight`"
            " idle connections for 30 s instead.", ""]


def _ratios(results):
    r = results.get("ratios")
    if not r:
        return []
    return ["## The comparisons as ratios (this run)", "",
            "| comparison | ratio | how |", "|---|---|---|",
            f"| paced latency p99, pushcast ÷ blocking baseline | {r['paced_p99_vs_baseline']:.2f} |"
            " the worst over the paced rates and the three pushcast publishers |",
            f"| PHP-FPM latency p99 at equal load, pushcast ÷ baseline | {r['fpm_p99_vs_baseline']:.2f} |"
            " the worse of the two payloads |",
            f"| PHP-FPM latency p99 under `ab -c 4`, pushcast ÷ baseline | {r['fpm_saturated_p99_vs_baseline']:.2f} |"
            " pushcast serves more requests/s there (see above) |",
            f"| throughput, PHP ÷ Rust through the same engine | {r['php_vs_rust']:.2f} | the lower of the two payloads |",
            f"| throughput, Python (C ABI) ÷ Rust | {r['python_vs_rust']:.2f} | the lower of the two payloads |",
            ""]


def write(results, out, plots, quick):
    _plot_latency(results, plots)
    _plot_throughput(results, plots)
    _plot_rss(results, plots)
    rel = os.path.relpath(plots, out)
    lines = [
        "# Benchmarks",
        "",
        "Written by `scripts/bench-all` from one run on one machine; every figure below is what that run"
        " measured. Re-run it to reproduce (about 15 minutes; `BENCH_QUICK=1 scripts/bench-all` is the"
        " short version CI runs, writing to target/bench-quick).",
        "",
        f"- Run: {results.get('run_at') or datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}"
        f"{' (quick mode)' if quick else ''}",
        f"- Machine: {os.cpu_count()} cores, {_cpu()}, {platform.system()} {platform.release()}",
        f"- Server: {_version([os.environ.get('SOCKUDO_BIN', 'sockudo'), '--version'])} on loopback, one node,"
        " the test kit's settings (rate limits off, batches of 100)",
        f"- Peers: pusher-http-node 5.3.4 (`{_version(['node', '--version'])}`), pusher-http-python 3.3.4,"
        f" and a pure-PHP Guzzle baseline doing what pusher-http-php does (`{_version(['php', '--version'])}`)",
        "- Subscriber: one WebSocket client per run (crates/pushcast-testkit/src/bin/bench-subscriber.rs),"
        " counting distinct sequence numbers; latency = arrival − the publish instant carried in the payload.",
        "",
        "How each publisher is called: pushcast's `publish` queues and returns (batched and sent in the"
        " background; the queue blocks when full, so nothing is dropped; on an idle engine it first writes"
        " the event's request on a pre-dialled connection itself, without waiting for the answer); each"
        " run ends with a flush. The"
        " peers are called as their users call them: one HTTP request per event, the caller waiting for the"
        " answer (`await pusher.trigger`, `pusher.trigger`, Guzzle's `request`).",
        "",
        "## Throughput and caller cost",
        "",
        f"The server's own ceiling (a raw load generator replaying one pre-signed batch request, 16 in flight):"
        f" **{_fmt(results['ceiling_per_s'], 0)} events/s**.",
        "",
        "| publisher | payload | events | caller p50 (µs) | caller p99 (µs) | delivered/s | delivered | lost | max RSS (MB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(results["throughput"], key=lambda r: (r["size"], ORDER.index(r["impl"]))):
        lines.append(f"| {r['impl']} | {r['size']} B | {r['n']:,} | {_fmt(r['call_us_p50'], 2)} | "
                     f"{_fmt(r['call_us_p99'], 2)} | {_fmt(r['delivered_per_s'], 0)} | {r['delivered']:,} | "
                     f"{r['lost']} | {_fmt(r['rss_mb_max'])} |")
    lines += ["", f"![throughput and caller cost]({rel}/throughput-by-payload.png)", "",
              f"![RSS over time]({rel}/rss-over-time.png)", "",
              "## End-to-end latency at fixed rates (100 B)", "",
              "| publisher | rate (events/s) | events | latency p50 (ms) | latency p99 (ms) | caller p50 (µs) | delivered | lost |",
              "|---|---|---|---|---|---|---|---|"]
    for r in sorted(results["latency"], key=lambda r: (r["rate"], ORDER.index(r["impl"]))):
        lines.append(f"| {r['impl']} | {r['rate']:,} | {r['n']:,} | {_fmt(r['latency_ms_p50'], 2)} | "
                     f"{_fmt(r['latency_ms_p99'], 2)} | {_fmt(r['call_us_p50'], 2)} | {r['delivered']:,} | {r['lost']} |")
    blocked = [r for r in results["latency"] if r.get("blocks")]
    lines += [""]
    if blocked:
        lines += [f"pushcast's three publishers and the blocking baseline take turns, in {blocked[0]['blocks']} blocks"
                  " per rate, each block starting with the next of them, so that a drift of the machine during the"
                  " comparison reaches all four alike; their latency percentiles pool every event of their blocks,"
                  " their caller column is the median over their blocks (each block's p99 is in"
                  " benchmarks/results.json). The other peers run once per rate.", ""]
    lines += ["A publisher that cannot keep the rate (each call waiting for the server) falls behind, and"
              " its events wait in the caller: that shows as latency here.", "",
              f"![latency distribution]({rel}/latency-cdf.png)", "",
              "## The PHP-FPM shape: one broadcast per web request, over HTTP and TLS", "",
              "php-fpm (4 static workers) behind nginx, `ab -c 4`, each request broadcasting one event. The"
              " baseline makes its Guzzle client in the request, as pusher-http-php does in FPM: a new TCP"
              " (and TLS) connection per request. pushcast's engine lives in the worker across requests."
              " TLS: a local nginx TLS proxy in front of sockudo, its CA given to both.", "",
              "| variant | transport | payload | requests | request p50 (ms) | request p99 (ms) | requests/s | latency p50 (ms) | latency p99 (ms) | delivered | lost |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in (r for r in results["fpm"] if r.get("rate") is None):
        lines.append(f"| {r['variant']} | {r['transport']} | {r['size']} B | {r['requests']:,} | "
                     f"{_fmt(r['request_ms_p50'], 0)} | {_fmt(r['request_ms_p99'], 0)} | {_fmt(r['requests_per_s'], 0)} | "
                     f"{_fmt(r['latency_ms_p50'], 2)} | {_fmt(r['latency_ms_p99'], 2)} | {r['delivered']:,} | {r['lost']} |")
    lines += ["", "`ab` reports whole milliseconds.", ""]
    lines += _fpm_equal_load(results) + _stages(results) + _reverb(results) + _footprint(results) + _ratios(results)
    lines += [
              "## Reproduce", "", "```sh", "scripts/bench-all            # this report (BENCHMARKS.md, benchmarks/*.png)",
              "BENCH_QUICK=1 scripts/bench-all   # the short version, into target/bench-quick",
              "scripts/bench-stages         # the stage table before and after an engine change",
              "scripts/bench-fpm-footprint  # an idle engine's cost per PHP-FPM worker", "```", "",
              "Raw results of this run: `benchmarks/results.json`. Other benchmarks: `cargo bench -p pushcast-core`"
              " (signing and auth), `scripts/bench-e2e`, `scripts/bench-php`.", ""]
    (out / "BENCHMARKS.md").write_text("\n".join(lines))
