<?php

declare(strict_types=1);

// scripts/bench-php: the same broadcasts through (a) a pure-PHP baseline doing what
// pusher-http-php does (Guzzle, one signed POST per broadcast, waiting for the answer) and
// (b) Laravel's broadcaster over pushcast. Prints one JSON line per (variant, payload size)
// with the caller's cost per broadcast and the time until the server acknowledged them all.
// Usage: php -d extension=... bench.php SOCKUDO_URL N
// Each variant publishes to its own channel: bench-baseline-SIZE, bench-pushcast-SIZE.

require __DIR__ . '/../tests/bootstrap.php';
require __DIR__ . '/baseline.php';

use Illuminate\Broadcasting\Channel;
use Pushcast\Laravel\PushcastServiceProvider;

[$script, $url, $n] = $argv;
$n = (int) $n;

/** A Laravel-style payload of about $size bytes once json_encoded, with a sequence number. */
function payload(int $seq, int $size): array
{
    $base = ['seq' => $seq, 'order' => ['id' => $seq, 'status' => 'shipped'], 'pad' => ''];
    $base['pad'] = str_repeat('x', max(0, $size - strlen(json_encode($base))));
    return $base;
}

function median(array $values): float
{
    sort($values);
    return $values[intdiv(count($values), 2)];
}

$all = ['baseline' => [], 'pushcast' => []];
$seconds = ['baseline' => 0.0, 'pushcast' => 0.0];
$acknowledged = ['baseline' => 0, 'pushcast' => 0];
foreach ([100, 1024] as $size) {
    // (a) the baseline: each call waits for the server.
    $http = new GuzzleHttp\Client(['timeout' => 5]);
    $calls = [];
    $started = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $t = hrtime(true);
        baseline_trigger($http, $url, "bench-baseline-$size", 'Tick', payload($i, $size));
        $calls[] = (hrtime(true) - $t) / 1000;
    }
    $elapsed = (hrtime(true) - $started) / 1e9;
    array_push($all['baseline'], ...$calls);
    $seconds['baseline'] += $elapsed;
    $acknowledged['baseline'] += $n;
    echo json_encode(['variant' => 'baseline', 'size' => $size, 'n' => $n, 'call_us_p50' => median($calls),
        'acknowledged_per_s' => $n / $elapsed]), "\n";

    // (b) Laravel's broadcaster over pushcast: queued, batched, acknowledged in the background.
    $broadcaster = PushcastServiceProvider::broadcaster([
        'key' => KEY, 'secret' => SECRET, 'app_id' => APP_ID,
        'options' => ['endpoints' => [$url], 'server_profile' => 'sockudo', 'queue_capacity' => $n * 2,
            'backpressure' => 'block', 'block_timeout_ms' => 10000],
    ]);
    $channel = [new Channel("bench-pushcast-$size")];
    $broadcaster->broadcast($channel, 'Warmup', ['seq' => -1]); // starts the engine: not a broadcast cost
    $broadcaster->getPushcast()->flush(5000);
    $before = $broadcaster->getPushcast()->stats()['delivered'];
    $calls = [];
    $started = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $data = payload($i, $size);
        $t = hrtime(true);
        $broadcaster->broadcast($channel, 'Tick', $data);
        $calls[] = (hrtime(true) - $t) / 1000;
    }
    $flush = $broadcaster->getPushcast()->flush(60000);
    $elapsed = (hrtime(true) - $started) / 1e9;
    $mine = $flush['stats']['delivered'] - $before;
    array_push($all['pushcast'], ...$calls);
    $seconds['pushcast'] += $elapsed;
    $acknowledged['pushcast'] += $mine;
    echo json_encode(['variant' => 'pushcast', 'size' => $size, 'n' => $n, 'call_us_p50' => median($calls),
        'acknowledged_per_s' => $mine / $elapsed, 'pending' => $flush['pending'], 'failed' => $flush['stats']['failed']]), "\n";
}
echo json_encode(['summary' => true, 'n' => 2 * $n,
    'baseline_call_us_p50' => median($all['baseline']), 'pushcast_call_us_p50' => median($all['pushcast']),
    'baseline_per_s' => $acknowledged['baseline'] / $seconds['baseline'],
    'pushcast_per_s' => $acknowledged['pushcast'] / $seconds['pushcast']]), "\n";
