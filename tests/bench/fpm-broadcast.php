<?php

declare(strict_types=1);

// The PHP-FPM shape of scripts/bench-all: one broadcast per HTTP request, served by php-fpm.
//   ?variant=baseline  pusher-http-php's way: a Guzzle client made in this request, so a new
//                      TCP (and TLS) connection per request, and a POST waited for
//   ?variant=pushcast  Laravel's broadcaster over the extension: the worker's engine and its
//                      pooled connections outlive the request; the broadcast is queued
// &transport=http|tls picks BENCH_HTTP_URL or BENCH_TLS_URL (the TLS proxy, CA in BENCH_CA);
// &size=BYTES; the channel is fpm-VARIANT-TRANSPORT-SIZE.
require __DIR__ . '/../../php-ext/tests/bootstrap.php';
require __DIR__ . '/../../php-ext/bench/baseline.php';
require __DIR__ . '/stages.php';

use Illuminate\Broadcasting\Channel;
use Pushcast\Laravel\PushcastServiceProvider;

parse_str($_SERVER['QUERY_STRING'] ?? '', $query);
$variant = $query['variant'] ?? '';
if (!in_array($variant, ['baseline', 'pushcast', 'stages'], true)) {
    echo 'pong'; // the readiness probe
    return;
}
$tls = ($query['transport'] ?? 'http') === 'tls';
$size = (int) ($query['size'] ?? 100);
$url = (string) getenv($tls ? 'BENCH_TLS_URL' : 'BENCH_HTTP_URL');
$ca = $tls ? (string) getenv('BENCH_CA') : null;
$channel = sprintf('fpm-%s-%s-%d', $variant, $tls ? 'tls' : 'http', $size);

// ab repeats one URL: a random sequence number tells the events apart at the subscriber.
$tUs = (int) (microtime(true) * 1e6);
$head = '{"seq":0000000000000000000,"t_us":' . $tUs . ',"pad":"';
$data = ['seq' => random_int(0, PHP_INT_MAX), 't_us' => $tUs, 'pad' => str_repeat('x', max(0, $size - strlen($head) - 2))];

// pushcast's options, the same for the broadcasts and the stages query (one engine).
$options = ['endpoints' => [$url], 'server_profile' => 'sockudo', 'limits' => ['max_events_per_batch' => 100]];
if ($ca !== null) {
    $options['ca_file'] = $ca;
}
if ($variant === 'stages') {
    // This worker's engine: where its events' time went, hop by hop (bench_all.py merges the
    // workers' buckets). No engine yet in this worker: empty.
    $client = PushcastServiceProvider::broadcaster(['key' => KEY, 'secret' => SECRET, 'app_id' => APP_ID,
        'options' => $options])->getPushcast();
    echo json_encode(['pid' => getmypid(), 'stages' => stage_report($client)]);
    return;
}
if ($variant === 'baseline') {
    $http = new GuzzleHttp\Client(['timeout' => 5, 'verify' => $ca ?? true]);
    baseline_trigger($http, $url, $channel, 'Tick', $data);
} else {
    PushcastServiceProvider::broadcaster(['key' => KEY, 'secret' => SECRET, 'app_id' => APP_ID, 'options' => $options])
        ->broadcast([new Channel($channel)], 'Tick', $data);
}
echo 'ok';
