"""The engine's hop-by-hop histograms (pushcast_client::StageLatency) in scripts/bench-all:
merged across PHP-FPM workers, differenced between runs, and reduced to p50/p99.

A histogram here is {stage: {upper bound µs: events}}, from the engine's log-linear buckets
(within 12.5 %), so percentiles of merged workers are as exact as a single engine's."""

import json
import math
import urllib.request

STAGES = ["queue", "batch", "wake", "send", "total"]


def from_report(stages):
    """{stage: {...,'buckets': [[upper, n], ...] or {upper: n}}} → {stage: {upper: n}}."""
    out = {}
    for stage, s in (stages or {}).items():
        buckets = s.get("buckets") or []
        pairs = buckets.items() if isinstance(buckets, dict) else buckets
        out[stage] = {int(upper): int(n) for upper, n in pairs}
    return out


def merge(*histograms):
    out = {}
    for h in histograms:
        for stage, buckets in h.items():
            into = out.setdefault(stage, {})
            for upper, n in buckets.items():
                into[upper] = into.get(upper, 0) + n
    return out


def minus(after, before):
    out = {}
    for stage, buckets in after.items():
        prior = before.get(stage, {})
        out[stage] = {u: n - prior.get(u, 0) for u, n in buckets.items() if n - prior.get(u, 0) > 0}
    return out


def quantile(buckets, q):
    total = sum(buckets.values())
    if total == 0:
        return None
    rank = max(1, min(total, math.ceil(q * total)))
    seen = 0
    for upper in sorted(buckets):
        seen += buckets[upper]
        if seen >= rank:
            return upper
    return None


def summary(histogram):
    """{stage: {'count', 'p50_us', 'p99_us'}} in the engine's stage order."""
    return {stage: {"count": sum(histogram.get(stage, {}).values()),
                    "p50_us": quantile(histogram.get(stage, {}), 0.5),
                    "p99_us": quantile(histogram.get(stage, {}), 0.99)}
            for stage in STAGES if stage in histogram}


def fetch_fpm(url, workers, tries=400):
    """Every FPM worker's histograms, merged: asks until `workers` distinct pids answered (each
    request lands on whichever worker is free). Returns (histogram, pids seen)."""
    seen = {}
    for _ in range(tries):
        with urllib.request.urlopen(url, timeout=10) as answer:
            reply = json.loads(answer.read())
        seen[reply["pid"]] = from_report(reply["stages"])
        if len(seen) >= workers:
            break
    return merge(*seen.values()), len(seen)
