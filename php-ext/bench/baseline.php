<?php

declare(strict_types=1);

// The pure-PHP baseline of the PHP benchmarks (scripts/bench-php, scripts/bench-all): what
// pusher-http-php does for one broadcast, on Debian's Guzzle.
require_once 'GuzzleHttp/autoload.php';

const KEY = 'app-key';
const SECRET = 'app-secret';
const APP_ID = '12345';

/** pusher-http-php 7's trigger, step for step: body, body_md5, sorted params, HMAC, POST. */
function baseline_trigger(GuzzleHttp\Client $http, string $url, string $channel, string $event, array $payload): void
{
    $body = json_encode(['name' => $event, 'data' => json_encode($payload), 'channel' => $channel]);
    $path = '/apps/' . APP_ID . '/events';
    $params = [
        'auth_key' => KEY,
        'auth_timestamp' => time(),
        'auth_version' => '1.0',
        'body_md5' => md5($body),
    ];
    ksort($params);
    $query = [];
    foreach ($params as $k => $v) {
        $query[] = "$k=$v";
    }
    $query = implode('&', $query);
    $params['auth_signature'] = hash_hmac('sha256', "POST\n$path\n$query", SECRET);
    $response = $http->request('POST', $url . $path, [
        'query' => $params,
        'body' => $body,
        'headers' => ['Content-Type' => 'application/json'],
        'http_errors' => false,
    ]);
    if ($response->getStatusCode() !== 200) {
        throw new RuntimeException('baseline: HTTP ' . $response->getStatusCode() . ' ' . $response->getBody());
    }
}
