<?php

// No strict_types: pusher-http-php's callers (Laravel) call it in PHP's coercive mode, which
// is what turns an integer or a Stringable user id into its `string $user_id`.

use PHPUnit\Framework\TestCase;
use Pushcast\Client;

/**
 * pusher-http-php's answers are the contract of Pushcast\Client: the real pusher-http-php (the
 * Reverb app's vendor directory, ../shared) runs in this process and both must answer the same
 * bytes. No server is needed.
 */
final class PusherParityTest extends TestCase
{
    private const KEY = 'thisisaauthkey';
    private const SECRET = 'thisisasecret';

    private static ?string $vendor = null;

    public static function setUpBeforeClass(): void
    {
        require_once __DIR__ . '/pusher-http-php.php';
        self::$vendor = pusher_http_php_vendor();
    }

    protected function setUp(): void
    {
        if (self::$vendor === null) {
            self::markTestSkipped('pusher-http-php not found (../shared/reverb/app/vendor): the parity tests need it');
        }
    }

    private static function masterKey(): string
    {
        return base64_encode(str_repeat('a', 32));
    }

    private static function pusher(array $options = []): \Pusher\Pusher
    {
        return new \Pusher\Pusher(self::KEY, self::SECRET, '1', $options + ['host' => '127.0.0.1', 'port' => 1]);
    }

    private static function pushcast(array $options = []): Client
    {
        return new Client(self::KEY, self::SECRET, '1', $options + ['host' => '127.0.0.1', 'port' => 1]);
    }

    private static function signedHeaders(string $body): array
    {
        return ['X-Pusher-Key' => self::KEY, 'X-Pusher-Signature' => hash_hmac('sha256', $body, self::SECRET)];
    }

    /** pusher-http-php's webhook events (a list of objects). */
    private static function pusherEvents(\Pusher\Pusher $pusher, string $body): array
    {
        return $pusher->webhook(self::signedHeaders($body), $body)->get_events();
    }

    // 1. Encrypted data written by PHP's json_encode (`\/`) decrypts.
    public function testWebhookDecryptsDataWrittenByPhpJsonEncode(): void
    {
        $channel = 'private-encrypted-room';
        $crypto = new \Pusher\PusherCrypto(str_repeat('a', 32));
        do {
            $sealed = $crypto->encrypt_payload($channel, '{"message":"a/b é"}');
        } while (!str_contains($sealed, '\/'));
        $body = json_encode(['time_ms' => 1700000000000, 'events' => [
            ['name' => 'client_event', 'channel' => $channel, 'event' => 'client-x', 'data' => $sealed, 'socket_id' => '1.1', 'user_id' => 'u'],
        ]]);
        $options = ['encryption_master_key_base64' => self::masterKey()];
        $expected = self::pusherEvents(self::pusher($options), $body);
        $hook = self::pushcast($options)->webhook(self::signedHeaders($body), $body);
        self::assertSame('{"message":"a/b é"}', $expected[0]->data);
        self::assertEquals($expected, $hook->get_events());
        self::assertSame(json_encode($expected), json_encode($hook->get_events()));
        self::assertSame(1700000000000, $hook->get_time_ms());
    }

    // 2. Fields the library does not know are kept, with PHP's json_decode types and order.
    public function testWebhookKeepsEveryField(): void
    {
        $body = '{"time_ms":1700000000001,"events":['
            . '{"name":"subscription_count","channel":"c","subscription_count":5},'
            . '{"channel":"presence-a","name":"member_added","user_id":"7","extra":{"n":1.5,"list":[1,"x",null,true]}},'
            . '{"name":"cache_miss","channel":"cache-a"}]}';
        $expected = self::pusherEvents(self::pusher(), $body);
        $hook = self::pushcast()->webhook(self::signedHeaders($body), $body);
        self::assertSame(5, $hook->get_events()[0]->subscription_count);
        self::assertEquals($expected, $hook->get_events());
        // Same types and property order.
        self::assertSame(var_export($expected, true), var_export($hook->get_events(), true));
    }

    // 3. User sign-in: the answer is pusher-http-php's json_encode (slashes and non-ASCII escaped).
    public function testUserSignInAnswerIsByteIdentical(): void
    {
        foreach ([['id' => 'a/b'], ['id' => 'é', 'name' => 'José/x'], ['id' => '1', 'watchlist' => ['x', 'y']]] as $user) {
            self::assertSame(self::pusher()->authenticateUser('1.1', $user), self::pushcast()->authenticateUser('1.1', $user));
        }
    }

    // 4. Channel authorization: JSON_UNESCAPED_SLASHES only, so non-ASCII is `\uXXXX`.
    public function testAuthorizeChannelAnswersAreByteIdentical(): void
    {
        $options = ['encryption_master_key_base64' => self::masterKey()];
        $cases = [
            ['presence-a', '1.1', '{"user_id":"é"}'],
            ['presence-a', '1.1', '{"user_id":"a/b","user_info":{"name":"José/x"}}'],
            ['presence-a', '1.1', '{"user_id": "𝄞"}'],
            ['private-a', '45055.28877557', null],
            ['private-encrypted-a', '1.1', null],
        ];
        foreach ($cases as [$channel, $socket, $data]) {
            self::assertSame(
                self::pusher($options)->authorizeChannel($channel, $socket, $data),
                self::pushcast($options)->authorizeChannel($channel, $socket, $data),
                "$channel $data"
            );
        }
    }

    // 5. user_info is left out when PHP finds it falsy.
    public function testFalsyUserInfoIsLeftOutTruthyKept(): void
    {
        foreach ([null, false, 0, 0.0, '', '0', [], true, 1, 'x', ['a' => 1], ['x'], new \stdClass(), ['name' => 'José/x']] as $info) {
            self::assertSame(
                self::pusher()->authorizePresenceChannel('presence-a', '1.1', 'u', $info),
                self::pushcast()->authorizePresenceChannel('presence-a', '1.1', 'u', $info),
                var_export($info, true)
            );
        }
    }

    // 6. Empty and "0" custom data mean no custom data.
    public function testEmptyAndZeroCustomDataMeanNone(): void
    {
        foreach (['private-a', 'presence-a'] as $channel) {
            foreach (['', '0', null] as $data) {
                self::assertSame(
                    self::pusher()->authorizeChannel($channel, '1.1', $data),
                    self::pushcast()->authorizeChannel($channel, '1.1', $data),
                    "$channel " . var_export($data, true)
                );
            }
        }
    }

    // 7. user_info nests as deep as PHP's json_encode allows (512), and fails past it in both.
    public function testDeeplyNestedUserInfo(): void
    {
        foreach ([127, 200, 510] as $depth) {
            $info = 'leaf';
            for ($i = 0; $i < $depth; $i++) {
                $info = ['k' => $info];
            }
            self::assertSame(
                self::pusher()->authorizePresenceChannel('presence-a', '1.1', 'u', $info),
                self::pushcast()->authorizePresenceChannel('presence-a', '1.1', 'u', $info),
                "depth $depth"
            );
        }
        $info = 'leaf';
        for ($i = 0; $i < 600; $i++) {
            $info = [$info];
        }
        foreach ([self::pusher(), self::pushcast()] as $client) {
            try {
                $client->authorizePresenceChannel('presence-a', '1.1', 'u', $info);
                self::fail(get_class($client) . ' accepted user_info nested 600 deep');
            } catch (\Exception $e) {
                self::assertNotSame('', $e->getMessage());
            }
        }
    }

    // 8. A user id is stringified as PHP's `string $user_id` parameter does (Stringable, int, float).
    public function testUserIdIsStringifiedLikePhp(): void
    {
        $uuid = new class () {
            public function __toString(): string
            {
                return 'f47ac10b-58cc-4372-a567-0e02b2c3d479';
            }
        };
        foreach ([$uuid, 7, 1.5, 0.1 + 0.2, 'u/é'] as $id) {
            self::assertSame(
                self::pusher()->authorizePresenceChannel('presence-a', '1.1', $id, ['n' => 1]),
                self::pushcast()->authorizePresenceChannel('presence-a', '1.1', $id, ['n' => 1]),
                var_export($id, true)
            );
        }
    }

    // 9. An empty master key (a common .env default) is no key.
    public function testEmptyMasterKeyIsNoKey(): void
    {
        $options = ['encryption_master_key_base64' => ''];
        self::assertSame(
            self::pusher($options)->authorizeChannel('private-a', '1.1'),
            self::pushcast($options)->authorizeChannel('private-a', '1.1')
        );
        foreach ([self::pusher($options), self::pushcast($options)] as $client) {
            try {
                $client->authorizeChannel('private-encrypted-a', '1.1');
                self::fail(get_class($client) . ' authorized an encrypted channel without a key');
            } catch (\Exception $e) {
                self::assertStringContainsStringIgnoringCase('master key', $e->getMessage());
            }
        }
    }

    // 10. The host loses its scheme prefix; scheme and port come from pusher-http-php's rules.
    public function testHostSchemePrefixIsStrippedAsPusherDoes(): void
    {
        // One listener per case: a client whose event was cut off retries on its own port.
        $cases = [
            // [options but the port, scheme pusher-http-php uses, the first bytes on the wire]
            [['host' => 'http://127.0.0.1'], 'http', 'POST /apps/1/'],
            [['host' => 'https://127.0.0.1', 'scheme' => 'http'], 'http', 'POST /apps/1/'],
            [['host' => 'http://127.0.0.1', 'scheme' => 'https'], 'https', "\x16\x03"], // TLS handshake
        ];
        foreach ($cases as $i => [$options, $scheme, $wire]) {
            $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
            self::assertNotFalse($server, "listen: $error");
            $port = (int) substr(strrchr(stream_socket_get_name($server, false), ':'), 1);
            $options['port'] = $port;
            $settings = self::pusher($options)->getSettings();
            self::assertSame([$scheme, '127.0.0.1', $port], [$settings['scheme'], $settings['host'], $settings['port']]);
            $client = self::pushcast($options + ['delivery_timeout_ms' => 300, 'shutdown_timeout_ms' => 50]);
            self::assertEquals(new \stdClass(), $client->trigger('c', 'e', ['n' => $i]));
            $connection = stream_socket_accept($server, 5);
            self::assertNotFalse($connection, 'pushcast did not connect to ' . json_encode($options));
            stream_set_timeout($connection, 5);
            $head = '';
            while (strlen($head) < strlen($wire) && !feof($connection)) {
                $head .= fread($connection, strlen($wire) - strlen($head));
            }
            fclose($connection);
            fclose($server);
            self::assertSame(bin2hex($wire), bin2hex($head), json_encode($options));
        }
    }

    // 10. Stricter than pusher-http-php (which builds `https://127.0.0.1:6001:443` and fails on
    // the first request): a host that still holds a port, a path or a stray scheme is refused
    // when the client is built.
    public function testHostThatIsNotAHostIsRefusedAtConstruction(): void
    {
        foreach (['http://127.0.0.1:6001', '127.0.0.1/apps', 'http://http://x', '', 'user@host'] as $host) {
            try {
                new Client(self::KEY, self::SECRET, '1', ['host' => $host]);
                self::fail("host $host was accepted");
            } catch (\Pushcast\ValidationException $e) {
                self::assertStringContainsString('host', $e->getMessage());
            }
        }
    }
}
