<?php

// No strict_types: Laravel calls pusher-http-php in PHP's coercive mode (an int or a Stringable
// user id becomes its `string $user_id`), and so does this check.

/**
 * pushcast's `Pushcast\Client` against pusher-http-php 7.2.7 (`Pusher\Pusher`), side by side in
 * this one PHP process (run by scripts/crosscheck-php; usage there).
 *
 *   php -d extension=libpushcast_php.so crosscheck.php VENDOR_DIR SEED CASES [ONLY_CASE]
 *
 * Each case is generated from (SEED, case number) alone, so one case replays by itself. A case
 * makes one or more checks; a check is `ok`, `documented` (a deliberate difference, counted
 * with its reason) or a mismatch (printed with both outputs). What "the same" means, per area:
 *
 *  - auth answers (authorizeChannel, authorizePresenceChannel, authenticateUser): the same bytes.
 *  - webhooks: the same events (every field, order and type as json_decode reads them; the
 *    decrypted `data` of encrypted channels) and time_ms; the same return shape (a `Webhook`
 *    object whose get_events() holds stdClass objects); or both refuse.
 *  - requests (trigger, triggerBatch, sendToUser, terminateUserConnections, channel queries),
 *    recorded by a capture server (capture-server.php): the same method and path, the same
 *    query parameters (auth_timestamp may differ: each side's auth_signature is checked to be
 *    the HMAC of its own request instead, and body_md5 the md5 of its own body), and the same
 *    deliveries. pusher-http-php sends one event per `POST /events` (`channels` for several);
 *    pushcast's engine batches: one `POST /batch_events` item per (event, channel). So a
 *    delivery is one (channel, event) item: its fields in the body's order, `data` decoded to
 *    the exact string a subscriber receives, and for encrypted channels the decrypted
 *    plaintext (the nonce is random). Where neither side's JSON escaping can differ (no `/`,
 *    ASCII only) the item must also be the same bytes: a 1-item batch's item vs the
 *    single-channel `/events` body.
 *    Non-event requests (queries, terminate, get, post) must also each be signed right.
 *  - return shapes: class (short name: Pusher\Webhook and Pushcast\Webhook are both
 *    `Webhook`), property names, order, types and values, recursively, for every method
 *    (deprecated aliases and get/post included); the async methods must answer a promise
 *    (then() and wait()) whose wait() is compared; getSettings() must hold pusher-http-php's
 *    keys with its values and types.
 *  - exceptions: both throw, or neither; the same family (pusher's ApiErrorException ↔
 *    pushcast's ApiErrorException with the same code, holding the server's body;
 *    PusherException ↔ any other Pushcast\PushcastException). Codes are compared for API
 *    errors only (pushcast's other codes are its own result codes; pusher-http-php's are 0).
 *
 * The capture server answers both libraries the same canned bodies (capture-server.php), so
 * return shapes compare what each makes of the same answer.
 *
 * Last line: `php-crosscheck cases=N mismatches=M documented=D` (M and D count cases). Exit
 * status 1 when M > 0.
 */

const KEY = 'crosscheck-key';
const SECRET = 'crosscheck-secret';
const APP_ID = '4242';
const MASTER = 'k9B6CZxBS5QvIbN0m4u2cbnj0m7hXg2nL5J8zW+jz0g=';
const OTHER_MASTER = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

[$vendor, $seed, $caseCount] = [$argv[1] ?? '', (int) ($argv[2] ?? 0), (int) ($argv[3] ?? 2000)];
$onlyCase = isset($argv[4]) && $argv[4] !== '' ? (int) $argv[4] : null;

require __DIR__ . '/capture-server.php';

// --- pusher-http-php and its own dependencies only ------------------------------------------
require_once __DIR__ . '/../../php-ext/tests/pusher-http-php.php';
load_pusher_http_php($vendor);
require_once $vendor . '/guzzlehttp/guzzle/src/functions_include.php';
// pushcast's PHP exception classes, where they are still PHP files (the extension may register
// them itself; then nothing here loads).
spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Pushcast\\')) {
        $path = dirname(__DIR__, 2) . '/php-ext/php/src/' . str_replace('\\', '/', substr($class, 9)) . '.php';
        if (is_file($path)) {
            require $path;
        }
    }
});
if (!class_exists(\Pusher\Pusher::class) || !extension_loaded('pushcast')) {
    fwrite(STDERR, "php-crosscheck: needs pusher-http-php under $vendor and the pushcast extension loaded\n");
    exit(2);
}
set_error_handler(static function (int $no, string $message): bool {
    // pusher-http-php reads $headers['X-Pusher-Key'] unguarded: "Undefined array key" for other cases.
    return str_contains($message, 'Undefined array key');
});

// --- the capture server: a forked child, before any pushcast engine starts --------------------
$log = tempnam(sys_get_temp_dir(), 'php-crosscheck-capture.');
$listeners = [];
$ports = [];
foreach (['pusher', 'pushcast'] as $side) {
    $listeners[$side] = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
    if ($listeners[$side] === false) {
        fwrite(STDERR, "php-crosscheck: cannot listen: $error\n");
        exit(2);
    }
    $ports[$side] = (int) substr(strrchr(stream_socket_get_name($listeners[$side], false), ':'), 1);
}
$child = pcntl_fork();
if ($child === -1) {
    fwrite(STDERR, "php-crosscheck: fork failed\n");
    exit(2);
}
if ($child === 0) {
    capture_serve([$listeners['pusher'], $listeners['pushcast']], $log);
    // Leave without PHP's shutdown (the parent's objects are not this process's).
    posix_kill(posix_getpid(), SIGKILL);
}
foreach ($listeners as $l) {
    fclose($l);
}
register_shutdown_function(static function () use ($child, $log): void {
    posix_kill($child, SIGTERM);
    pcntl_waitpid($child, $status);
    @unlink($log);
});

$logOffset = 0;
/** The requests captured since the last call: [pusher list, pushcast list]. */
function captured(): array
{
    global $log, $logOffset;
    clearstatcache(true, $log);
    $text = (string) file_get_contents($log, false, null, $logOffset);
    $logOffset += strlen($text);
    $out = [[], []];
    foreach (array_filter(explode("\n", $text)) as $line) {
        $r = json_decode($line, true);
        $r['body'] = base64_decode($r['body']);
        $out[$r['server']][] = $r;
    }
    return $out;
}

function pusherClient(array $extra = []): \Pusher\Pusher
{
    global $ports;
    static $cache = [];
    $k = json_encode($extra);
    return $cache[$k] ??= new \Pusher\Pusher(KEY, SECRET, APP_ID, $extra + [
        'host' => '127.0.0.1', 'port' => $ports['pusher'], 'scheme' => 'http', 'encryption_master_key_base64' => MASTER,
    ]);
}

function pushcastClient(array $extra = []): \Pushcast\Client
{
    global $ports;
    static $cache = [];
    $k = json_encode($extra);
    // The `pusher` server profile: hosted Pusher's limits, what pusher-http-php is written for.
    // One request in flight, so batches arrive in order.
    return $cache[$k] ??= new \Pushcast\Client(KEY, SECRET, APP_ID, $extra + [
        'host' => '127.0.0.1', 'port' => $ports['pushcast'], 'scheme' => 'http', 'encryption_master_key_base64' => MASTER,
        'server_profile' => 'pusher', 'max_in_flight' => 1, 'delivery_timeout_ms' => 5000,
    ]);
}

// --- random values ------------------------------------------------------------------------------
function pick(array $list)
{
    return $list[mt_rand(0, count($list) - 1)];
}

function chance(int $percent): bool
{
    return mt_rand(1, 100) <= $percent;
}

function rstr(int $max = 8): string
{
    static $pieces = ['a', 'b', 'Z', '7', ' ', '/', '//', '\\', '"', "'", 'é', 'José', '😀', '𝄞', "\u{2028}", '<', '&', '%', '+',
        "\n", "\t", '0', '\\/', '{}', '[', 'ü', '中文', "\x7f", '@', ':'];
    $s = '';
    for ($i = mt_rand(0, $max); $i > 0; $i--) {
        $s .= pick($pieces);
    }
    return $s;
}

function rvalue(int $depth = 0)
{
    $kinds = $depth > 3 ? ['null', 'bool', 'int', 'float', 'string'] : ['null', 'bool', 'int', 'float', 'string', 'string', 'list', 'map', 'map'];
    switch (pick($kinds)) {
        case 'null': return null;
        case 'bool': return chance(50);
        case 'int': return pick([0, 1, -1, 42, PHP_INT_MAX, mt_rand()]);
        case 'float': return pick([0.0, 1.5, 0.1 + 0.2, -2.5e-5, 1e20, 3.0]);
        case 'string': return rstr();
        case 'list':
            $l = [];
            for ($i = mt_rand(0, 3); $i > 0; $i--) {
                $l[] = rvalue($depth + 1);
            }
            return $l;
        default:
            $m = [];
            for ($i = mt_rand(0, 3); $i > 0; $i--) {
                $m[pick(['id', 'name', 'a/b', 'é', 'x y', '0', '12', 'emoji😀', 'q"', 'nested'])] = rvalue($depth + 1);
            }
            return $m;
    }
}

function channelName(string $prefix = ''): string
{
    $chars = 'abcxyzABC0189-_=@,.;';
    $s = $prefix;
    for ($i = mt_rand(1, 16); $i > 0; $i--) {
        $s .= $chars[mt_rand(0, strlen($chars) - 1)];
    }
    return $s;
}

function socketId(): string
{
    return mt_rand(1, 999999) . '.' . mt_rand(1, 99999999);
}

/** A user id as an app passes it: a string (any text), an int, a float, an object with __toString. */
function userId()
{
    switch (mt_rand(0, 3)) {
        case 0: return pick([1, 7, 123456789]);
        case 1: return pick([1.5, 0.1 + 0.2]);
        case 2:
            $text = 'uuid-' . rstr(3) . '-' . mt_rand();
            return new class ($text) {
                public function __construct(private string $text)
                {
                }

                public function __toString(): string
                {
                    return $this->text;
                }
            };
        default:
            $s = rstr(6);
            return $s === '' ? 'u' : $s;
    }
}

function userInfo()
{
    return chance(35) ? pick([false, 0, 0.0, '', '0', null, []]) : rvalue(1);
}

// --- comparison helpers -------------------------------------------------------------------------
/** Class short name, property and key names, order, types and values, recursively. */
function describe($v)
{
    if (is_object($v)) {
        $class = substr(strrchr('\\' . get_class($v), '\\'), 1);
        if (method_exists($v, 'get_events') && method_exists($v, 'get_time_ms')) {
            return ['object' => $class, 'get_time_ms()' => describe($v->get_time_ms()), 'get_events()' => describe($v->get_events())];
        }
        return ['object' => $class, 'properties' => array_map('describe', get_object_vars($v))];
    }
    if (is_array($v)) {
        return ['array' => array_map('describe', $v)];
    }
    return get_debug_type($v) . ' ' . var_export($v, true);
}

/** An exception's family, comparable across the two libraries. */
function family(Throwable $e): string
{
    if ($e instanceof \Pusher\ApiErrorException || $e instanceof \Pushcast\ApiErrorException) {
        return 'ApiErrorException code=' . $e->getCode();
    }
    if ($e instanceof \Pusher\PusherException || $e instanceof \Pushcast\PushcastException) {
        return 'library exception';
    }
    return 'other: ' . get_class($e);
}

/** Runs `$f`: ['ok', value] or ['threw', Throwable]. */
function attempt(callable $f): array
{
    try {
        return ['ok', $f()];
    } catch (Throwable $e) {
        return ['threw', $e];
    }
}

function show($v): string
{
    if ($v instanceof Throwable) {
        return get_class($v) . '(code ' . $v->getCode() . '): ' . $v->getMessage();
    }
    $s = is_string($v) ? $v : json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR);
    return strlen($s) > 600 ? substr($s, 0, 600) . '…(' . strlen($s) . ' bytes)' : $s;
}

/** Checks of the current case: [name, status, detail]. */
$checks = [];

function check(string $name, bool $same, $pusher = null, $pushcast = null): void
{
    global $checks;
    $checks[] = [$name, $same ? 'ok' : 'mismatch', $same ? '' : 'pusher: ' . show($pusher) . "\n      pushcast: " . show($pushcast)];
}

function documented(string $name, string $reason): void
{
    global $checks;
    $checks[] = [$name, 'documented', $reason];
}

/** Both threw (same family) or neither; returns true when both answered. */
function compareOutcome(string $name, array $a, array $b): bool
{
    if ($a[0] === 'threw' || $b[0] === 'threw') {
        if ($a[0] === 'threw' && $b[0] === 'threw') {
            $fa = family($a[1]);
            $fb = family($b[1]);
            $same = $fa === $fb;
            if ($same && str_starts_with($fa, 'ApiErrorException')) {
                // pusher-http-php's message is the server's body; pushcast's must hold it.
                $same = str_contains($b[1]->getMessage(), $a[1]->getMessage());
            }
            check("$name.exception", $same, $a[1], $b[1]);
        } elseif ($a[0] === 'ok' && str_contains($b[1]->getMessage(), 'of only dots cannot be sent in a URL path')) {
            $GLOBALS['refusedDotSegment'] = true;
            documented("$name.dot-segment", 'a channel or user id of only dots ("." or "..") in a URL path: HTTP clients resolve it as a directory, so pusher-http-php\'s GET /channels/.. reaches GET /channels/ (the channel list, under an invalid signature); pushcast refuses it before the network');
        } else {
            check("$name.outcome", false, $a[1], $b[1]);
        }
        return false;
    }
    return true;
}

// --- requests ---------------------------------------------------------------------------------
function parseQuery(string $query): array
{
    $params = [];
    foreach ($query === '' ? [] : explode('&', $query) as $pair) {
        [$k, $v] = explode('=', $pair, 2) + [1 => ''];
        $params[rawurldecode($k)] = rawurldecode(str_replace('+', '%20', $v));
    }
    return $params;
}

/** A request without what depends on the clock: method, path, query; signature and md5 checked. */
function requestKey(array $r): array
{
    [$path, $query] = explode('?', $r['target'], 2) + [1 => ''];
    $params = parseQuery($query);
    $signature = $params['auth_signature'] ?? '';
    unset($params['auth_signature']);
    ksort($params);
    $signed = $r['method'] . "\n" . rawurldecode($path) . "\n" . implode('&', array_map(static fn ($k, $v) => "$k=$v", array_keys($params), $params));
    $valid = hash_equals(hash_hmac('sha256', $signed, SECRET), $signature);
    $md5 = !isset($params['body_md5']) ? ($r['body'] === '' ? 'absent' : 'absent with a body') : ($params['body_md5'] === md5($r['body']) ? 'matches' : 'wrong');
    $age = abs(time() - (int) ($params['auth_timestamp'] ?? 0));
    unset($params['auth_timestamp']);
    return ['method' => $r['method'], 'path' => rawurldecode($path), 'query' => $params,
        'signature' => $valid ? 'valid' : 'INVALID', 'body_md5' => $md5, 'timestamp' => $age <= 10 ? 'now' : "off by {$age}s"];
}

function decrypt(string $channel, string $data): array
{
    $envelope = json_decode($data, true);
    if (!is_array($envelope) || !isset($envelope['nonce'], $envelope['ciphertext'])) {
        return ['envelope' => 'not an envelope: ' . $data];
    }
    $key = hash('sha256', $channel . base64_decode(MASTER), true);
    $plain = sodium_crypto_secretbox_open(base64_decode($envelope['ciphertext']), base64_decode($envelope['nonce']), $key);
    return ['envelope' => array_keys($envelope), 'plaintext' => $plain === false ? 'UNREADABLE with this channel\'s key' : $plain];
}

/**
 * Deliveries of captured event requests: one item per (event, channel), fields in the body's
 * order, `data` decrypted for encrypted channels. Also returns each item's raw bytes when the
 * request carried a single item.
 */
function deliveries(array $requests): array
{
    $items = [];
    foreach ($requests as $r) {
        $path = explode('?', $r['target'], 2)[0];
        $body = json_decode($r['body'], true);
        $events = str_ends_with($path, '/batch_events') ? ($body['batch'] ?? []) : [$body];
        $raw = null;
        if (count($events) === 1) {
            $raw = str_ends_with($path, '/batch_events')
                ? substr($r['body'], strlen('{"batch":['), -strlen(']}'))
                : $r['body'];
        }
        foreach ($events as $event) {
            $channels = isset($event['channels']) ? $event['channels'] : [$event['channel'] ?? null];
            foreach ($channels as $channel) {
                $item = [];
                foreach ($event as $k => $v) {
                    if ($k === 'channels' || $k === 'channel') {
                        $item['channel'] = $channel;
                    } else {
                        $item[$k] = $v;
                    }
                }
                if (is_string($channel) && str_starts_with($channel, 'private-encrypted-') && isset($item['data'])) {
                    $item['data'] = decrypt($channel, $item['data']);
                }
                $items[] = ['item' => $item, 'raw' => count($channels) === 1 ? $raw : null];
            }
        }
    }
    return $items;
}

/** Compares what both sides sent for one operation. */
function compareRequests(string $name, array $pusherRequests, array $pushcastRequests): void
{
    $isEvents = static fn ($r) => (bool) preg_match('#/(batch_)?events(\?|$)#', $r['target']);
    $pe = array_values(array_filter($pusherRequests, $isEvents));
    $ce = array_values(array_filter($pushcastRequests, $isEvents));
    $po = array_values(array_map('requestKey', array_filter($pusherRequests, static fn ($r) => !$isEvents($r))));
    $co = array_values(array_map('requestKey', array_filter($pushcastRequests, static fn ($r) => !$isEvents($r))));
    if ($po !== [] || $co !== []) {
        check("$name.request", $po === $co, $po, $co);
        // Equal is not enough: each must be signed right (both wrong the same way would be equal).
        foreach ([[$po, 'pusher'], [$co, 'pushcast']] as [$list, $side]) {
            foreach ($list as $k) {
                if ($k['signature'] !== 'valid' || $k['timestamp'] !== 'now' || !in_array($k['body_md5'], ['matches', 'absent'], true)) {
                    check("$name.$side-signing", false, $side === 'pusher' ? $k : null, $side === 'pushcast' ? $k : null);
                }
            }
        }
    }
    if ($pe === [] && $ce === []) {
        return;
    }
    foreach ([[$pe, 'pusher'], [$ce, 'pushcast']] as [$list, $side]) {
        foreach ($list as $r) {
            $k = requestKey($r);
            if ($k['signature'] !== 'valid' || $k['body_md5'] !== 'matches' || $k['timestamp'] !== 'now'
                || array_keys($k['query']) !== ['auth_key', 'auth_version', 'body_md5'] || $k['query']['auth_key'] !== KEY) {
                check("$name.$side-signing", false, $side === 'pusher' ? $k : null, $side === 'pushcast' ? $k : null);
            }
        }
    }
    $pd = deliveries($pe);
    $cd = deliveries($ce);
    $pi = array_column($pd, 'item');
    $ci = array_column($cd, 'item');
    $sorted = static function (array $items): array {
        foreach ($items as &$item) {
            ksort($item);
        }
        return $items;
    };
    // A channel listed twice: pusher-http-php sends the list as given, pushcast sends it once.
    $once = array_values(array_unique(array_map('serialize', $pi)));
    if (count($once) < count($pi) && array_map('serialize', $ci) === $once) {
        documented("$name.repeated-channel", 'a channel listed twice in one trigger: pusher-http-php sends it twice in the request, pushcast once (the answer is the same: one entry per channel); the core and the C ABI refuse repeats (1006), the PHP layer drops them so a Laravel event that repeats a channel keeps working');
        return;
    }
    $orderDiffers = $pi !== $ci && $sorted($pi) === $sorted($ci);
    if ($orderDiffers) {
        // Only the order of the optional socket_id and info differs: pusher-http-php puts them
        // in the caller's $params order (trigger) or info first (triggerBatch).
        documented("$name.field-order", 'socket_id and info: pusher-http-php writes them in the caller\'s $params order (trigger) or info before socket_id (triggerBatch); pushcast always writes socket_id, then info. A JSON object\'s key order means nothing to the server');
        $pi = $sorted($pi);
        $ci = $sorted($ci);
    }
    if ($pi === $ci) {
        check("$name.deliveries", true);
        foreach ($pd as $i => $d) {
            $rawP = $d['raw'];
            $rawC = $cd[$i]['raw'];
            $plain = json_encode($pi[$i], JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_LINE_TERMINATORS);
            $escapingCanDiffer = str_contains($plain, '/') || preg_match('/[^\x00-\x7f]/', $plain)
                || str_starts_with((string) $pi[$i]['channel'], 'private-encrypted-');
            // Bytes are compared where neither JSON escaping nor the documented order of
            // socket_id and info can differ.
            if ($rawP !== null && $rawC !== null && !$escapingCanDiffer && !$orderDiffers) {
                check("$name.item-bytes", $rawP === $rawC, $rawP, $rawC);
            }
        }
        return;
    }
    // Multi-channel encrypted events: pusher-http-php seals every channel's copy with the first
    // channel's key (unreadable on the others); pushcast seals each with its own.
    $unreadable = array_filter($pi, static fn ($i) => is_array($i['data'] ?? null) && ($i['data']['plaintext'] ?? '') === 'UNREADABLE with this channel\'s key');
    $cReadable = array_filter($ci, static fn ($i) => !is_array($i['data'] ?? null) || ($i['data']['plaintext'] ?? '') !== 'UNREADABLE with this channel\'s key');
    if ($unreadable !== [] && count($cReadable) === count($ci) && count($pi) === count($ci)) {
        documented("$name.encrypted-multi-channel", 'pusher-http-php seals an event for several encrypted channels with the first channel\'s key (unreadable on the others); pushcast seals each channel\'s copy with its own key');
        return;
    }
    check("$name.deliveries", false, $pi, $ci);
}

/** pushcast's publish, then its flush: every queued event sent before the capture is read. */
function pushcastSend(callable $publish): array
{
    $outcome = attempt($publish);
    $flush = pushcastClient()->flush(10000);
    if (($flush['pending'] ?? 0) !== 0) {
        check('engine.flush', false, null, $flush);
    }
    return $outcome;
}

// --- cases --------------------------------------------------------------------------------------
function caseAuthChannel(): void
{
    $kind = mt_rand(0, 4);
    $socket = chance(95) ? socketId() : pick(['1.', 'abc', '1.2.3', '', ' 1.1', '1.1 ']);
    $data = null;
    if ($kind === 0) {
        $channel = channelName('private-');
        $data = chance(30) ? pick(['', '0', null, '{"a":1}', rstr()]) : null;
    } elseif ($kind === 1) {
        $channel = channelName('private-encrypted-');
    } elseif ($kind === 2) {
        // Presence with already-encoded channel_data, in the encodings apps use.
        $channel = channelName('presence-');
        $payload = ['user_id' => (string) userId()];
        if (chance(70)) {
            $payload['user_info'] = rvalue(1);
        }
        $data = json_encode($payload, pick([0, JSON_UNESCAPED_SLASHES, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES, JSON_PRETTY_PRINT]));
    } elseif ($kind === 3) {
        $channel = pick(['private-', 'presence-', '']) . rstr(4) . channelName(); // maybe invalid characters
    } else {
        $channel = channelName(pick(['private-', 'presence-', '#server-to-user-', 'private-encrypted-']));
        $data = chance(50) ? rstr() : null;
    }
    $noKey = $kind === 1 && chance(20);
    $extra = $noKey ? ['encryption_master_key_base64' => ''] : [];
    $a = attempt(static fn () => pusherClient($extra)->authorizeChannel($channel, $socket, $data));
    $b = attempt(static fn () => pushcastClient($extra)->authorizeChannel($channel, $socket, $data));
    if ($a[0] === 'ok' && $b[0] === 'threw' && str_starts_with($channel, 'presence-') && $data
        && !is_string((json_decode($data, true) ?? [])['user_id'] ?? null)) {
        documented('authorizeChannel.presence-channel-data', 'presence channel_data that is not JSON with a string user_id: pusher-http-php signs it and the server refuses the subscription; pushcast refuses it when asked');
        return;
    }
    if (compareOutcome('authorizeChannel', $a, $b)) {
        check('authorizeChannel.bytes', $a[1] === $b[1], $a[1], $b[1]);
    }
}

function caseAuthPresence(): void
{
    $channel = chance(95) ? channelName('presence-') : 'presence-' . rstr(3);
    $socket = socketId();
    $user = userId();
    $info = userInfo();
    $a = attempt(static fn () => pusherClient()->authorizePresenceChannel($channel, $socket, $user, $info));
    $b = attempt(static fn () => pushcastClient()->authorizePresenceChannel($channel, $socket, $user, $info));
    if (compareOutcome('authorizePresenceChannel', $a, $b)) {
        check('authorizePresenceChannel.bytes', $a[1] === $b[1], $a[1], $b[1]);
    }
}

function documentUserIdZero(string $method): void
{
    documented("$method.user-id-zero", 'the user id "0": pusher-http-php\'s validate_user_id() uses empty(), which is true for "0", and refuses it; pushcast takes it as the valid id it is');
}

function caseAuthUser(): void
{
    $socket = chance(95) ? socketId() : 'not-a-socket';
    $data = [];
    if (chance(92)) {
        $data['id'] = chance(90) ? (string) userId() : pick(['', '0', 0]);
    }
    for ($i = mt_rand(0, 3); $i > 0; $i--) {
        $data[pick(['name', 'user_info', 'watchlist', 'é/x', 'emoji😀'])] = pick([rvalue(1), userInfo()]);
    }
    $a = attempt(static fn () => pusherClient()->authenticateUser($socket, $data));
    $b = attempt(static fn () => pushcastClient()->authenticateUser($socket, $data));
    if ($a[0] === 'threw' && $b[0] === 'ok' && isset($data['id']) && (string) $data['id'] === '0') {
        documentUserIdZero('authenticateUser');
        return;
    }
    if (compareOutcome('authenticateUser', $a, $b)) {
        check('authenticateUser.bytes', $a[1] === $b[1], $a[1], $b[1]);
    }
}

function webhookEvent(): array
{
    $socket = socketId();
    switch (mt_rand(0, 6)) {
        case 0: $e = ['name' => 'channel_occupied', 'channel' => channelName(pick(['', 'private-', 'presence-']))]; break;
        case 1: $e = ['name' => 'channel_vacated', 'channel' => channelName()]; break;
        case 2: $e = ['channel' => channelName('presence-'), 'name' => pick(['member_added', 'member_removed']), 'user_id' => (string) userId()]; break;
        case 3: $e = ['name' => 'subscription_count', 'channel' => channelName(), 'subscription_count' => mt_rand(0, 99)]; break;
        case 4: $e = ['name' => 'cache_miss', 'channel' => channelName('cache-')]; break;
        default:
            $e = ['name' => 'client_event', 'channel' => channelName(pick(['private-', 'presence-'])), 'event' => 'client-' . rstr(3),
                'data' => json_encode(rvalue(1), pick([0, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE])), 'socket_id' => $socket];
            if (chance(50)) {
                $e['user_id'] = (string) userId();
            }
    }
    if (chance(25)) {
        $e[pick(['extra', 'new_field', 'é', 'x/y'])] = rvalue(1);
    }
    return $e;
}

/** pusher-js writes with JSON.stringify: no `\/`. PHP's json_encode (pusher's own helper) writes `\/`. */
function sealed(string $channel, string $plaintext, bool $phpStyle, string $master = MASTER): string
{
    $key = hash('sha256', $channel . base64_decode($master), true);
    do {
        $nonce = random_bytes(SODIUM_CRYPTO_SECRETBOX_NONCEBYTES);
        $ct = sodium_crypto_secretbox($plaintext, $nonce, $key);
        $envelope = ['nonce' => base64_encode($nonce), 'ciphertext' => base64_encode($ct)];
        // Make the escaping matter: keep trying until the base64 holds a slash.
    } while (!str_contains($envelope['nonce'] . $envelope['ciphertext'], '/'));
    return $phpStyle ? json_encode($envelope) : json_encode($envelope, JSON_UNESCAPED_SLASHES);
}

function caseWebhook(): void
{
    $events = [];
    for ($i = mt_rand(1, 4); $i > 0; $i--) {
        $events[] = webhookEvent();
    }
    $variant = pick(['plain', 'plain', 'encrypted', 'encrypted', 'tampered', 'header-case', 'wrong-master', 'no-master']);
    if (in_array($variant, ['encrypted', 'wrong-master', 'no-master'], true)) {
        $channel = channelName('private-encrypted-');
        $plain = json_encode(rvalue(1), pick([0, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE]));
        $events[mt_rand(0, count($events) - 1)] = ['name' => 'client_event', 'channel' => $channel, 'event' => 'client-x',
            'data' => sealed($channel, $plain, chance(50), $variant === 'wrong-master' ? OTHER_MASTER : MASTER), 'socket_id' => socketId()];
    }
    $doc = chance(80) ? ['time_ms' => 1700000000000 + mt_rand(), 'events' => $events] : ['events' => $events, 'time_ms' => 1700000000000 + mt_rand()];
    $body = json_encode($doc, pick([0, JSON_UNESCAPED_SLASHES, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE, JSON_PRETTY_PRINT]));
    $signature = hash_hmac('sha256', $body, SECRET);
    $headers = ['Content-Type' => 'application/json', 'X-Pusher-Key' => KEY, 'X-Pusher-Signature' => $signature];
    $note = null;
    if ($variant === 'tampered') {
        switch (mt_rand(0, 4)) {
            case 0: $headers['X-Pusher-Signature'] = substr($signature, 0, -1) . ($signature[-1] === 'a' ? 'b' : 'a'); break;
            case 1: $body .= ' '; break;
            case 2: $headers['X-Pusher-Key'] = 'another-key'; break;
            case 3: $headers['X-Pusher-Signature'] = ''; break;
            default:
                $headers['X-Pusher-Signature'] = strtoupper($signature);
                $note = 'uppercase';
        }
    }
    if ($variant === 'header-case') {
        $headers = ['content-type' => 'application/json', pick(['x-pusher-key', 'X-PUSHER-KEY']) => KEY, pick(['x-pusher-signature', 'X-Pusher-signature']) => $signature];
    }
    $extra = $variant === 'no-master' ? ['encryption_master_key_base64' => ''] : [];
    $a = attempt(static fn () => pusherClient($extra)->webhook($headers, $body));
    $b = attempt(static fn () => pushcastClient($extra)->webhook($headers, $body));
    if ($variant === 'header-case' && $a[0] === 'threw' && $b[0] === 'ok') {
        documented('webhook.header-case', 'HTTP header names are case-insensitive: pushcast finds X-Pusher-Key/X-Pusher-Signature in any case (getallheaders() and proxies change it); pusher-http-php reads the exact keys and refuses');
        return;
    }
    if ($note === 'uppercase' && $a[0] === 'threw' && $b[0] === 'ok') {
        documented('webhook.uppercase-signature', 'pushcast compares the signature as a number in constant time (either hex case); pusher-http-php compares strings with ===');
        return;
    }
    if ($variant === 'no-master' && $a[0] === 'threw' && $a[1] instanceof TypeError && $b[0] === 'threw' && family($b[1]) === 'library exception') {
        documented('webhook.encrypted-without-master-key', 'an encrypted client event and no master key: pusher-http-php 7.2.7 means to skip the event but dies in its own log() call (TypeError: null $context); pushcast throws its exception naming the missing key');
        return;
    }
    if ($a[0] === 'threw' && str_contains($a[1]->getMessage(), 'Decryption of the payload failed') && $b[0] === 'ok'
        && array_filter(json_decode(json_encode(is_object($b[1]) ? $b[1]->get_events() : $b[1]['events']), true),
            static fn ($e) => str_starts_with($e['channel'] ?? '', 'private-encrypted-') && in_array($e['data'] ?? null, ['0', ''], true)) !== []) {
        documented('webhook.decrypted-zero', 'an encrypted client event whose plaintext is "0": pusher-http-php tests the decrypted text with empty() and throws "Decryption of the payload failed"; pushcast returns "0"');
        return;
    }
    if (!compareOutcome('webhook', $a, $b)) {
        return;
    }
    [$hookA, $hookB] = [$a[1], $b[1]];
    // Content: events and time_ms whatever the container (object or array).
    $eventsA = json_decode(json_encode($hookA->get_events()), true);
    $timeA = $hookA->get_time_ms();
    if (is_object($hookB) && method_exists($hookB, 'get_events')) {
        $eventsB = json_decode(json_encode($hookB->get_events()), true);
        $timeB = $hookB->get_time_ms();
    } else {
        $eventsB = json_decode(json_encode($hookB['events'] ?? null), true);
        $timeB = $hookB['time_ms'] ?? null;
    }
    check('webhook.events', $eventsA === $eventsB, $eventsA, $eventsB);
    check('webhook.time_ms', $timeA === $timeB, $timeA, $timeB);
    check('webhook.return-shape', describe($hookA) === describe($hookB), describe($hookA), describe($hookB));
}

/** [data, already_encoded]. */
function triggerData(): array
{
    $data = rvalue(1);
    $encoded = chance(25);
    if ($encoded) {
        $data = is_string($data) && chance(30) ? $data : json_encode($data, pick([0, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE]));
    }
    return [$data, $encoded];
}

/** The largest `data` pusher-http-php sent, in bytes as sent (an encrypted envelope included). */
function sentDataSize(array $requests): int
{
    $max = 0;
    foreach ($requests as $r) {
        $body = json_decode($r['body'] ?? '', true);
        foreach ($body['batch'] ?? [$body] as $event) {
            $max = max($max, strlen((string) ($event['data'] ?? '')));
        }
    }
    return $max;
}

function caseTrigger(): void
{
    $kind = mt_rand(0, 9);
    if ($kind <= 5) {
        $channels = [];
        for ($i = mt_rand(1, 3); $i > 0; $i--) {
            $channels[] = channelName(pick(['', '', 'private-', 'presence-']));
        }
    } elseif ($kind <= 7) {
        $channels = [channelName('private-encrypted-')];
        if ($kind === 7) {
            $channels[] = chance(50) ? channelName('private-encrypted-') : channelName('private-'); // several, or mixed
        }
    } elseif ($kind === 8) {
        $channels = array_map(static fn ($i) => "room-$i", range(1, pick([10, 11, 100, 101])));
    } else {
        $channels = [pick([channelName() . ' ', 'a:b', rstr(3) . 'x', str_repeat('x', 165), channelName('#server-to-user-')])];
    }
    if (count($channels) === 1 && chance(50)) {
        $channels = $channels[0];
    }
    $event = chance(97) ? 'App\\Events\\' . rstr(4) . 'Happened' : str_repeat('e', 201);
    [$data, $encoded] = triggerData();
    if (chance(3)) {
        // Around hosted Pusher's 10 KB data limit.
        [$data, $encoded] = [str_repeat('x', pick([10240, 10241])), true];
    }
    $params = [];
    if (chance(30)) {
        $params['socket_id'] = chance(90) ? socketId() : 'x.1';
    }
    if (chance(15)) {
        $params['info'] = pick(['subscription_count', 'user_count', 'subscription_count,user_count']);
    }
    if (chance(50)) {
        $params = array_reverse($params, true);
    }
    $a = attempt(static fn () => pusherClient()->trigger($channels, $event, $data, $params, $encoded));
    [$pusherReqs] = captured();
    $b = pushcastSend(static fn () => pushcastClient()->trigger($channels, $event, $data, $params, $encoded));
    [, $pushcastReqs] = captured();
    if (is_array($channels) && count($channels) > 1 && $a[0] === 'ok' && $b[0] === 'ok'
        && count(array_filter($channels, static fn ($c) => str_starts_with($c, 'private-encrypted-'))) === count($channels)) {
        compareRequests('trigger', $pusherReqs, $pushcastReqs);
        return;
    }
    // Data as sent: an encrypted channel's envelope is about 4/3 of its plaintext.
    if ($a[0] === 'ok' && $b[0] === 'threw' && preg_match('/at most \d+/', $b[1]->getMessage())
        && (strlen($event) > 200 || max(array_map('strlen', (array) $channels)) > 164 || sentDataSize($pusherReqs) > 10240)) {
        documented('trigger.limits', 'pushcast refuses before the network what hosted Pusher refuses (channel name > 164 bytes, event name > 200, data as sent > 10 KB: the `pusher` server profile); pusher-http-php sends it and gets HTTP 413/400');
        return;
    }
    if (!compareOutcome('trigger', $a, $b)) {
        return;
    }
    compareRequests('trigger', $pusherReqs, $pushcastReqs);
    check('trigger.return-shape', describe($a[1]) === describe($b[1]), describe($a[1]), describe($b[1]));
}

function caseTriggerBatch(): void
{
    $batch = [];
    $encoded = chance(25);
    for ($i = chance(90) ? mt_rand(1, 6) : mt_rand(10, 11); $i > 0; $i--) {
        $item = ['channel' => chance(97) ? channelName(pick(['', 'private-', 'presence-', 'private-encrypted-'])) : 'bad channel', 'name' => 'ev-' . rstr(3)];
        $data = rvalue(1);
        $item['data'] = $encoded ? json_encode($data) : $data;
        if (chance(25)) {
            $item['socket_id'] = socketId();
        }
        if (chance(10)) {
            $item['info'] = 'subscription_count';
        }
        $batch[] = $item;
    }
    $a = attempt(static fn () => pusherClient()->triggerBatch($batch, $encoded));
    [$pusherReqs] = captured();
    $b = pushcastSend(static fn () => pushcastClient()->triggerBatch($batch, $encoded));
    [, $pushcastReqs] = captured();
    if ($a[0] === 'ok' && $b[0] === 'threw' && count($batch) > 10) {
        documented('triggerBatch.limits', 'more than 10 events in one triggerBatch: hosted Pusher refuses the request (HTTP 400) and pusher-http-php sends it; pushcast refuses it before the network (the `pusher` server profile)');
        return;
    }
    if (!compareOutcome('triggerBatch', $a, $b)) {
        return;
    }
    compareRequests('triggerBatch', $pusherReqs, $pushcastReqs);
    check('triggerBatch.return-shape', describe($a[1]) === describe($b[1]), describe($a[1]), describe($b[1]));
}

function caseUserOps(): void
{
    $user = chance(90) ? (string) userId() : pick(['', '0', 'err-403']);
    $op = mt_rand(0, 1);
    [$data, $encoded] = triggerData();
    if ($op === 0) {
        $a = attempt(static fn () => pusherClient()->sendToUser($user, 'ev', $data, $encoded));
        [$pusherReqs] = captured();
        $b = pushcastSend(static fn () => pushcastClient()->sendToUser($user, 'ev', $data, $encoded));
        $name = 'sendToUser';
    } else {
        $a = attempt(static fn () => pusherClient()->terminateUserConnections($user));
        [$pusherReqs] = captured();
        $b = attempt(static fn () => pushcastClient()->terminateUserConnections($user));
        $name = 'terminateUserConnections';
    }
    [, $pushcastReqs] = captured();
    if ($a[0] === 'threw' && $b[0] === 'ok' && $user === '0') {
        documentUserIdZero($name);
        return;
    }
    if ($op === 0 && $a[0] === 'threw' && $b[0] === 'ok' && str_contains($user, 'err-')) {
        documented('sendToUser.async-refusal', 'pushcast\'s sendToUser is queued (it returns before the network): the server\'s refusal shows in failures() and stats, not as an exception');
        return;
    }
    if ($op === 1 && $b[0] === 'threw' && !preg_match('/\A[-a-zA-Z0-9_=@,.;]+\z/', $user)) {
        documented('terminateUserConnections.user-id-charset', 'a user id outside the channel-name characters: pusher-http-php pastes it unencoded into the path it signs ("/users/$user_id/terminate_connections": a "/" changes the path, and Guzzle then percent-encodes other bytes after the signature was computed over them raw); pushcast refuses it before the network, with the rule sendToUser already applies to the same id (pusher-http-php either sends it so, or builds a URL such as http://apps:0/... from ":0" and fails in cURL)');
        return;
    }
    if (!compareOutcome($name, $a, $b)) {
        return;
    }
    compareRequests($name, $pusherReqs, $pushcastReqs);
    check("$name.return-shape", describe($a[1]) === describe($b[1]), describe($a[1]), describe($b[1]));
}

function caseQuery(): void
{
    $op = mt_rand(0, 2);
    $channel = chance(85) ? channelName(pick(['', 'presence-', 'private-'])) : pick(['err-403', 'err-404', 'presence-err-400', 'bad channel']);
    $params = [];
    if ($op === 0) {
        if (chance(60)) {
            $params['info'] = pick(['subscription_count', 'user_count', 'subscription_count,user_count']);
        }
        $call = static fn ($c) => $c->getChannelInfo($channel, $params);
        $name = 'getChannelInfo';
    } elseif ($op === 1) {
        if (chance(60)) {
            $params['filter_by_prefix'] = chance(85) ? pick(['presence-', 'private-', 'a', 'x/é']) : 'err-403';
        }
        if (chance(40)) {
            $params['info'] = 'user_count';
        }
        $call = static fn ($c) => $c->getChannels($params);
        $name = 'getChannels';
    } else {
        $channel = chance(85) ? channelName('presence-') : 'presence-err-404';
        $call = static fn ($c) => $c->getPresenceUsers($channel);
        $name = 'getPresenceUsers';
    }
    $a = attempt(static fn () => $call(pusherClient()));
    [$pusherReqs] = captured();
    $b = attempt(static fn () => $call(pushcastClient()));
    [, $pushcastReqs] = captured();
    $GLOBALS['refusedDotSegment'] = false;
    if (!compareOutcome($name, $a, $b)) {
        // A documented refusal sent nothing, by design; anything else must send the same.
        if (!$GLOBALS['refusedDotSegment']) {
            compareRequests($name, $pusherReqs, $pushcastReqs);
        }
        return;
    }
    compareRequests($name, $pusherReqs, $pushcastReqs);
    check("$name.return-shape", describe($a[1]) === describe($b[1]), describe($a[1]), describe($b[1]));
}

/**
 * The rest of pusher-http-php's public surface: deprecated aliases, verifySignature, the async
 * methods (a promise with then() and wait(); wait()'s answer and the request compared), get,
 * post and getSettings.
 */
function caseSurface(): void
{
    $op = pick(['socket_auth', 'socketAuth', 'presence_auth', 'presenceAuth', 'get_channel_info', 'get_channels', 'get_users_info',
        'ensure_valid_signature', 'verifySignature', 'triggerAsync', 'triggerBatchAsync', 'sendToUserAsync',
        'terminateUserConnectionsAsync', 'get', 'post', 'getSettings']);
    $channel = channelName();
    $socket = socketId();
    [$data, $encoded] = triggerData();
    $body = json_encode(['time_ms' => 1700000000000, 'events' => [webhookEvent()]]);
    $headers = ['X-Pusher-Key' => KEY, 'X-Pusher-Signature' => chance(80) ? hash_hmac('sha256', $body, SECRET) : str_repeat('0', 64)];
    $async = str_ends_with($op, 'Async');
    switch ($op) {
        case 'socket_auth':
        case 'socketAuth':
            $private = 'private-' . $channel;
            $call = static fn ($c) => $c->$op($private, $socket);
            break;
        case 'presence_auth':
        case 'presenceAuth':
            $presence = 'presence-' . $channel;
            $user = userId();
            $info = userInfo();
            $call = static fn ($c) => $c->$op($presence, $socket, $user, $info);
            break;
        case 'get_channel_info':
            $call = static fn ($c) => $c->get_channel_info($channel, ['info' => 'subscription_count']);
            break;
        case 'get_channels':
            $call = static fn ($c) => $c->get_channels(['filter_by_prefix' => 'presence-']);
            break;
        case 'get_users_info':
            $call = static fn ($c) => $c->get_users_info('presence-' . $channel);
            break;
        case 'ensure_valid_signature':
        case 'verifySignature':
            $call = static function ($c) use ($op, $headers, $body) {
                $c->$op($headers, $body);
                return 'no exception';
            };
            break;
        case 'triggerAsync':
            $call = static fn ($c) => $c->triggerAsync($channel, 'ev', $data, [], $encoded);
            break;
        case 'triggerBatchAsync':
            $batch = [['channel' => $channel, 'name' => 'ev', 'data' => $data], ['channel' => 'private-' . $channel, 'name' => 'ev2', 'data' => $data]];
            $call = static fn ($c) => $c->triggerBatchAsync($batch, $encoded);
            break;
        case 'sendToUserAsync':
            $user = 'user-' . mt_rand();
            $call = static fn ($c) => $c->sendToUserAsync($user, 'ev', $data, $encoded);
            break;
        case 'terminateUserConnectionsAsync':
            $user = 'user-' . mt_rand();
            $call = static fn ($c) => $c->terminateUserConnectionsAsync($user);
            break;
        case 'get':
            $path = pick(['/channels', '/channels/' . $channel, '/channels/presence-' . $channel . '/users']);
            $params = chance(50) ? ['info' => 'user_count'] : [];
            $assoc = chance(50);
            $call = static fn ($c) => $c->get($path, $params, $assoc);
            break;
        case 'post':
            $user = 'user-' . mt_rand();
            [$path, $postBody] = chance(50)
                ? ["/users/$user/terminate_connections", '{}']
                : ['/events', json_encode(['name' => 'ev', 'data' => json_encode($data), 'channel' => $channel])];
            $call = static fn ($c) => $c->post($path, $postBody);
            break;
        default: // getSettings
            $a = attempt(static fn () => pusherClient()->getSettings());
            $b = attempt(static fn () => pushcastClient()->getSettings());
            if (compareOutcome('getSettings', $a, $b)) {
                // pusher-http-php's keys with its values and types (host and port are each side's own).
                $keys = array_diff(array_keys($a[1]), ['port']);
                $pick = static fn ($s) => array_map(static fn ($k) => [$k => describe($s[$k] ?? '(absent)')], $keys);
                check('getSettings.values', $pick($a[1]) === $pick($b[1]), $pick($a[1]), $pick($b[1]));
                check('getSettings.port', is_int($b[1]['port'] ?? null), null, $b[1]['port'] ?? '(absent)');
            }
            return;
    }
    $run = static function ($client) use ($call, $async) {
        $result = $call($client);
        if (!$async) {
            return $result;
        }
        if (!is_object($result) || !method_exists($result, 'then') || !method_exists($result, 'wait')) {
            throw new UnexpectedValueException('not a promise (no then() and wait()): ' . get_debug_type($result));
        }
        return $result->wait();
    };
    $a = attempt(static fn () => $run(pusherClient()));
    [$pusherReqs] = captured();
    $b = pushcastSend(static fn () => $run(pushcastClient()));
    [, $pushcastReqs] = captured();
    if (!compareOutcome($op, $a, $b)) {
        return;
    }
    compareRequests($op, $pusherReqs, $pushcastReqs);
    if (is_string($a[1])) {
        check("$op.bytes", $a[1] === $b[1], $a[1], $b[1]);
    } else {
        check("$op.return-shape", describe($a[1]) === describe($b[1]), describe($a[1]), describe($b[1]));
    }
}

// --- the run ------------------------------------------------------------------------------------
$kinds = [
    'authorizeChannel' => [4, 'caseAuthChannel'],
    'authorizePresenceChannel' => [4, 'caseAuthPresence'],
    'authenticateUser' => [2, 'caseAuthUser'],
    'webhook' => [4, 'caseWebhook'],
    'trigger' => [4, 'caseTrigger'],
    'triggerBatch' => [2, 'caseTriggerBatch'],
    'userOps' => [1, 'caseUserOps'],
    'query' => [2, 'caseQuery'],
    'surface' => [2, 'caseSurface'],
];
$weighted = [];
foreach ($kinds as $kind => [$weight, $fn]) {
    for ($i = 0; $i < $weight; $i++) {
        $weighted[] = $fn;
    }
}

$cases = $mismatches = $documentedCases = 0;
$byCheck = [];
$reasons = [];
$shown = 0;
foreach ($onlyCase !== null ? [$onlyCase] : range(0, $caseCount - 1) as $n) {
    mt_srand(crc32("$seed:$n"));
    $fn = pick($weighted);
    $checks = [];
    $fn();
    captured(); // nothing of one case is read as the next one's
    $cases++;
    $statuses = array_column($checks, 1);
    foreach ($checks as [$name, $status, $detail]) {
        $byCheck["$status $name"] = ($byCheck["$status $name"] ?? 0) + 1;
        if ($status === 'documented') {
            $reasons[$name] = $detail;
        }
    }
    if (in_array('mismatch', $statuses, true)) {
        $mismatches++;
        foreach ($checks as [$name, $status, $detail]) {
            if ($status === 'mismatch' && ($shown < 40 || $onlyCase !== null || getenv('CROSSCHECK_VERBOSE'))) {
                $shown++;
                echo "mismatch case=$n ($fn) check=$name (replay: CROSSCHECK_SEED=$seed CROSSCHECK_CASE=$n scripts/crosscheck-php)\n      $detail\n";
            }
        }
    } elseif (in_array('documented', $statuses, true)) {
        $documentedCases++;
    }
}
if ($shown >= 40 && $onlyCase === null && !getenv('CROSSCHECK_VERBOSE')) {
    echo "(only the first 40 mismatching checks are printed; CROSSCHECK_VERBOSE=1 prints all)\n";
}
ksort($byCheck);
echo "checks by name and outcome:\n";
foreach ($byCheck as $k => $count) {
    echo "  $k: $count\n";
}
if ($reasons !== []) {
    echo "documented differences:\n";
    ksort($reasons);
    foreach ($reasons as $name => $reason) {
        echo "  $name: $reason\n";
    }
}
echo "php-crosscheck cases=$cases mismatches=$mismatches documented=$documentedCases\n";
exit($mismatches > 0 ? 1 : 0);
