"""The driver of scripts/bench-all (which installs, builds, and starts the servers first).

Runs every publisher against the same local sockudo, each with a counting subscriber
(bench-subscriber), samples each publisher's RSS, runs the PHP-FPM shape under `ab` over plain
HTTP and through the TLS proxy, measures the server's ceiling, and writes BENCHMARKS.md with
its plots. Every figure comes from this run. BENCH_QUICK=1: small counts, report to
$BENCH_OUT (default target/bench-quick) instead of the repository root.
"""

import json
import os
import platform
import math
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import stages  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
QUICK = os.environ.get("BENCH_QUICK") == "1"
OUT = Path(os.environ.get("BENCH_OUT", ROOT / ("target/bench-quick" if QUICK else ".")))
PLOTS = OUT / "benchmarks"
REL = Path(os.environ.get("BENCH_BIN_DIR", ROOT / "target/release"))
PORT = os.environ["SOCKUDO_PORT"]
HTTP_URL = os.environ["SOCKUDO_URL"]
TLS_URL, CA = os.environ["BENCH_TLS_URL"], os.environ["BENCH_CA"]
FPM_URL = os.environ["FPM_URL"]
PEER_PY = os.environ["PEER_PYTHON"]
PHP_EXT = str(REL / "libpushcast_php.so")
os.environ["PUSHCAST_LIB"] = str(REL / "libpushcast.so")  # the Python binding's library

# (name, command prefix, is pushcast): every command takes the same flags.
PUBLISHERS = [
    ("pushcast-rust", [str(REL / "bench-publish")], True),
    ("pushcast-python-c-abi", [sys.executable, str(ROOT / "tests/bench/python-pushcast.py")], True),
    ("pushcast-php-laravel", ["php", "-d", f"extension={PHP_EXT}", str(ROOT / "tests/bench/php-publish.php"), "pushcast"], True),
    ("php-guzzle-baseline", ["php", "-d", f"extension={PHP_EXT}", str(ROOT / "tests/bench/php-publish.php"), "baseline"], False),
    ("pusher-http-node", ["node", str(ROOT / "tests/bench/node-pusher.js")], False),
    ("pusher-http-python", [PEER_PY, str(ROOT / "tests/bench/python-pusher.py")], False),
]
SIZES = [100, 1024]
# Events per throughput run: pushcast's 1M run (100 B) is also the RSS run.
N_PUSHCAST = {100: 20_000 if QUICK else 1_000_000, 1024: 5_000 if QUICK else 100_000}
N_PEER = 500 if QUICK else 10_000
RATES = [500, 2000]
# Seconds per paced run: at 500/s, 5 s gave a p99 over 2,500 events (the 25th worst), which moved
# from 0.57 to 1.52 ms between runs of the same engine; 10 s gives 5,000 (and 20,000 at 2,000/s).
RATE_SECONDS = 1 if QUICK else 10
# The paced comparison (pushcast's publishers and the blocking baseline) runs in blocks, the
# publishers taking turns (run_paced says why); the other peers run once per rate.
PACED_COMPARED = ["pushcast-rust", "pushcast-python-c-abi", "pushcast-php-laravel", "php-guzzle-baseline"]
PACED_BLOCKS = 2 if QUICK else 5
# Requests per `ab -c 4` run: over 2,000 a p99 is the 20th worst, and one run of the same engine
# gave 2.46 ms and the next 6.93 ms (1 KB); over 10,000 it is the 100th worst.
FPM_REQUESTS = 200 if QUICK else 10_000
# The FPM shape's equal-load runs: requests per second, well under what either variant serves
# at most here (about 1,400-1,900 under `ab -c 4`).
FPM_RATE = 1000
# Requests per equal-load run: a p99 over 2,000 requests is the 20th worst, and moved by 30 %
# between identical runs here (ratios 0.79 to 1.38 over three rounds of the same engine); over
# 10,000 it is the 100th worst.
FPM_RATE_REQUESTS = 200 if QUICK else 10_000
# ... in blocks, the two variants alternating (run_fpm_equal_load says why).
FPM_RATE_BLOCKS = 2 if QUICK else 5
SHARED = Path(os.environ.get("PUSHCAST_SHARED", ROOT.parent / "shared"))
# Against Reverb: events per throughput run (pusher-http-php waits for each answer).
N_REVERB = {"pushcast-php-laravel": 2_000 if QUICK else 20_000, "pusher-http-php": 200 if QUICK else 3_000}


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def rss_sampler(pid, samples, stop):
    start = time.monotonic()
    while not stop.is_set():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            samples.append((time.monotonic() - start, kb / 1024))
        except (OSError, AttributeError):
            pass
        stop.wait(0.1)


def start_subscriber(channel, expect, latencies=None, port=PORT):
    cmd = [str(REL / "bench-subscriber"), "--port", str(port), "--channel", channel,
           "--expect", str(expect), "--idle-secs", "20"]
    if latencies:
        cmd += ["--latencies", str(latencies)]
    sub = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    if sub.stdout.readline().strip() != "ready":
        raise RuntimeError(f"subscriber for {channel} did not start")
    return sub


def finish_subscriber(sub):
    out, _ = sub.communicate(timeout=900)
    return json.loads(out.strip().splitlines()[-1])


def run_publisher(name, prefix, size, n, rate, url=HTTP_URL, ca=None, latencies=None, port=PORT):
    channel = f"b-{name}-{size}-{rate}-{uuid.uuid4().hex[:8]}"
    sub = start_subscriber(channel, n, latencies, port)
    cmd = prefix + ["--url", url, "--channel", channel, "--events", str(n),
                    "--payload", str(size), "--rate", str(rate)]
    if ca:
        cmd += ["--ca-file", ca]
    samples, stop = [], threading.Event()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    sampler = threading.Thread(target=rss_sampler, args=(proc.pid, samples, stop))
    sampler.start()
    out, _ = proc.communicate(timeout=1800)
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{name} exited with {proc.returncode}")
    pub = json.loads(out.strip().splitlines()[-1])
    seen = finish_subscriber(sub)
    span_s = max((seen["last_unix_us"] - seen["first_unix_us"]) / 1e6, 1e-9)
    result = {
        "impl": name, "size": size, "n": n, "rate": rate,
        "call_us_p50": pub["call_us_p50"], "call_us_p99": pub["call_us_p99"],
        "delivered": seen["distinct"], "duplicates": seen["duplicates"], "lost": n - seen["distinct"],
        "delivered_per_s": seen["distinct"] / span_s,
        "latency_ms_p50": seen["latency_ms_p50"], "latency_ms_p99": seen["latency_ms_p99"],
        "rss_mb_max": max((mb for _, mb in samples), default=0.0), "rss": samples,
        # The engine's hop-by-hop histograms, from the publishers that report them.
        "stages": stages.summary(stages.from_report(pub["stages"])) if pub.get("stages") else None,
        "stages_histogram": stages.from_report(pub["stages"]) if pub.get("stages") else None,
    }
    log(f"  {name} {size}B n={n} rate={rate or 'max'}: caller p50 {pub['call_us_p50']:.2f} µs, "
        f"delivered {seen['distinct']}/{n} at {result['delivered_per_s']:.0f}/s, "
        f"latency p50 {seen['latency_ms_p50']:.2f} ms p99 {seen['latency_ms_p99']:.2f} ms, "
        f"RSS max {result['rss_mb_max']:.1f} MB")
    return result


def ab_percentiles(text):
    found = dict(re.findall(r"^\s+(\d+)%\s+(\d+)", text, re.M))
    rps = re.search(r"Requests per second:\s+([\d.]+)", text)
    failed = re.search(r"Failed requests:\s+(\d+)", text)
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", text)
    return {
        "request_ms_p50": float(found.get("50", "nan")), "request_ms_p99": float(found.get("99", "nan")),
        "requests_per_s": float(rps.group(1)) if rps else 0.0,
        "failed_requests": int(failed.group(1)) if failed else 0, "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


FPM_WORKERS = int(os.environ.get("FPM_WORKERS", "4"))


def fpm_stages(transport):
    """The FPM workers' engines' stage histograms for `transport`, merged."""
    histogram, workers = stages.fetch_fpm(f"{FPM_URL}/stages?variant=stages&transport={transport}", FPM_WORKERS)
    if workers < FPM_WORKERS:
        log(f"  (stages from {workers} of {FPM_WORKERS} FPM workers only)")
    return histogram


def run_fpm(variant, transport, size, rate=None, requests=None, latencies=None, with_stages=True):
    """One FPM run: `ab -c 4` (as many requests as the workers take: saturated) or, with
    `rate`, an open-loop load at that many requests per second (bench-http-load): the same
    offered load for both variants, so their latencies compare at equal work. `latencies`:
    a file for every event's latency (ms); `with_stages`: read the engines' stage histograms
    around the run (pushcast only)."""
    channel = f"fpm-{variant}-{transport}-{size}"
    requests = requests or (FPM_REQUESTS if rate is None else FPM_RATE_REQUESTS)
    sub = start_subscriber(channel, requests, latencies)
    url = f"{FPM_URL}/broadcast?variant={variant}&transport={transport}&size={size}"
    before = fpm_stages(transport) if variant == "pushcast" and with_stages else None
    if rate is None:
        ab = subprocess.run(["ab", "-n", str(requests), "-c", "4", url], capture_output=True, text=True)
        load = ab_percentiles(ab.stdout)
    else:
        out = subprocess.run([str(REL / "bench-http-load"), "--url", url, "--rate", str(rate),
                              "--requests", str(requests)], capture_output=True, text=True, check=True).stdout
        load = json.loads(out.strip().splitlines()[-1])
        load = {k: load[k] for k in ("request_ms_p50", "request_ms_p99", "requests_per_s")} | {
            "failed_requests": load["failed"], "non2xx": 0}
    seen = finish_subscriber(sub)
    # This run's share of the workers' cumulative histograms (every event resolved by now: the
    # subscriber saw them all, or gave up after its idle time).
    run_stages = stages.summary(stages.minus(fpm_stages(transport), before)) if before is not None else None
    result = {"variant": variant, "transport": transport, "size": size, "requests": requests, "rate": rate,
              "delivered": seen["distinct"], "lost": requests - seen["distinct"],
              "latency_ms_p50": seen["latency_ms_p50"], "latency_ms_p99": seen["latency_ms_p99"],
              "stages": run_stages}
    result.update(load)
    log(f"  fpm {variant} over {transport} at {rate or 'ab -c 4'}: request p50 {result['request_ms_p50']:.2f} ms "
        f"p99 {result['request_ms_p99']:.2f} ms, {result['requests_per_s']:.0f} req/s, "
        f"delivered {seen['distinct']}/{requests}, latency p50 {seen['latency_ms_p50']:.2f} ms "
        f"p99 {seen['latency_ms_p99']:.2f} ms")
    return result


def nearest_rank(sorted_values, q):
    """The testkit's percentile (crates/pushcast-testkit/src/bench.rs): nearest rank."""
    if not sorted_values:
        return float("nan")
    return sorted_values[min(max(math.ceil(q * len(sorted_values)), 1), len(sorted_values)) - 1]


def run_fpm_equal_load(size):
    """Both variants at FPM_RATE over plain HTTP, alternating in FPM_RATE_BLOCKS blocks (the
    baseline first in even blocks, pushcast first in odd ones), so that a drift of the machine
    during the comparison reaches both alike: on this VM a p99 moved by tens of percent within
    minutes, and run one after the other the two variants met different machines. Each
    variant's latency percentiles pool every event of its blocks; its request columns are the
    median over its blocks; pushcast's stages cover its blocks (the baseline's requests never
    touch the engines)."""
    per_block = FPM_RATE_REQUESTS // FPM_RATE_BLOCKS
    blocks = {"baseline": [], "pushcast": []}
    files = {"baseline": [], "pushcast": []}
    lat_dir = ROOT / "target/bench-latencies"
    lat_dir.mkdir(parents=True, exist_ok=True)
    before = fpm_stages("http")
    for block in range(FPM_RATE_BLOCKS):
        for variant in (["baseline", "pushcast"] if block % 2 == 0 else ["pushcast", "baseline"]):
            file = lat_dir / f"fpm-{variant}-{size}-block{block}.txt"
            blocks[variant].append(run_fpm(variant, "http", size, FPM_RATE, per_block, file, with_stages=False))
            files[variant].append(file)
    run_stages = stages.summary(stages.minus(fpm_stages("http"), before))
    merged = []
    for variant in ("baseline", "pushcast"):
        rows = blocks[variant]
        values = sorted(float(v) for f in files[variant] for v in f.read_text().split())
        median = lambda key: statistics.median(r[key] for r in rows)  # noqa: E731
        result = {"variant": variant, "transport": "http", "size": size, "rate": FPM_RATE,
                  "requests": sum(r["requests"] for r in rows), "blocks": len(rows),
                  "delivered": sum(r["delivered"] for r in rows), "lost": sum(r["lost"] for r in rows),
                  "latency_ms_p50": nearest_rank(values, 0.5), "latency_ms_p99": nearest_rank(values, 0.99),
                  "block_latency_ms_p99": [r["latency_ms_p99"] for r in rows],
                  "request_ms_p50": median("request_ms_p50"), "request_ms_p99": median("request_ms_p99"),
                  "requests_per_s": statistics.mean(r["requests_per_s"] for r in rows),
                  "failed_requests": sum(r["failed_requests"] for r in rows), "non2xx": 0,
                  "stages": run_stages if variant == "pushcast" else None}
        log(f"  fpm {variant} {size} B at {FPM_RATE}/s, {len(rows)} blocks pooled: latency p50 "
            f"{result['latency_ms_p50']:.2f} ms p99 {result['latency_ms_p99']:.2f} ms "
            f"(blocks' p99: {', '.join(f'{v:.2f}' for v in result['block_latency_ms_p99'])})")
        merged.append(result)
    return merged


def run_paced(rate, lat_dir):
    """Every publisher at `rate` for RATE_SECONDS. The compared ones (PACED_COMPARED) take
    turns in PACED_BLOCKS blocks, each block starting one publisher later in the list, so that a
    drift of the machine during the comparison reaches them alike (on this VM the same
    baseline's p99 at 500/s moved from 0.89 to 1.24 ms within four minutes; run one after the
    other, publishers met different machines, and the worst-of-three ratio took the unluckiest).
    A compared publisher's latency percentiles pool every event of its blocks, its caller
    columns are the median over its blocks, its stages merge its blocks'. The other peers run
    once: they fall behind at the higher rate, and their backlog is part of what they show."""
    n = rate * RATE_SECONDS
    rows = []
    for name, prefix, _ in PUBLISHERS:
        if name not in PACED_COMPARED:
            file = lat_dir / f"lat-{name}-{rate}.txt"
            r = run_publisher(name, prefix, 100, n, rate, latencies=file)
            r["latencies_file"] = str(file)
            rows.append(r)
    commands = {name: prefix for name, prefix, _ in PUBLISHERS}
    blocks = {name: [] for name in PACED_COMPARED}
    for block in range(PACED_BLOCKS):
        order = PACED_COMPARED[block % len(PACED_COMPARED):] + PACED_COMPARED[:block % len(PACED_COMPARED)]
        for name in order:
            file = lat_dir / f"lat-{name}-{rate}-block{block}.txt"
            r = run_publisher(name, commands[name], 100, n // PACED_BLOCKS, rate, latencies=file)
            r["latencies_file"] = file
            blocks[name].append(r)
    for name in PACED_COMPARED:
        parts = blocks[name]
        values = [v for r in parts for v in r["latencies_file"].read_text().split()]
        pooled = lat_dir / f"lat-{name}-{rate}.txt"
        pooled.write_text("\n".join(values) + "\n")
        latencies = sorted(float(v) for v in values)
        median = lambda key: statistics.median(r[key] for r in parts)  # noqa: E731
        histograms = [r["stages_histogram"] for r in parts if r["stages_histogram"]]
        result = {
            "impl": name, "size": 100, "n": sum(r["n"] for r in parts), "rate": rate, "blocks": len(parts),
            "call_us_p50": median("call_us_p50"), "call_us_p99": median("call_us_p99"),
            "delivered": sum(r["delivered"] for r in parts), "duplicates": sum(r["duplicates"] for r in parts),
            "lost": sum(r["lost"] for r in parts), "delivered_per_s": median("delivered_per_s"),
            "latency_ms_p50": nearest_rank(latencies, 0.5), "latency_ms_p99": nearest_rank(latencies, 0.99),
            "block_latency_ms_p99": [r["latency_ms_p99"] for r in parts],
            "rss_mb_max": max(r["rss_mb_max"] for r in parts), "rss": parts[0]["rss"],
            "stages": stages.summary(stages.merge(*histograms)) if histograms else None,
            "latencies_file": str(pooled),
        }
        log(f"  {name} at {rate}/s, {len(parts)} blocks pooled: latency p50 {result['latency_ms_p50']:.2f} ms "
            f"p99 {result['latency_ms_p99']:.2f} ms (blocks' p99: "
            f"{', '.join(f'{v:.2f}' for v in result['block_latency_ms_p99'])})")
        rows.append(result)
    return rows


def cpu_seconds(pid):
    """utime + stime of a process so far (/proc/PID/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_reverb():
    """pushcast (Laravel's broadcaster, the reverb profile) against the real pusher-http-php
    7.2.7 on the real Reverb of ../shared: throughput, latency at 500/s, and Reverb's own CPU
    seconds per 10,000 delivered events (what batching saves the server). None without it."""
    start = SHARED / "reverb/start"
    if not start.exists():
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"no Reverb at {start}: CI must run the Reverb rows")
        log(f"  skipped: no Reverb at {start}")
        return None
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reverb = subprocess.Popen([str(start), str(port), "12345", "app-key", "app-secret"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import urllib.request
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/up", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        php = ["php", "-d", f"extension={PHP_EXT}", str(ROOT / "tests/bench/php-publish.php")]
        variants = [("pushcast-php-laravel", php + ["pushcast", "--profile", "reverb"]),
                    ("pusher-http-php", php + ["pusher-http-php"])]
        rows = []
        for name, prefix in variants:
            for rate, n in [(0, N_REVERB[name]), (500, 500 * RATE_SECONDS)]:
                cpu_before = cpu_seconds(reverb.pid)
                r = run_publisher(name, prefix, 100, n, rate, url=url, port=port)
                cpu = cpu_seconds(reverb.pid) - cpu_before
                r["server"] = "reverb"
                r["reverb_cpu_s"] = cpu
                r["reverb_cpu_s_per_10k"] = cpu / max(r["delivered"], 1) * 10_000
                log(f"    Reverb CPU {cpu:.2f} s: {r['reverb_cpu_s_per_10k']:.2f} s per 10,000 events")
                rows.append(r)
        return rows
    finally:
        reverb.terminate()
        reverb.wait(timeout=30)


def fpm_footprint():
    """scripts/bench-fpm-footprint's figures (32 FPM workers, one engine each, idle)."""
    env = dict(os.environ, FPM_WORKERS="32", IDLE_SECONDS="3" if QUICK else "10")
    if QUICK:
        env["FOOTPRINT_EXTENSION"] = PHP_EXT
    out = subprocess.run([str(ROOT / "scripts/bench-fpm-footprint")], capture_output=True, text=True,
                         env=env, check=True).stdout
    last = out.strip().splitlines()[-1]
    log(f"  {last}")
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", last)} | {"line": last,
                                                                          "detail": out.strip().splitlines()[0]}


def server_ceiling():
    secs = "1" if QUICK else "3"
    out = subprocess.run([str(REL / "bench-e2e"), "--events", "2000", "--ceiling-secs", secs, "--steady-secs", "1"],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"ceiling_per_s=(\d+)", out).group(1))


def main():
    PLOTS.mkdir(parents=True, exist_ok=True)
    from datetime import datetime, timezone
    results = {"throughput": [], "latency": [], "fpm": [],
               "run_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    log("bench-all: throughput (as fast as each caller goes)")
    for size in SIZES:
        for name, prefix, ours in PUBLISHERS:
            n = N_PUSHCAST[size] if ours else N_PEER
            results["throughput"].append(run_publisher(name, prefix, size, n, 0))
    log("bench-all: end-to-end latency at fixed rates (100 B)")
    lat_dir = ROOT / "target/bench-latencies"
    lat_dir.mkdir(parents=True, exist_ok=True)
    for rate in RATES:
        results["latency"].extend(run_paced(rate, lat_dir))
    log("bench-all: PHP-FPM shape, one broadcast per request, over HTTP and TLS")
    for transport in ["http", "tls"]:
        for variant in ["baseline", "pushcast"]:
            for size in SIZES:
                results["fpm"].append(run_fpm(variant, transport, size))
    log(f"bench-all: PHP-FPM shape at an equal load of {FPM_RATE} requests/s (open loop)")
    for size in SIZES:
        results["fpm"].extend(run_fpm_equal_load(size))
    log("bench-all: Laravel Reverb (../shared/reverb): pushcast and the real pusher-http-php")
    results["reverb"] = run_reverb()
    log("bench-all: what an idle engine costs each of 32 PHP-FPM workers")
    results["footprint"] = fpm_footprint()
    log("bench-all: the server's own ceiling")
    results["ceiling_per_s"] = server_ceiling()
    import report
    lost = sum(r["lost"] for group in ("throughput", "latency", "fpm") for r in results[group])
    lost += sum(r["lost"] for r in results["reverb"] or [])
    ours = [r for r in results["throughput"] if r["impl"] == "pushcast-rust" and r["size"] == 100][0]
    php = {r["impl"]: r for r in results["throughput"] if r["size"] == 100}
    speedup = php["php-guzzle-baseline"]["call_us_p50"] / php["pushcast-php-laravel"]["call_us_p50"]
    runs = sum(len(results[g]) for g in ("throughput", "latency", "fpm")) + len(results["reverb"] or []) + 1
    r = ratios(results)
    results["ratios"] = r
    (OUT / "benchmarks" / "results.json").write_text(json.dumps(results, default=str, indent=1))
    report.write(results, OUT, PLOTS, QUICK)
    foot = results["footprint"]
    reverb = {row["impl"]: row for row in results["reverb"] or [] if row["rate"] == 0}
    if reverb:
        print(f"bench-all reverb: reverb_cpu_s_per_10k pushcast={reverb['pushcast-php-laravel']['reverb_cpu_s_per_10k']:.2f} "
              f"pusher_http_php={reverb['pusher-http-php']['reverb_cpu_s_per_10k']:.2f}; "
              f"fpm_saturated_p99_vs_baseline={r['fpm_saturated_p99_vs_baseline']:.2f}")
    print(f"bench-all runs={runs} lost={lost} rust_call_us_p50={ours['call_us_p50']:.3f} "
          f"rust_delivered_per_s={ours['delivered_per_s']:.0f} ceiling_per_s={results['ceiling_per_s']:.0f} "
          f"php_speedup={speedup:.0f} paced_p99_vs_baseline={r['paced_p99_vs_baseline']:.2f} "
          f"fpm_p99_vs_baseline={r['fpm_p99_vs_baseline']:.2f} php_vs_rust={r['php_vs_rust']:.2f} "
          f"python_vs_rust={r['python_vs_rust']:.2f} idle_uss_mb={foot['idle_uss_mb_added']:.2f} "
          f"idle_threads={foot['threads_per_worker']:.0f} idle_wakeups_per_s={foot['idle_wakeups_per_s']:.2f}")
    return 0 if lost == 0 else 1


def ratios(results):
    """Each comparison of issue 15 as one ratio, from this run's rows. The latency ratios take
    the worst case: the highest pushcast p99 over the blocking baseline's, across rates (and
    publishers) or payload sizes; throughput ratios the lowest across payload sizes."""
    def by(group, **match):
        return [r for r in results[group] if all(r.get(k) == v for k, v in match.items())]
    paced = max(r["latency_ms_p99"] / by("latency", impl="php-guzzle-baseline", rate=r["rate"])[0]["latency_ms_p99"]
                for r in results["latency"] if r["impl"].startswith("pushcast-"))
    def fpm_ratio(rate):
        return max(by("fpm", variant="pushcast", transport="http", size=size, rate=rate)[0]["latency_ms_p99"]
                   / by("fpm", variant="baseline", transport="http", size=size, rate=rate)[0]["latency_ms_p99"]
                   for size in SIZES)
    def throughput_ratio(impl):
        return min(by("throughput", impl=impl, size=size)[0]["delivered_per_s"]
                   / by("throughput", impl="pushcast-rust", size=size)[0]["delivered_per_s"] for size in SIZES)
    return {"paced_p99_vs_baseline": paced, "fpm_p99_vs_baseline": fpm_ratio(FPM_RATE),
            "fpm_saturated_p99_vs_baseline": fpm_ratio(None),
            "php_vs_rust": throughput_ratio("pushcast-php-laravel"),
            "python_vs_rust": throughput_ratio("pushcast-python-c-abi")}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
