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
import re
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
RATE_SECONDS = 1 if QUICK else 5
FPM_REQUESTS = 200 if QUICK else 2_000


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


def start_subscriber(channel, expect, latencies=None):
    cmd = [str(REL / "bench-subscriber"), "--port", PORT, "--channel", channel,
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


def run_publisher(name, prefix, size, n, rate, url=HTTP_URL, ca=None, latencies=None):
    channel = f"b-{name}-{size}-{rate}-{uuid.uuid4().hex[:8]}"
    sub = start_subscriber(channel, n, latencies)
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


def run_fpm(variant, transport, size):
    channel = f"fpm-{variant}-{transport}-{size}"
    sub = start_subscriber(channel, FPM_REQUESTS)
    url = f"{FPM_URL}/broadcast?variant={variant}&transport={transport}&size={size}"
    before = fpm_stages(transport) if variant == "pushcast" else None
    ab = subprocess.run(["ab", "-n", str(FPM_REQUESTS), "-c", "4", url], capture_output=True, text=True)
    seen = finish_subscriber(sub)
    # This run's share of the workers' cumulative histograms (every event resolved by now: the
    # subscriber saw them all, or gave up after its idle time).
    run_stages = stages.summary(stages.minus(fpm_stages(transport), before)) if before is not None else None
    result = {"variant": variant, "transport": transport, "size": size, "requests": FPM_REQUESTS,
              "delivered": seen["distinct"], "lost": FPM_REQUESTS - seen["distinct"],
              "latency_ms_p50": seen["latency_ms_p50"], "latency_ms_p99": seen["latency_ms_p99"],
              "stages": run_stages}
    result.update(ab_percentiles(ab.stdout))
    log(f"  fpm {variant} over {transport}: request p50 {result['request_ms_p50']} ms "
        f"p99 {result['request_ms_p99']} ms, {result['requests_per_s']:.0f} req/s, "
        f"delivered {seen['distinct']}/{FPM_REQUESTS}")
    return result


def server_ceiling():
    secs = "1" if QUICK else "3"
    out = subprocess.run([str(REL / "bench-e2e"), "--events", "2000", "--ceiling-secs", secs, "--steady-secs", "1"],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"ceiling_per_s=(\d+)", out).group(1))


def main():
    PLOTS.mkdir(parents=True, exist_ok=True)
    results = {"throughput": [], "latency": [], "fpm": []}
    log("bench-all: throughput (as fast as each caller goes)")
    for size in SIZES:
        for name, prefix, ours in PUBLISHERS:
            n = N_PUSHCAST[size] if ours else N_PEER
            results["throughput"].append(run_publisher(name, prefix, size, n, 0))
    log("bench-all: end-to-end latency at fixed rates (100 B)")
    lat_dir = ROOT / "target/bench-latencies"
    lat_dir.mkdir(parents=True, exist_ok=True)
    for rate in RATES:
        for name, prefix, _ in PUBLISHERS:
            file = lat_dir / f"lat-{name}-{rate}.txt"
            r = run_publisher(name, prefix, 100, rate * RATE_SECONDS, rate, latencies=file)
            r["latencies_file"] = str(file)
            results["latency"].append(r)
    log("bench-all: PHP-FPM shape, one broadcast per request, over HTTP and TLS")
    for transport in ["http", "tls"]:
        for variant in ["baseline", "pushcast"]:
            for size in SIZES:
                results["fpm"].append(run_fpm(variant, transport, size))
    log("bench-all: the server's own ceiling")
    results["ceiling_per_s"] = server_ceiling()
    (OUT / "benchmarks" / "results.json").write_text(json.dumps(
        {k: v for k, v in results.items()}, default=str, indent=1))
    import report
    report.write(results, OUT, PLOTS, QUICK)
    lost = sum(r["lost"] for group in ("throughput", "latency", "fpm") for r in results[group])
    ours = [r for r in results["throughput"] if r["impl"] == "pushcast-rust" and r["size"] == 100][0]
    php = {r["impl"]: r for r in results["throughput"] if r["size"] == 100}
    speedup = php["php-guzzle-baseline"]["call_us_p50"] / php["pushcast-php-laravel"]["call_us_p50"]
    runs = sum(len(results[g]) for g in ("throughput", "latency", "fpm"))
    print(f"bench-all runs={runs} lost={lost} rust_call_us_p50={ours['call_us_p50']:.3f} "
          f"rust_delivered_per_s={ours['delivered_per_s']:.0f} ceiling_per_s={results['ceiling_per_s']:.0f} "
          f"php_speedup={speedup:.0f}")
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
