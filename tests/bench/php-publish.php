<?php

declare(strict_types=1);

// The PHP publishers of scripts/bench-all, in one long-lived process (a queue worker's shape):
//   baseline  what pusher-http-php does (php-ext/bench/baseline.php: Guzzle, one signed POST
//             per broadcast, waiting for the answer, one pooled Guzzle client)
//   pushcast  Laravel's broadcaster over the pushcast extension (queued, batched)
//   pusher-http-php  the real pusher-http-php 7.2.7 from ../shared/reverb (Pusher::trigger)
// Usage: php -d extension=... php-publish.php VARIANT --url U --channel C --events N
//        --payload BYTES --rate R [--ca-file F] [--profile sockudo|reverb]
// Same payload, pacing and JSON report as tests/bench/common.py.

require __DIR__ . '/../../php-ext/tests/bootstrap.php';
require __DIR__ . '/../../php-ext/bench/baseline.php';
require __DIR__ . '/stages.php';

use Illuminate\Broadcasting\Channel;
use Pushcast\Laravel\PushcastServiceProvider;

$variant = $argv[1];
$a = ['events' => 10000, 'payload' => 100, 'rate' => 0.0, 'ca-file' => null, 'profile' => 'sockudo'];
for ($i = 2; $i + 1 < count($argv); $i += 2) {
    $a[substr($argv[$i], 2)] = $argv[$i + 1];
}
[$events, $size, $rate] = [(int) $a['events'], (int) $a['payload'], (float) $a['rate']];

function unix_micros(): int
{
    return intdiv(hrtime(true) - HR_BASE, 1000) + WALL_BASE;
}
define('HR_BASE', hrtime(true));
define('WALL_BASE', (int) (microtime(true) * 1e6));

function bench_payload(int $seq, int $tUs, int $size): array
{
    $head = '{"seq":' . $seq . ',"t_us":' . $tUs . ',"pad":"';
    return ['seq' => $seq, 't_us' => $tUs, 'pad' => str_repeat('x', max(0, $size - strlen($head) - 2))];
}

function percentile(array $sorted, float $q): float
{
    if ($sorted === []) {
        return NAN;
    }
    $rank = min(max((int) ceil($q * count($sorted)), 1), count($sorted));
    return $sorted[$rank - 1];
}

$extra = [];
if ($variant === 'baseline') {
    $http = new GuzzleHttp\Client(['timeout' => 5, 'verify' => $a['ca-file'] ?? true]);
    $publish = static fn (array $data) => baseline_trigger($http, $a['url'], $a['channel'], 'Tick', $data);
    $finish = static fn () => ['acknowledged' => $events];
} elseif ($variant === 'pusher-http-php') {
    require_once __DIR__ . '/../../php-ext/tests/pusher-http-php.php';
    if (pusher_http_php_vendor() === null) {
        fwrite(STDERR, "php-publish: no ../shared/reverb beside this clone (pusher-http-php)\n");
        exit(2);
    }
    $u = parse_url($a['url']);
    $pusher = new Pusher\Pusher(KEY, SECRET, APP_ID, ['host' => $u['host'], 'port' => $u['port'],
        'scheme' => $u['scheme'], 'useTLS' => $u['scheme'] === 'https']);
    $publish = static fn (array $data) => $pusher->trigger($a['channel'], 'Tick', $data);
    $finish = static fn () => ['acknowledged' => $events];
} else {
    // The test kit's sockudo takes batches of 100 (the sockudo profile assumes its default 10):
    // the same limit as the Rust and Python publishers.
    $options = ['endpoints' => [$a['url']], 'server_profile' => $a['profile'], 'queue_capacity' => 100000,
        'backpressure' => 'block', 'block_timeout_ms' => 60000];
    if ($a['profile'] === 'sockudo') {
        $options['limits'] = ['max_events_per_batch' => 100];
    }
    if ($a['ca-file'] !== null) {
        $options['ca_file'] = $a['ca-file'];
    }
    $broadcaster = PushcastServiceProvider::broadcaster(
        ['key' => KEY, 'secret' => SECRET, 'app_id' => APP_ID, 'options' => $options]
    );
    $channels = [new Channel($a['channel'])];
    $broadcaster->broadcast([new Channel('bench-warmup')], 'Warm', []); // engine start: not a broadcast cost
    $broadcaster->getPushcast()->flush(10000);
    $warm = $broadcaster->getPushcast()->stats();
    $publish = static fn (array $data) => $broadcaster->broadcast($channels, 'Tick', $data);
    $finish = static function () use ($broadcaster, $warm): array {
        $flush = $broadcaster->getPushcast()->flush(300000);
        $stages = stage_report($broadcaster->getPushcast());
        return ['acknowledged' => $flush['stats']['delivered'] - $warm['delivered'],
            'failed' => $flush['stats']['failed'] - $warm['failed'], 'pending' => $flush['pending'],
            'stages' => $stages];
    };
}

$calls = [];
$start = hrtime(true);
$startUs = unix_micros();
for ($seq = 0; $seq < $events; $seq++) {
    if ($rate > 0) {
        $delay = $start + (int) ($seq * 1e9 / $rate) - hrtime(true);
        if ($delay > 0) {
            usleep(intdiv($delay, 1000));
        }
    }
    // At a fixed rate an event carries the instant it was due, so a caller falling behind its
    // schedule shows as latency (no coordinated omission).
    $stamp = $rate > 0 ? $startUs + (int) ($seq * 1e6 / $rate) : unix_micros();
    $data = bench_payload($seq, $stamp, $size);
    $t = hrtime(true);
    $publish($data);
    $calls[] = (hrtime(true) - $t) / 1000;
}
$publishedS = (hrtime(true) - $start) / 1e9;
$extra = $finish();
sort($calls);
$impl = ['baseline' => 'php-guzzle-baseline', 'pusher-http-php' => 'pusher-http-php'][$variant] ?? 'pushcast-php-laravel';
echo json_encode(['impl' => $impl, 'n' => $events,
    'call_us_p50' => percentile($calls, 0.5), 'call_us_p99' => percentile($calls, 0.99),
    'published_s' => $publishedS, 'elapsed_s' => (hrtime(true) - $start) / 1e9] + $extra), "\n";
