<?php

declare(strict_types=1);

/**
 * A capture server, not a fake Pusher: it checks nothing and decides nothing. It accepts HTTP/1.1
 * requests (keep-alive, Content-Length or chunked bodies) on its listening sockets, appends each
 * one to `$log` as a JSON line — which socket, method, target, lower-cased headers, body
 * (base64) — before answering, and answers every request with a canned body chosen by its path
 * (and, for an event request, the info it asks for), the same for every client:
 *
 *   GET  .../channels/NAME/users  {"users":[{"id":"1"},{"id":"u\/é"}]}
 *   GET  .../channels/NAME        {"occupied":true,"user_count":2,"subscription_count":3}
 *   GET  .../channels             {"channels":{"presence-room":{"user_count":2},"private-a":{}}}
 *   POST .../events with `info`   {"channels":{CHANNEL:{ATTRIBUTE:1,...},...}}: each attribute
 *                                 the body's `info` names, for each of its channels (user_count
 *                                 on presence channels only), as Pusher's answer is shaped
 *   POST .../batch_events where an item has `info`
 *                                 {"batch":[{ATTRIBUTE:1,...} or {} per item]}, likewise
 *   anything else                 {}
 *
 * A target holding `err-NNN` (a channel name, a prefix) is answered with HTTP status NNN and the
 * body `refused by the capture server (NNN)`, to compare how errors surface.
 *
 * It runs until its parent exits (checked every second) or it is signalled.
 *
 * @param list<resource> $servers listening sockets (stream_socket_server)
 */
function capture_serve(array $servers, string $log): void
{
    $parent = posix_getppid();
    $conns = [];
    $state = [];
    while (true) {
        if (posix_getppid() !== $parent) {
            return;
        }
        $read = array_merge($servers, array_values($conns));
        $write = $except = null;
        if (@stream_select($read, $write, $except, 1) === false || $read === []) {
            continue;
        }
        foreach ($read as $socket) {
            $index = array_search($socket, $servers, true);
            if ($index !== false) {
                $conn = @stream_socket_accept($socket, 0);
                if ($conn !== false) {
                    stream_set_blocking($conn, false);
                    $conns[(int) $conn] = $conn;
                    $state[(int) $conn] = ['server' => $index, 'buffer' => ''];
                }
                continue;
            }
            $id = (int) $socket;
            $chunk = @fread($socket, 65536);
            if ($chunk === false || $chunk === '') {
                if (feof($socket)) {
                    fclose($socket);
                    unset($conns[$id], $state[$id]);
                }
                continue;
            }
            $state[$id]['buffer'] .= $chunk;
            while (($request = capture_take_request($state[$id]['buffer'])) !== null) {
                $request['server'] = $state[$id]['server'];
                $record = $request;
                $record['body'] = base64_encode($request['body']);
                file_put_contents($log, json_encode($record, JSON_UNESCAPED_SLASHES) . "\n", FILE_APPEND | LOCK_EX);
                capture_answer($socket, $request);
            }
        }
    }
}

/** Removes one whole request from the front of `$buffer` and returns it; null if incomplete. */
function capture_take_request(string &$buffer): ?array
{
    $end = strpos($buffer, "\r\n\r\n");
    if ($end === false) {
        return null;
    }
    $lines = explode("\r\n", substr($buffer, 0, $end));
    [$method, $target] = explode(' ', array_shift($lines), 3);
    $headers = [];
    foreach ($lines as $line) {
        [$name, $value] = array_map('trim', explode(':', $line, 2)) + [1 => ''];
        $headers[strtolower($name)] = $value;
    }
    $rest = substr($buffer, $end + 4);
    if (str_contains(strtolower($headers['transfer-encoding'] ?? ''), 'chunked')) {
        $body = '';
        $at = 0;
        while (true) {
            $eol = strpos($rest, "\r\n", $at);
            if ($eol === false) {
                return null;
            }
            $size = hexdec(trim(explode(';', substr($rest, $at, $eol - $at))[0]));
            if (strlen($rest) < $eol + 2 + $size + 2) {
                return null;
            }
            $body .= substr($rest, $eol + 2, $size);
            $at = $eol + 2 + $size + 2;
            if ($size === 0) {
                break;
            }
        }
        $buffer = substr($rest, $at);
    } else {
        $length = (int) ($headers['content-length'] ?? 0);
        if (strlen($rest) < $length) {
            return null;
        }
        $body = substr($rest, 0, $length);
        $buffer = substr($rest, $length);
    }
    return ['method' => $method, 'target' => $target, 'headers' => $headers, 'body' => $body];
}

/** The info attributes `$info` asks of `$channel`, each 1, as an object. */
function capture_info(string $channel, string $info): object
{
    $attributes = new stdClass();
    foreach (explode(',', $info) as $name) {
        if ($name === 'subscription_count' || ($name === 'user_count' && str_starts_with($channel, 'presence-'))) {
            $attributes->$name = 1;
        }
    }
    return $attributes;
}

/** The answer to an event request: `{}` unless it asks for info (see capture_serve). */
function capture_info_answer($body, bool $batch): string
{
    if ($batch) {
        $items = $body['batch'] ?? [];
        if (!array_filter($items, static fn ($i) => isset($i['info']))) {
            return '{}';
        }
        return json_encode(['batch' => array_map(
            static fn ($i) => isset($i['info']) ? capture_info((string) ($i['channel'] ?? ''), (string) $i['info']) : new stdClass(),
            $items,
        )]);
    }
    if (!isset($body['info'])) {
        return '{}';
    }
    $channels = new stdClass();
    foreach ($body['channels'] ?? [$body['channel'] ?? ''] as $channel) {
        $channels->$channel = capture_info((string) $channel, (string) $body['info']);
    }
    return json_encode(['channels' => $channels]);
}

/** Writes the canned answer for `$request` (see capture_serve). */
function capture_answer($socket, array $request): void
{
    $path = explode('?', $request['target'], 2)[0];
    $status = 200;
    if (preg_match('/err-(\d{3})/', rawurldecode($request['target']), $m)) {
        $status = (int) $m[1];
        $body = "refused by the capture server ($status)";
    } elseif ($request['method'] === 'GET' && preg_match('#/channels/[^/]+/users$#', $path)) {
        $body = '{"users":[{"id":"1"},{"id":"u\/é"}]}';
    } elseif ($request['method'] === 'GET' && preg_match('#/channels/[^/]+$#', $path)) {
        $body = '{"occupied":true,"user_count":2,"subscription_count":3}';
    } elseif ($request['method'] === 'GET' && preg_match('#/channels$#', $path)) {
        $body = '{"channels":{"presence-room":{"user_count":2},"private-a":{}}}';
    } elseif ($request['method'] === 'POST' && preg_match('#/(batch_)?events$#', $path)) {
        $body = capture_info_answer(json_decode($request['body'], true), str_ends_with($path, '/batch_events'));
    } else {
        $body = '{}';
    }
    $response = "HTTP/1.1 $status " . ($status === 200 ? 'OK' : 'Refused') . "\r\nContent-Type: application/json\r\n"
        . 'Content-Length: ' . strlen($body) . "\r\n\r\n" . $body;
    stream_set_blocking($socket, true);
    for ($written = 0; $written < strlen($response);) {
        $n = @fwrite($socket, substr($response, $written));
        if ($n === false || $n === 0) {
            break;
        }
        $written += $n;
    }
    stream_set_blocking($socket, false);
}
