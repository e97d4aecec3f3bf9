// pusher-http-node (npm `pusher`) in scripts/bench-all: `await pusher.trigger(...)` per event,
// as a request handler calls it. Same flags, payload and JSON report as tests/bench/common.py.
'use strict';
const path = require('path');
const Pusher = require(path.join(__dirname, '../crosscheck/node/node_modules/pusher'));

function flags() {
  const a = { events: 10000, payload: 100, rate: 0 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace('-file', 'File');
    a[key] = ['events', 'payload', 'rate'].includes(key) ? Number(argv[i + 1]) : argv[i + 1];
  }
  return a;
}

function payload(seq, tUs, size) {
  const head = `{"seq":${seq},"t_us":${tUs},"pad":"`;
  return { seq, t_us: tUs, pad: 'x'.repeat(Math.max(0, size - head.length - 2)) };
}

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(Math.max(Math.ceil(q * sorted.length), 1), sorted.length);
  return sorted[rank - 1];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Wall-clock microseconds for the latency stamps: Date.now() has whole milliseconds, so the
// base is taken at the instant it ticks over to a new millisecond, and hrtime counts on.
const [hrBase, wallBase] = (() => {
  const first = Date.now();
  let now = first;
  while (now === first) now = Date.now();
  return [process.hrtime.bigint(), now * 1000];
})();
const unixMicros = () => Math.floor(Number(process.hrtime.bigint() - hrBase) / 1000 + wallBase);

async function main() {
  const a = flags();
  const url = new URL(a.url);
  const options = {
    appId: '12345', key: 'app-key', secret: 'app-secret',
    host: url.hostname, port: url.port, useTLS: url.protocol === 'https:',
  };
  if (a.caFile) {
    const https = require('https');
    options.agent = new https.Agent({ keepAlive: true, ca: require('fs').readFileSync(a.caFile) });
  }
  const pusher = new Pusher(options);
  const calls = [];
  let acknowledged = 0;
  const start = performance.now();
  const startUs = unixMicros();
  for (let seq = 0; seq < a.events; seq++) {
    if (a.rate > 0) {
      const delay = start + (seq * 1000) / a.rate - performance.now();
      if (delay > 0) await sleep(delay);
    }
    // At a fixed rate an event carries the instant it was due, so a caller falling behind its
    // schedule shows as latency (no coordinated omission). setTimeout may wake up to a
    // millisecond early: an event sent before it was due carries the instant it was sent
    // (the earlier of the two), never one still to come.
    const now = unixMicros();
    const stamp = a.rate > 0 ? Math.min(startUs + Math.floor((seq * 1e6) / a.rate), now) : now;
    const data = payload(seq, stamp, a.payload);
    const t = performance.now();
    const response = await pusher.trigger(a.channel, 'Tick', data);
    calls.push((performance.now() - t) * 1000);
    if (response.status === 200) acknowledged++;
  }
  const elapsed = (performance.now() - start) / 1000;
  calls.sort((x, y) => x - y);
  console.log(JSON.stringify({
    impl: 'pusher-http-node', n: a.events,
    call_us_p50: percentile(calls, 0.5), call_us_p99: percentile(calls, 0.99),
    published_s: elapsed, elapsed_s: elapsed, acknowledged,
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
