<?php

declare(strict_types=1);

use Illuminate\Broadcasting\BroadcastException;
use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Broadcasting\Channel;
use Illuminate\Broadcasting\EncryptedPrivateChannel;
use Illuminate\Broadcasting\PresenceChannel;
use Illuminate\Broadcasting\PrivateChannel;
use Illuminate\Http\Request;
use PHPUnit\Framework\TestCase;
use Pushcast\Laravel\PushcastBroadcaster;
use Symfony\Component\HttpKernel\Exception\AccessDeniedHttpException;

/**
 * The Laravel driver inside Illuminate's own broadcasting (container, config, BroadcastManager),
 * the way an app with `'driver' => 'pushcast'` uses it.
 */
final class BroadcasterTest extends TestCase
{
    private static function broadcaster(array $connection): PushcastBroadcaster
    {
        $app = boot_laravel_broadcasting(['pushcast' => $connection + ['driver' => 'pushcast']]);
        $broadcaster = $app->make(BroadcastManager::class)->connection('pushcast');
        self::assertInstanceOf(PushcastBroadcaster::class, $broadcaster);
        return $broadcaster;
    }

    private static function live(array $options = [], array $connection = []): PushcastBroadcaster
    {
        return self::broadcaster($connection + [
            'key' => 'app-key', 'secret' => 'app-secret', 'app_id' => '12345',
            'options' => $options + test_server_options(),
        ]);
    }

    /** A server that refuses connections, and events that give up quickly: failures show what was sent. */
    private static function unreachable(): PushcastBroadcaster
    {
        return self::broadcaster([
            'key' => 'k', 'secret' => 's', 'app_id' => '12345',
            'options' => ['host' => '127.0.0.1', 'port' => 1, 'delivery_timeout_ms' => 100, 'queue_capacity' => 99],
        ]);
    }

    private static function user(string|int $id, ?string $broadcastId = null): object
    {
        if ($broadcastId === null) {
            return new class ($id) {
                public function __construct(private string|int $id)
                {
                }

                public function getAuthIdentifier()
                {
                    return $this->id;
                }
            };
        }
        // Laravel checks method_exists(), so the broadcast identifier is a real method.
        return new class ($id, $broadcastId) {
            public function __construct(private string|int $id, private string $broadcastId)
            {
            }

            public function getAuthIdentifier()
            {
                return $this->id;
            }

            public function getAuthIdentifierForBroadcasting()
            {
                return $this->broadcastId;
            }
        };
    }

    private static function authRequest(string $channel, ?object $user): Request
    {
        $request = Request::create('/broadcasting/auth', 'POST', ['channel_name' => $channel, 'socket_id' => '1234.5678']);
        $request->setUserResolver(static fn () => $user);
        return $request;
    }

    public function testBroadcastUsesPusherChannelNamesAndDelivers(): void
    {
        $broadcaster = self::live(['max_in_flight' => 5]);
        $broadcaster->broadcast(
            [new Channel('orders'), new PrivateChannel('orders.1'), new PresenceChannel('chat.1')],
            'App\\Events\\OrderShipped',
            ['order' => ['id' => 1, 'note' => 'José/x'], 'socket' => null],
        );
        $flush = $broadcaster->getPushcast()->flush(10000);
        self::assertSame(0, $flush['pending']);
        self::assertSame(3, $flush['stats']['delivered']);

        $failing = self::unreachable();
        $failing->broadcast([new Channel('orders'), new PrivateChannel('orders.1'), new PresenceChannel('chat.1')], 'Shipped', []);
        $failures = [];
        for ($waited = 0; count($failures) < 3 && $waited < 10000; $waited += 20) {
            usleep(20000);
            $failures = array_merge($failures, $failing->getPushcast()->failures());
        }
        $channels = array_column($failures, 'channel');
        sort($channels);
        self::assertSame(['orders', 'presence-chat.1', 'private-orders.1'], $channels);
    }

    /** The quick start: an app with Laravel 11's `reverb` connection only sets BROADCAST_CONNECTION=pushcast. */
    public function testWithoutAPushcastConnectionTheReverbOneIsUsed(): void
    {
        $url = parse_url(test_server_url());
        $app = boot_laravel_broadcasting(['reverb' => [
            'driver' => 'reverb', 'key' => 'app-key', 'secret' => 'app-secret', 'app_id' => '12345',
            'options' => ['host' => $url['host'], 'port' => $url['port'], 'scheme' => $url['scheme'], 'useTLS' => false],
            'client_options' => ['timeout' => 5],
        ]]);
        $made = $app['config']->get('broadcasting.connections.pushcast');
        self::assertSame('pushcast', $made['driver']);
        self::assertSame('reverb', $made['options']['server_profile']);
        self::assertArrayNotHasKey('client_options', $made);
        $broadcaster = $app->make(BroadcastManager::class)->connection('pushcast');
        self::assertInstanceOf(PushcastBroadcaster::class, $broadcaster);
        $info = $broadcaster->getPusher()->getChannelInfo('quick-start');
        self::assertFalse($info->occupied);

        // An app's own pushcast connection is kept as written.
        $own = boot_laravel_broadcasting([
            'reverb' => ['driver' => 'reverb', 'key' => 'k', 'secret' => 's', 'app_id' => '1'],
            'pushcast' => ['driver' => 'pushcast', 'key' => 'mine', 'secret' => 's', 'app_id' => '2'],
        ]);
        self::assertSame('mine', $own['config']->get('broadcasting.connections.pushcast.key'));
    }

    public function testChannelsGoInChunksOfOneHundred(): void
    {
        $broadcaster = self::live(['max_in_flight' => 6]);
        $channels = array_map(static fn ($i) => new Channel("room.$i"), range(1, 150));
        $broadcaster->broadcast($channels, 'Many', ['x' => 1]);
        $flush = $broadcaster->getPushcast()->flush(10000);
        self::assertSame(150, $flush['stats']['delivered']);
    }

    public function testTheSocketToExcludeIsPassedOnAndChecked(): void
    {
        $broadcaster = self::live(['max_in_flight' => 7]);
        $broadcaster->broadcast([new Channel('orders')], 'ToOthers', ['id' => 1, 'socket' => '1234.5678']);
        self::assertSame(1, $broadcaster->getPushcast()->flush(10000)['stats']['delivered']);
        // The socket reaches pushcast: a malformed one is refused (and wrapped).
        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessage('invalid socket id "not-a-socket"');
        $broadcaster->broadcast([new Channel('orders')], 'ToOthers', ['socket' => 'not-a-socket']);
    }

    public function testFailuresBecomeBroadcastExceptionsWithTheServersMessage(): void
    {
        $broadcaster = self::broadcaster([
            'key' => 'app-key', 'secret' => 'wrong-secret', 'app_id' => '12345', 'mode' => 'confirmed',
            'options' => test_server_options(),
        ]);
        try {
            $broadcaster->broadcast([new Channel('orders')], 'Paid', ['id' => 1]);
            self::fail('no exception');
        } catch (BroadcastException $e) {
            self::assertStringStartsWith('Pushcast error: server answered HTTP 401', $e->getMessage());
            self::assertSame(401, $e->getCode());
            self::assertInstanceOf(\Pushcast\ApiErrorException::class, $e->getPrevious());
        }
    }

    public function testPrivateChannelAuth(): void
    {
        $broadcaster = self::live();
        $broadcaster->channel('orders.{id}', static fn ($user, $id) => (int) $id === 1);
        $answer = $broadcaster->auth(self::authRequest('private-orders.1', self::user(7)));
        $expected = 'app-key:' . hash_hmac('sha256', '1234.5678:private-orders.1', 'app-secret');
        self::assertSame(['auth' => $expected], $answer);

        $this->expectException(AccessDeniedHttpException::class);
        $broadcaster->auth(self::authRequest('private-orders.2', self::user(7)));
    }

    public function testGuestsAreDenied(): void
    {
        $broadcaster = self::live();
        $broadcaster->channel('orders.{id}', static fn () => true);
        $this->expectException(AccessDeniedHttpException::class);
        $broadcaster->auth(self::authRequest('private-orders.1', null));
    }

    public function testPresenceAuthUsesTheBroadcastIdentifierAndUserInfo(): void
    {
        $broadcaster = self::live();
        $broadcaster->channel('chat.{room}', static fn ($user, $room) => ['id' => $user->getAuthIdentifier(), 'name' => 'Ada']);
        $answer = $broadcaster->auth(self::authRequest('presence-chat.9', self::user(7, 'uuid-7')));
        $data = json_encode(['user_id' => 'uuid-7', 'user_info' => ['id' => 7, 'name' => 'Ada']]);
        self::assertSame($data, $answer['channel_data']);
        self::assertSame('app-key:' . hash_hmac('sha256', "1234.5678:presence-chat.9:$data", 'app-secret'), $answer['auth']);

        $plain = $broadcaster->auth(self::authRequest('presence-chat.9', self::user(8)));
        self::assertSame('8', json_decode($plain['channel_data'], true)['user_id']);
    }

    public function testEncryptedChannelAuthCarriesTheSharedSecret(): void
    {
        $key = base64_encode(random_bytes(32));
        $broadcaster = self::live(['encryption_master_key_base64' => $key]);
        $broadcaster->channel('vault.{id}', static fn () => true);
        $answer = $broadcaster->auth(self::authRequest('private-encrypted-vault.1', self::user(1)));
        $expected = base64_encode(hash('sha256', 'private-encrypted-vault.1' . base64_decode($key), true));
        self::assertSame($expected, $answer['shared_secret']);

        $broadcaster->broadcast([new EncryptedPrivateChannel('vault.1')], 'Secret', ['pin' => 1234]);
        self::assertSame(0, $broadcaster->getPushcast()->flush(10000)['pending']);
    }

    public function testABadModeOrMissingKeyIsAClearError(): void
    {
        try {
            self::broadcaster(['key' => 'k', 'secret' => 's', 'app_id' => '1', 'mode' => 'sync']);
            self::fail('no exception');
        } catch (\InvalidArgumentException $e) {
            self::assertStringContainsString('`mode` must be "async" or "confirmed"', $e->getMessage());
        }
        $this->expectExceptionMessage('connection key `secret` is missing');
        self::broadcaster(['key' => 'k', 'app_id' => '1']);
    }

    public function testWithoutTheExtensionTheErrorNamesTheIniLine(): void
    {
        $script = 'require "' . __DIR__ . '/bootstrap-no-extension.php";'
            . 'try { Pushcast\\Laravel\\PushcastServiceProvider::broadcaster(["key" => "k", "secret" => "s", "app_id" => "1"]); }'
            . 'catch (RuntimeException $e) { echo $e->getMessage(); }';
        $process = proc_open([PHP_BINARY, '-n', '-d', 'include_path=.:/usr/share/php', '-r', $script], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        proc_close($process);
        self::assertStringContainsString('The pushcast PHP extension is not loaded. Add "extension=pushcast.so"', $out);
    }
}
