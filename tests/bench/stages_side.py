"""scripts/bench-stages: one side's runs (`stages_side.py OUT.json`, inside that side's sockudo
and php-fpm sessions), or the before/after report (`--report REV BEFORE AFTER OUT.md`)."""

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
# What each side's engine does, in a few words (scripts/bench-stages: STAGES_BEFORE, STAGES_AFTER).
BEFORE_WHAT = os.environ.get("STAGES_BEFORE", "the dispatcher a thread of its own")
AFTER_WHAT = os.environ.get("STAGES_AFTER", "the dispatcher a task on the I/O thread")


def side(out):
    import bench_all as b
    b.FPM_REQUESTS = 2000
    runs = []
    for name, prefix, ours in b.PUBLISHERS:
        if name in ("pushcast-rust", "pushcast-php-laravel"):
            r = b.run_publisher(name, prefix, 100, 2500, 500)
            runs.append({"run": f"{name}, 500/s", "caller_us_p50": r["call_us_p50"],
                         "latency_ms_p50": r["latency_ms_p50"], "latency_ms_p99": r["latency_ms_p99"],
                         "stages": r["stages"]})
    for rate in (None, b.FPM_RATE):
        r = b.run_fpm("pushcast", "http", 100, rate)
        runs.append({"run": f"FPM, {'ab -c 4' if rate is None else f'{rate:,}/s'}", "caller_us_p50": None,
                     "latency_ms_p50": r["latency_ms_p50"], "latency_ms_p99": r["latency_ms_p99"],
                     "requests_per_s": r["requests_per_s"], "stages": r["stages"]})
    threads = engine_threads(b)
    Path(out).write_text(json.dumps({"runs": runs, "engine_threads": threads}))


def engine_threads(b):
    """Threads an engine adds to a PHP process: a publish, then /proc/self/task."""
    import subprocess
    code = ("$c = new Pushcast\\Client('app-key', 'app-secret', '12345', ['endpoints' => [getenv('SOCKUDO_URL')],"
            " 'server_profile' => 'sockudo']); $n = count(scandir('/proc/self/task')) - 2;"
            " $c->trigger('threads', 'e', []); $c->flush(5000); usleep(200000);"
            " echo count(scandir('/proc/self/task')) - 2 - $n;")
    out = subprocess.run(["php", "-d", f"extension={b.PHP_EXT}", "-r", code], capture_output=True, text=True,
                         check=True).stdout
    return int(out.strip())


def report(rev, before_file, after_file, out):
    before, after = (json.loads(Path(f).read_text()) for f in (before_file, after_file))
    stages = ["queue", "batch", "wake", "send", "total"]
    lines = ["# Where the time goes: before and after", "",
             f"Written by `scripts/bench-stages` on {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}:"
             f" the same runs with the engine of `{rev}` ({BEFORE_WHAT}) and of the"
             f" working tree ({AFTER_WHAT}). p50 / p99 per side,"
             " from the engine's own stage histograms (µs) and the subscriber (ms).", "",
             f"Threads an engine adds to a process: {before['engine_threads']} → {after['engine_threads']}.", ""]
    for b, a in zip(before["runs"], after["runs"]):
        lines += [f"## {b['run']}", "", "| stage | before p50 / p99 (µs) | after p50 / p99 (µs) |", "|---|---|---|"]
        for s in stages:
            bs, as_ = (b["stages"] or {}).get(s, {}), (a["stages"] or {}).get(s, {})
            lines.append(f"| {s} | {bs.get('p50_us')} / {bs.get('p99_us')} | {as_.get('p50_us')} / {as_.get('p99_us')} |")
        lines.append(f"| publish → subscriber (ms) | {b['latency_ms_p50']:.2f} / {b['latency_ms_p99']:.2f} |"
                     f" {a['latency_ms_p50']:.2f} / {a['latency_ms_p99']:.2f} |")
        if b["caller_us_p50"] is not None:
            lines.append(f"| caller p50 (µs) | {b['caller_us_p50']:.2f} | {a['caller_us_p50']:.2f} |")
        if b.get("requests_per_s"):
            lines.append(f"| requests/s | {b['requests_per_s']:,.0f} | {a['requests_per_s']:,.0f} |")
        lines.append("")
    Path(out).write_text("\n".join(lines))
    fpm = [(b, a) for b, a in zip(before["runs"], after["runs"]) if b["run"].startswith("FPM, ab")][0]
    rust = [(b, a) for b, a in zip(before["runs"], after["runs"]) if b["run"].startswith("pushcast-rust")][0]
    q = lambda r, k: r[0]["stages"]["queue"][k], lambda r, k: r[1]["stages"]["queue"][k]  # noqa: E731
    print(f"bench-stages before={rev} queue_p50_us={q[0](fpm, 'p50_us')}/{q[1](fpm, 'p50_us')} "
          f"queue_p99_us={q[0](fpm, 'p99_us')}/{q[1](fpm, 'p99_us')} "
          f"fpm_latency_p99_ms={fpm[0]['latency_ms_p99']:.2f}/{fpm[1]['latency_ms_p99']:.2f} "
          f"caller_p50_us={rust[0]['caller_us_p50']:.2f}/{rust[1]['caller_us_p50']:.2f} "
          f"engine_threads={before['engine_threads']}/{after['engine_threads']}")


if __name__ == "__main__":
    if sys.argv[1] == "--report":
        report(*sys.argv[2:6])
    else:
        side(sys.argv[1])
