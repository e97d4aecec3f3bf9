<?php

declare(strict_types=1);

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Broadcasting\Channel;
use Illuminate\Contracts\Broadcasting\Factory as BroadcastFactory;
use Illuminate\Support\Facades\Broadcast;
use Illuminate\Support\Facades\Facade;
use PHPUnit\Framework\TestCase;
use Pushcast\Client;
use Pushcast\Laravel\PushcastBroadcaster;

/**
 * Code written for Laravel's pusher driver, on a pushcast connection:
 * `Broadcast::connection('pushcast')->getPusher()` is a Pushcast\Client with pusher-http-php's
 * methods and answers (objects: `->occupied`, `get_events()`), against the real server the suite
 * runs (sockudo under scripts/test-php with Laravel 8.83, Reverb under scripts/test-laravel11
 * with Laravel 11). A raw WebSocket subscriber (below) makes the channel occupied and receives
 * what is triggered.
 */
final class PusherApiThroughBroadcastTest extends TestCase
{
    private const KEY = 'app-key';
    private const SECRET = 'app-secret';

    /** Boots broadcasting with the `Broadcast` facade bound, as an app has it. */
    private static function boot(array $options = []): void
    {
        $app = boot_laravel_broadcasting(['pushcast' => [
            'driver' => 'pushcast', 'key' => self::KEY, 'secret' => self::SECRET, 'app_id' => '12345',
            'options' => $options + test_server_options(),
        ]]);
        $app->alias(BroadcastManager::class, BroadcastFactory::class);
        Facade::clearResolvedInstances();
        Facade::setFacadeApplication($app);
    }

    protected function tearDown(): void
    {
        Facade::clearResolvedInstances();
    }

    public function testGetPusherIsTheClientAndSetPusherReplacesIt(): void
    {
        self::boot(['max_in_flight' => 11]);
        $broadcaster = Broadcast::connection('pushcast');
        self::assertInstanceOf(PushcastBroadcaster::class, $broadcaster);
        self::assertInstanceOf(Client::class, $broadcaster->getPusher());
        self::assertSame($broadcaster->getPushcast(), $broadcaster->getPusher());

        // A client that cannot reach its server: broadcasts go through it from now on.
        $other = new Client('k', 's', '12345', ['host' => '127.0.0.1', 'port' => 1, 'delivery_timeout_ms' => 100, 'queue_capacity' => 98]);
        $broadcaster->setPusher($other);
        self::assertSame($other, Broadcast::connection('pushcast')->getPusher());
        $broadcaster->broadcast([new Channel('replaced')], 'Replaced', ['n' => 1]);
        $failures = [];
        for ($waited = 0; $failures === [] && $waited < 10000; $waited += 20) {
            usleep(20000);
            $failures = $other->failures();
        }
        self::assertSame(['replaced'], array_column($failures, 'channel'));
    }

    public function testChannelInfoAndTriggerThroughGetPusher(): void
    {
        self::boot(['max_in_flight' => 12]);
        $channel = 'orders-' . bin2hex(random_bytes(4));
        $pusher = Broadcast::connection('pushcast')->getPusher();

        // No one subscribed yet: pusher-http-php's answer is an object.
        $info = $pusher->getChannelInfo($channel, ['info' => 'subscription_count']);
        self::assertIsObject($info, 'getChannelInfo answers an object, as pusher-http-php does');
        self::assertFalse($info->occupied);

        $subscriber = MiniSubscriber::subscribe(test_server_url(), self::KEY, $channel);
        try {
            $info = $pusher->getChannelInfo($channel, ['info' => 'subscription_count']);
            self::assertTrue($info->occupied);
            self::assertSame(1, $info->subscription_count);

            $result = $pusher->trigger($channel, 'order.shipped', ['id' => 7, 'note' => 'José/x']);
            self::assertIsObject($result, 'trigger answers an object, as pusher-http-php does');
            $event = $subscriber->next('order.shipped', 10.0);
            self::assertSame($channel, $event['channel']);
            self::assertSame('{"id":7,"note":"Jos\u00e9\/x"}', $event['data'], 'the data is json_encode\'s bytes');

            $channels = $pusher->getChannels(['filter_by_prefix' => $channel]);
            self::assertIsArray($channels->channels);
            self::assertArrayHasKey($channel, $channels->channels);
        } finally {
            $subscriber->close();
        }
    }

    public function testWebhookRoundTrip(): void
    {
        self::boot();
        $pusher = Broadcast::connection('pushcast')->getPusher();
        $body = json_encode(['time_ms' => 1700000000123, 'events' => [
            ['name' => 'channel_occupied', 'channel' => 'orders'],
            ['name' => 'member_added', 'channel' => 'presence-chat.1', 'user_id' => 'u/é'],
        ]]);
        // Pusher signs the body: hex HMAC-SHA256 with the app secret.
        $headers = ['X-Pusher-Key' => self::KEY, 'X-Pusher-Signature' => hash_hmac('sha256', $body, self::SECRET)];

        $hook = $pusher->webhook($headers, $body);
        self::assertSame(1700000000123, $hook->get_time_ms());
        $events = $hook->get_events();
        self::assertCount(2, $events);
        self::assertSame('channel_occupied', $events[0]->name);
        self::assertSame('orders', $events[0]->channel);
        self::assertSame('u/é', $events[1]->user_id);

        try {
            $pusher->webhook($headers, $body . ' ');
            self::fail('a webhook whose body changed after signing was accepted');
        } catch (\Pushcast\PushcastException $e) {
            self::assertStringContainsStringIgnoringCase('signature', $e->getMessage());
        }
    }

    /**
     * The exception classes come from the extension: a PHP process with no autoloader for them
     * (only Laravel's and the driver's classes) catches Pushcast\ValidationException by name.
     */
    public function testTypedExceptionCaughtWithoutAnAutoloaderForIt(): void
    {
        [$status, $out, $err] = run_php_with_extension(
            'require $argv[1];',
            [__DIR__ . '/typed-exception-child.php', PUSHCAST_TEST_BOOTSTRAP, test_server_url(), getenv('PUSHCAST_TEST_SERVER_PROFILE') ?: 'sockudo'],
        );
        $result = json_decode(trim($out), true);
        self::assertIsArray($result, "child exited $status: $out $err");
        self::assertSame([], $result['autoload_attempts'], 'no autoloader was asked for a Pushcast exception class');
        self::assertSame('Pushcast\\ValidationException', $result['caught'] ?? null, $out);
        self::assertTrue($result['internal'], 'registered by the extension, not declared in PHP');
        self::assertTrue($result['is_pushcast_exception']);
        self::assertStringContainsString('bad channel', $result['message']);
    }
}

/**
 * The smallest WebSocket subscriber of the Pusher protocol (RFC 6455 frames, text only): for
 * these tests, which need an occupied channel and the event it receives without Node.
 */
final class MiniSubscriber
{
    /** @param resource $socket */
    private function __construct(private $socket, private string $buffer = '')
    {
    }

    public static function subscribe(string $serverUrl, string $key, string $channel): self
    {
        $host = parse_url($serverUrl, PHP_URL_HOST);
        $port = parse_url($serverUrl, PHP_URL_PORT);
        $socket = stream_socket_client("tcp://$host:$port", $errno, $error, 5);
        if ($socket === false) {
            throw new RuntimeException("connect $serverUrl: $error");
        }
        $wsKey = base64_encode(random_bytes(16));
        fwrite($socket, "GET /app/$key?protocol=7&client=php-test&version=1.0 HTTP/1.1\r\nHost: $host:$port\r\n"
            . "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: $wsKey\r\nSec-WebSocket-Version: 13\r\n\r\n");
        // Reads never wait in fread (a blocking fread can wait for more than is there): they
        // wait in stream_select, until a deadline.
        stream_set_blocking($socket, false);
        $subscriber = new self($socket);
        $head = $subscriber->readUntil("\r\n\r\n", microtime(true) + 10);
        if (!str_starts_with($head, 'HTTP/1.1 101')) {
            throw new RuntimeException("no WebSocket upgrade from $serverUrl: $head");
        }
        $subscriber->next('pusher:connection_established', 10.0);
        $subscriber->send(['event' => 'pusher:subscribe', 'data' => ['channel' => $channel]]);
        $subscriber->next('pusher_internal:subscription_succeeded', 10.0);
        return $subscriber;
    }

    /** The next message named `$event` (others are skipped), decoded. */
    public function next(string $event, float $seconds): array
    {
        $deadline = microtime(true) + $seconds;
        while (microtime(true) < $deadline) {
            $message = json_decode($this->frame($deadline), true);
            if (($message['event'] ?? null) === 'pusher:ping') {
                $this->send(['event' => 'pusher:pong', 'data' => []]);
            }
            if (($message['event'] ?? null) === $event) {
                return $message;
            }
        }
        throw new RuntimeException("no $event within {$seconds}s");
    }

    public function close(): void
    {
        fclose($this->socket);
    }

    private function send(array $message): void
    {
        $payload = json_encode($message);
        $mask = random_bytes(4);
        $length = strlen($payload);
        $header = "\x81" . ($length < 126 ? chr(0x80 | $length) : chr(0x80 | 126) . pack('n', $length));
        $masked = '';
        for ($i = 0; $i < $length; $i++) {
            $masked .= $payload[$i] ^ $mask[$i % 4];
        }
        $frame = $header . $mask . $masked;
        stream_set_blocking($this->socket, true);
        for ($written = 0; $written < strlen($frame);) {
            $n = fwrite($this->socket, substr($frame, $written));
            if ($n === false || $n === 0) {
                throw new RuntimeException('WebSocket write failed');
            }
            $written += $n;
        }
        stream_set_blocking($this->socket, false);
    }

    /** Reads what has arrived into the buffer, waiting for something until the deadline. */
    private function fill(float $deadline): void
    {
        $left = $deadline - microtime(true);
        if ($left <= 0) {
            throw new RuntimeException('WebSocket read timed out');
        }
        $read = [$this->socket];
        $write = $except = null;
        if (stream_select($read, $write, $except, (int) $left, (int) (fmod($left, 1) * 1e6)) > 0) {
            $chunk = fread($this->socket, 65536);
            if ($chunk === false || ($chunk === '' && feof($this->socket))) {
                throw new RuntimeException('WebSocket closed');
            }
            $this->buffer .= $chunk;
        }
    }

    /** Everything up to and including `$end`. */
    private function readUntil(string $end, float $deadline): string
    {
        while (($at = strpos($this->buffer, $end)) === false) {
            $this->fill($deadline);
        }
        $out = substr($this->buffer, 0, $at + strlen($end));
        $this->buffer = substr($this->buffer, $at + strlen($end));
        return $out;
    }

    private function read(int $bytes, float $deadline): string
    {
        while (strlen($this->buffer) < $bytes) {
            $this->fill($deadline);
        }
        $out = substr($this->buffer, 0, $bytes);
        $this->buffer = substr($this->buffer, $bytes);
        return $out;
    }

    /** One text frame's payload (server frames are not masked; control frames are skipped). */
    private function frame(float $deadline): string
    {
        while (true) {
            [$b0, $b1] = array_values(unpack('C2', $this->read(2, $deadline)));
            $length = $b1 & 0x7f;
            if ($length === 126) {
                $length = unpack('n', $this->read(2, $deadline))[1];
            } elseif ($length === 127) {
                $length = unpack('J', $this->read(8, $deadline))[1];
            }
            $payload = $length > 0 ? $this->read($length, $deadline) : '';
            if (($b0 & 0x0f) === 1) {
                return $payload;
            }
        }
    }
}
