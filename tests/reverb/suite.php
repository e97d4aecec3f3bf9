<?php

declare(strict_types=1);

// The Reverb end-to-end suite (run by scripts/test-reverb, which starts the servers): pushcast's
// PHP extension and Laravel 11 driver publish to a real Laravel Reverb 1.10.2, pusher-js and
// laravel-echo subscribers (tests/reverb/hub.js) say what arrived.
//
// Environment: REVERB_PORT (default server), REVERB_BIG_PORT (REVERB_MAX_REQUEST_SIZE=100000),
// REVERB_APP_ID / REVERB_APP_KEY / REVERB_APP_SECRET, PUSHCAST_SHARED, REVERB_LOG_DIR.
//
// Each check prints `check NAME ok` or `check NAME FAILED: why`; the last line is
// `reverb checks=N passed=M delivered=D published=P lost=L duplicates=U`, counted from what
// happened: published = events (per channel) the library accepted for channels the suite
// watches, delivered = those of them that reached every subscriber expecting them (the same
// unit, so delivered = published when nothing is lost), lost = expected copies (per subscriber)
// that never arrived, duplicates = extra copies.
//
// Determinism: subscribers report `subscribed` before anything is published; absence ("A never
// gets E2") is decided by a fence: after flush(), one more event on the same channel is
// published with triggerConfirmed; once a subscriber has the fence, everything Reverb
// dispatched before it has reached that subscriber (one TCP stream, in order). No sleeps.

namespace Pushcast\ReverbSuite;

use Pushcast\Client;

$shared = getenv('PUSHCAST_SHARED') ?: dirname(__DIR__, 3) . '/shared';
require $shared . '/reverb/app/vendor/autoload.php';
// pushcast's PHP classes (composer's psr-4 entry, without Packagist).
spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Pushcast\\')) {
        $path = __DIR__ . '/../../php-ext/php/src/' . str_replace('\\', '/', substr($class, strlen('Pushcast\\'))) . '.php';
        if (is_file($path)) {
            require $path;
        }
    }
});
require __DIR__ . '/laravel.php';

if (!extension_loaded('pushcast')) {
    fwrite(STDERR, "the pushcast extension is not loaded\n");
    exit(2);
}

final class CheckFailed extends \RuntimeException
{
}

/** The Node subscribers (hub.js): commands in, one JSON message per line out. */
final class Hub
{
    /** @var resource */
    private $process;
    /** @var resource */
    private $stdin;
    /** @var resource */
    private $stdout;
    private string $buffer = '';
    /** @var list<array> every message, in arrival order */
    public array $messages = [];
    /** @var array<string, callable(string $channel, string $socketId): array{int, mixed}> */
    public array $authorizers = [];
    /** @var array<string, true> the connections open now */
    public array $open = [];
    /** @var list<string> connections the current check leaves open for the next one */
    public array $keep = [];

    public function __construct(string $appKey, string $log)
    {
        $this->process = proc_open(
            ['node', __DIR__ . '/hub.js', $appKey],
            [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['file', $log, 'a']],
            $pipes,
        );
        if (!is_resource($this->process)) {
            throw new \RuntimeException('cannot start node');
        }
        [$this->stdin, $this->stdout] = [$pipes[0], $pipes[1]];
        stream_set_blocking($this->stdout, false);
    }

    public function send(array $command): void
    {
        fwrite($this->stdin, json_encode($command, JSON_THROW_ON_ERROR) . "\n");
        fflush($this->stdin);
    }

    public function close(): void
    {
        $this->send(['op' => 'exit']);
        fclose($this->stdin);
        proc_close($this->process);
    }

    /** Reads what the subscribers said, waiting at most until $deadline for something. */
    public function pump(float $deadline): void
    {
        $wait = max(0.0, $deadline - microtime(true));
        $read = [$this->stdout];
        $write = $except = null;
        $seconds = (int) floor($wait);
        if (@stream_select($read, $write, $except, $seconds, (int) (($wait - $seconds) * 1e6)) > 0) {
            $chunk = fread($this->stdout, 1 << 16);
            if (($chunk === '' || $chunk === false) && feof($this->stdout)) {
                throw new CheckFailed('the Node subscribers (hub.js) exited; see ' . ($GLOBALS['hubLog'] ?? 'its log'));
            }
            $this->buffer .= $chunk;
        }
        while (($end = strpos($this->buffer, "\n")) !== false) {
            $line = substr($this->buffer, 0, $end);
            $this->buffer = substr($this->buffer, $end + 1);
            $message = json_decode($line, true);
            if (!is_array($message)) {
                continue;
            }
            if ($message['type'] === 'auth') {
                $this->answerAuth($message);
            }
            $this->messages[] = $message;
        }
    }

    /** Reads everything already there, without waiting. */
    public function drain(): void
    {
        $this->pump(microtime(true));
    }

    private function answerAuth(array $m): void
    {
        $authorize = $this->authorizers[$m['conn']] ?? null;
        try {
            [$status, $body] = $authorize === null ? [403, ['message' => 'no authorizer']] : $authorize($m['channel'], $m['socket_id']);
        } catch (\Throwable $e) {
            [$status, $body] = [500, ['message' => get_class($e) . ': ' . $e->getMessage()]];
        }
        $this->send(['op' => 'auth_reply', 'id' => $m['id'], 'status' => $status, 'body' => $body]);
    }

    /**
     * Waits until $done returns something truthy (returned), at most $seconds.
     */
    public function waitFor(callable $done, float $seconds, string $what): mixed
    {
        $deadline = microtime(true) + $seconds;
        while (true) {
            $result = $done($this);
            if ($result) {
                return $result;
            }
            if (microtime(true) >= $deadline) {
                throw new CheckFailed(sprintf('timed out after %gs waiting for %s', $seconds, $what));
            }
            $this->pump($deadline);
        }
    }

    /** The messages (from index $since on) whose fields equal $match. */
    public function find(array $match, int $since = 0): array
    {
        $found = [];
        foreach (array_slice($this->messages, $since) as $m) {
            if (array_intersect_key($m, $match) == $match) {
                $found[] = $m;
            }
        }
        return $found;
    }

    public function first(array $match, int $since = 0): ?array
    {
        return $this->find($match, $since)[0] ?? null;
    }

    /** The ids (data.id) of the events $conn received on $channel, in arrival order. */
    public function ids(string $conn, string $channel): array
    {
        $ids = [];
        foreach ($this->messages as $m) {
            if ($m['type'] === 'event' && $m['conn'] === $conn && $m['channel'] === $channel) {
                $ids[] = is_array($m['data']) ? (string) ($m['data']['id'] ?? '?') : '?';
            }
        }
        return $ids;
    }

    /** The data of the events $conn received on $channel, by id. */
    public function payloads(string $conn, string $channel): array
    {
        $data = [];
        foreach ($this->find(['type' => 'event', 'conn' => $conn, 'channel' => $channel]) as $m) {
            if (is_array($m['data']) && isset($m['data']['id'])) {
                $data[(string) $m['data']['id']][] = $m['data'];
            }
        }
        return $data;
    }

    // The subscribers' side of a check.

    /** A new connection; returns its socket id. */
    public function connect(string $conn, int $port, bool $echo = false): string
    {
        $this->send(['op' => 'connect', 'conn' => $conn, 'port' => $port, 'echo' => $echo]);
        $this->open[$conn] = true;
        return $this->waitFor(fn () => $this->first(['type' => 'connected', 'conn' => $conn]), 10, "$conn to connect")['socket_id'];
    }

    /** pusher-js subscribe; waits for pusher:subscription_succeeded. */
    public function subscribe(string $conn, string $channel, ?int $count = null): array
    {
        $command = ['op' => 'subscribe', 'conn' => $conn, 'channel' => $channel];
        if ($count !== null) {
            $command['count'] = $count;
        }
        $this->send($command);
        return $this->subscribed($conn, $channel);
    }

    /** A laravel-echo channel (kind: channel, private, encryptedPrivate, join). */
    public function echo(string $conn, string $kind, string $name, array $events): array
    {
        $full = match ($kind) {
            'private' => "private-$name",
            'encryptedPrivate' => "private-encrypted-$name",
            'join' => "presence-$name",
            default => $name,
        };
        $this->send(['op' => 'echo', 'conn' => $conn, 'kind' => $kind, 'channel' => $name, 'events' => $events]);
        return $this->subscribed($conn, $full);
    }

    private function subscribed(string $conn, string $channel): array
    {
        $m = $this->waitFor(fn () => $this->first(['type' => 'subscribed', 'conn' => $conn, 'channel' => $channel])
            ?? $this->first(['type' => 'subscription_error', 'conn' => $conn, 'channel' => $channel]), 10, "$conn to subscribe to $channel");
        if ($m['type'] === 'subscription_error') {
            throw new CheckFailed("$conn could not subscribe to $channel: " . json_encode($m['error']));
        }
        return $m;
    }

    public function disconnect(string ...$conns): void
    {
        foreach ($conns as $conn) {
            $this->send(['op' => 'disconnect', 'conn' => $conn]);
            unset($this->open[$conn], $this->authorizers[$conn]);
        }
    }
}

/** One check's bookkeeping: who should get which event, and what went wrong. */
final class Run
{
    /** @var array<string, array<string, list<string>>> conn => channel => event ids, in publish order */
    public array $expect = [];
    /** @var array<string, mixed> id => the payload published */
    public array $payloads = [];
    /** @var list<string> */
    public array $problems = [];
    /** @var array<string, array<string, true>> conn => channel: watched for events nobody expects */
    public array $watch = [];

    public function __construct(private Suite $suite)
    {
    }

    /**
     * One event the library accepted: $channels (its channel count is what `published`
     * counts), and where it should arrive: conn => channel(s).
     */
    public function published(string $id, mixed $payload, int $channels, array $to): void
    {
        $this->suite->published += $channels;
        $this->payloads[$id] = json_decode(json_encode($payload), true);
        foreach ($to as $conn => $where) {
            foreach ((array) $where as $channel) {
                $this->expect[$conn][$channel][] = $id;
            }
        }
    }

    /** Events $conn receives on $channel are checked even if none is expected there. */
    public function watch(string $conn, string $channel): void
    {
        $this->watch[$conn][$channel] = true;
    }

    public function problem(string $text): void
    {
        $this->problems[] = $text;
    }

    /**
     * The fence: $client's triggerConfirmed of one more event on $channel, then wait until
     * every one of $conns has it.
     */
    public function fence(Hub $hub, Client $client, string $channel, array $conns, string $event = 'fence'): void
    {
        $id = 'fence-' . (++$this->suite->fences);
        $client->triggerConfirmed($channel, $event, ['id' => $id], null, 10000);
        $this->published($id, ['id' => $id], 1, array_fill_keys($conns, $channel));
        $hub->waitFor(function () use ($hub, $conns, $channel, $id) {
            foreach ($conns as $conn) {
                if (!in_array($id, $hub->ids($conn, $channel), true)) {
                    return false;
                }
            }
            return true;
        }, 15, "the fence $id on $channel at " . implode(', ', $conns));
    }
}

final class Suite
{
    public int $checks = 0;
    public int $passed = 0;
    public int $delivered = 0;
    public int $published = 0;
    public int $lost = 0;
    public int $duplicates = 0;
    public int $fences = 0;
    private int $engines = 0;

    public function __construct(
        public Hub $hub,
        public string $appId,
        public string $key,
        public string $secret,
        public int $port,
        public string $masterKey,
        public string $summaryFile,
    ) {
    }

    /**
     * A client for one check, constructed as the issue asks: the reverb profile, the
     * server's host, port and scheme. Each check gets its own engine (a distinct
     * queue_capacity: clients with the same configuration share one), so its stats are its
     * own and a failure in one check cannot carry over into another (retries, the breaker).
     */
    public function options(array $extra = [], ?int $port = null): array
    {
        $this->engines++;
        return $extra + [
            'host' => '127.0.0.1',
            'port' => $port ?? $this->port,
            'scheme' => 'http',
            'server_profile' => 'reverb',
            'encryption_master_key_base64' => $this->masterKey,
            'queue_capacity' => 10000 + $this->engines,
        ];
    }

    public function client(array $extra = [], ?int $port = null, ?string $secret = null): Client
    {
        return new Client($this->key, $secret ?? $this->secret, $this->appId, $this->options($extra, $port));
    }

    /** The `pushcast` connection of config/broadcasting.php. */
    public function laravelConnection(array $extra = [], ?int $port = null): array
    {
        return [
            'driver' => 'pushcast',
            'key' => $this->key,
            'secret' => $this->secret,
            'app_id' => $this->appId,
            'options' => $this->options($extra, $port),
        ];
    }

    public function run(string $name, callable $body): void
    {
        $this->checks++;
        $run = new Run($this);
        $error = null;
        try {
            $body($run);
        } catch (\Throwable $e) {
            $error = $e instanceof CheckFailed ? $e->getMessage() : describe($e);
        }
        try {
            $this->tally($run);
        } catch (\Throwable $e) {
            $run->problem('tally: ' . describe($e));
        }
        $this->hub->disconnect(...array_diff(array_keys($this->hub->open), $this->hub->keep));
        $this->hub->keep = [];
        $why = array_merge($error === null ? [] : [$error], $run->problems);
        if ($why === []) {
            $this->passed++;
            echo "check $name ok\n";
        } else {
            echo "check $name FAILED: " . preg_replace('/\s+/', ' ', implode('; ', $why)) . "\n";
        }
        // The totals so far, for scripts/test-reverb's last line (also if this process dies).
        if ($this->summaryFile !== '') {
            file_put_contents($this->summaryFile, $this->summary() . "\n");
        }
    }

    /** Counts what arrived against what should have; adds the differences as problems. */
    private function tally(Run $run): void
    {
        $this->hub->drain();
        // (channel, id) => whether every subscriber expecting it got it.
        $complete = [];
        $places = $run->watch;
        foreach ($run->expect as $conn => $channels) {
            foreach ($channels as $channel => $_) {
                $places[$conn][$channel] = true;
            }
        }
        foreach ($places as $conn => $channels) {
            foreach (array_keys($channels) as $channel) {
                $expected = $run->expect[$conn][$channel] ?? [];
                $received = $this->hub->ids($conn, $channel);
                $copies = array_count_values($received);
                $missing = [];
                foreach ($expected as $id) {
                    $n = $copies[$id] ?? 0;
                    $complete["$channel\0$id"] = ($complete["$channel\0$id"] ?? true) && $n > 0;
                    if ($n === 0) {
                        $this->lost++;
                        $missing[] = $id;
                        continue;
                    }
                    if ($n > 1) {
                        $this->duplicates += $n - 1;
                        $run->problem("$conn got $id $n times on $channel");
                    }
                }
                if ($missing !== []) {
                    $run->problem("$conn never got " . implode(', ', $missing) . " on $channel");
                }
                $unexpected = array_values(array_unique(array_diff($received, $expected)));
                if ($unexpected !== []) {
                    $run->problem("$conn got " . implode(', ', $unexpected) . " on $channel, which it should not");
                }
                $order = array_values(array_filter(array_unique($received), static fn ($id) => in_array($id, $expected, true)));
                $wanted = array_values(array_filter($expected, static fn ($id) => in_array($id, $order, true)));
                if ($order !== $wanted) {
                    $run->problem("$conn got $channel's events in the order " . implode(',', $order) . ', published ' . implode(',', $wanted));
                }
                foreach ($this->hub->payloads($conn, $channel) as $id => $datas) {
                    if (array_key_exists($id, $run->payloads) && $datas[0] !== $run->payloads[$id]) {
                        $run->problem("$conn got $id on $channel with data " . substr(json_encode($datas[0]), 0, 120) . ', published ' . substr(json_encode($run->payloads[$id]), 0, 120));
                    }
                }
            }
        }
        $this->delivered += count(array_filter($complete));
    }

    public function summary(): string
    {
        return sprintf(
            'reverb checks=%d passed=%d delivered=%d published=%d lost=%d duplicates=%d',
            $this->checks, $this->passed, $this->delivered, $this->published, $this->lost, $this->duplicates,
        );
    }
}

function describe(\Throwable $e): string
{
    $code = $e->getCode() !== 0 ? ' (code ' . $e->getCode() . ')' : '';
    return get_class($e) . $code . ': ' . $e->getMessage();
}

/** Problems with the stats of a check's engine: failed must be 0, resent present and 0. */
function stats_problems(array $stats, string $who = 'stats'): array
{
    $problems = [];
    if (($stats['failed'] ?? null) !== 0) {
        $problems[] = "$who: failed=" . json_encode($stats['failed'] ?? null) . ' (last_error: ' . json_encode($stats['last_error'] ?? null) . ')';
    }
    if (!array_key_exists('resent', $stats)) {
        $problems[] = "$who: no `resent` key (a resend must be counted)";
    } elseif ($stats['resent'] !== 0) {
        $problems[] = "$who: resent=" . json_encode($stats['resent']);
    }
    return $problems;
}

/** flush() and its problems: events still pending. */
function flush_stats(Client $client, Run $run, int $timeoutMs = 10000): array
{
    $flush = $client->flush($timeoutMs);
    if ($flush['pending'] !== 0) {
        $run->problem("flush: {$flush['pending']} event(s) still pending after {$timeoutMs} ms");
    }
    return $flush['stats'];
}

/** A payload whose json_encode is exactly $bytes bytes. */
function payload_of_size(string $id, int $bytes): array
{
    $pad = $bytes - strlen(json_encode(['id' => $id, 'pad' => '']));
    return ['id' => $id, 'pad' => str_repeat('x', $pad)];
}

/** Runs $call; returns the exception it threw (null when it returned) and the seconds it took. */
function attempt(callable $call): array
{
    $started = microtime(true);
    try {
        $result = $call();
        return [null, microtime(true) - $started, $result];
    } catch (\Throwable $e) {
        return [$e, microtime(true) - $started, null];
    }
}

require __DIR__ . '/checks.php';

$appId = getenv('REVERB_APP_ID') ?: '12345';
$key = getenv('REVERB_APP_KEY') ?: 'app-key';
$secret = getenv('REVERB_APP_SECRET') ?: 'app-secret';
$port = (int) getenv('REVERB_PORT');
$bigPort = (int) getenv('REVERB_BIG_PORT');
$GLOBALS['hubLog'] = (getenv('REVERB_LOG_DIR') ?: sys_get_temp_dir()) . '/hub.log';
$hub = new Hub($key, $GLOBALS['hubLog']);
$suite = new Suite($hub, $appId, $key, $secret, $port, base64_encode(random_bytes(32)), (string) getenv('REVERB_SUMMARY'));
run_checks($suite, $bigPort);
$hub->close();
if (getenv('REVERB_SUMMARY') === false) {
    echo $suite->summary(), "\n";
}
exit($suite->passed === $suite->checks ? 0 : 1);
