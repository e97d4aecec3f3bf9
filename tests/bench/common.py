"""What the Python publishers of scripts/bench-all share with the Rust one
(crates/pushcast-testkit/src/bench.rs): the same payload bytes, pacing and JSON report."""

import argparse
import json
import time

APP_ID, KEY, SECRET = "12345", "app-key", "app-secret"


def args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--channel", required=True)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--payload", type=int, default=100)
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--ca-file")
    return parser.parse_args()


def unix_micros():
    return time.time_ns() // 1000


def payload(seq, t_us, size):
    """`{"seq":N,"t_us":T,"pad":"xx…"}` padded to about `size` bytes, as a dict and as text."""
    head = '{"seq":%d,"t_us":%d,"pad":"' % (seq, t_us)
    pad = "x" * max(0, size - len(head) - 2)
    return {"seq": seq, "t_us": t_us, "pad": pad}


def pace(start, seq, rate):
    if rate > 0:
        delay = start + seq / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    rank = min(max(int(-(-q * len(sorted_values) // 1)), 1), len(sorted_values))
    return sorted_values[rank - 1]


def run(name, publish, a, finish=lambda: {}):
    """Publishes a.events events through `publish(channel, data_dict)`, timing each call."""
    calls = []
    start, start_us = time.perf_counter(), unix_micros()
    for seq in range(a.events):
        pace(start, seq, a.rate)
        # At a fixed rate an event carries the instant it was due, so a caller falling behind
        # its schedule shows as latency (no coordinated omission).
        stamp = start_us + int(seq * 1e6 / a.rate) if a.rate > 0 else unix_micros()
        data = payload(seq, stamp, a.payload)
        t = time.perf_counter()
        publish(a.channel, data)
        calls.append((time.perf_counter() - t) * 1e6)
    published_s = time.perf_counter() - start
    extra = finish()
    calls.sort()
    report = {
        "impl": name,
        "n": a.events,
        "call_us_p50": percentile(calls, 0.5),
        "call_us_p99": percentile(calls, 0.99),
        "published_s": published_s,
        "elapsed_s": time.perf_counter() - start,
    }
    report.update(extra)
    print(json.dumps(report), flush=True)
