<?php

// No strict_types, as in PusherParityTest: pusher-http-php's callers use coercive mode.

use PHPUnit\Framework\TestCase;
use Pushcast\Client;

/**
 * The rest of pusher-http-php's public surface, compared with the real pusher-http-php 7.2
 * (the Reverb app's vendor directory, ../shared) running in this process: both clients talk
 * to the sockudo of scripts/test-php and their decoded answers must have the same shape
 * (same classes, same property names, same values).
 */
final class PusherSurfaceTest extends TestCase
{
    private const KEY = 'app-key';
    private const SECRET = 'app-secret';
    private const APP_ID = '12345';

    private static ?string $vendor = null;

    public static function setUpBeforeClass(): void
    {
        require_once __DIR__ . '/pusher-http-php.php';
        $vendor = self::$vendor = pusher_http_php_vendor();
        if ($vendor === null) {
            return;
        }
        $functions = $vendor . '/guzzlehttp/guzzle/src/functions_include.php';
        if (is_file($functions)) {
            require_once $functions;
        }
    }

    protected function setUp(): void
    {
        if (self::$vendor === null) {
            self::markTestSkipped('pusher-http-php not found (../shared/reverb/app/vendor): the surface tests need it');
        }
    }

    /** [host, port] of the sockudo that scripts/test-php started. */
    private static function server(): array
    {
        $url = getenv('SOCKUDO_URL');
        if ($url === false || $url === '') {
            self::fail('SOCKUDO_URL is not set: run scripts/test-php');
        }
        $parts = parse_url($url);
        return [$parts['host'], $parts['port']];
    }

    private static function pusher(string $secret = self::SECRET): \Pusher\Pusher
    {
        [$host, $port] = self::server();
        return new \Pusher\Pusher(self::KEY, $secret, self::APP_ID, ['host' => $host, 'port' => $port, 'scheme' => 'http', 'useTLS' => false]);
    }

    /** Pusher-style options (host, port, scheme), as an app switching from pusher-http-php passes them. */
    private static function pushcast(array $options = [], string $secret = self::SECRET): Client
    {
        [$host, $port] = self::server();
        return new Client(self::KEY, $secret, self::APP_ID, $options + [
            'host' => $host, 'port' => $port, 'scheme' => 'http', 'useTLS' => false, 'server_profile' => 'sockudo',
        ]);
    }

    /**
     * A value's shape: classes, property names, array keys, scalar types and values, all the
     * way down. Names are sorted: sockudo sends an answer's fields in a different order each
     * time (a hash map), so the order is not part of the contract. sockudo's
     * `acknowledgement_id` differs per request: its type is compared, not its value.
     */
    private static function shape($value)
    {
        if (is_object($value)) {
            $properties = array_map([self::class, 'shape'], get_object_vars($value));
            if (isset($properties['acknowledgement_id'])) {
                $properties['acknowledgement_id'] = get_debug_type($value->acknowledgement_id);
            }
            ksort($properties);
            return ['class' => get_class($value), 'properties' => $properties];
        }
        if (is_array($value)) {
            $items = array_map([self::class, 'shape'], $value);
            if (!array_is_list($items)) {
                ksort($items);
            }
            return ['array' => $items];
        }
        return [get_debug_type($value) => $value];
    }

    /** The same values, classes and property names all the way down. */
    private static function assertSameShape($expected, $actual, string $what): void
    {
        self::assertSame(self::shape($expected), self::shape($actual), $what);
    }

    /**
     * A trigger's answer without `info` as Pusher and Reverb send it, `{}`: sockudo adds
     * `"ok": true`, which pushcast does not reproduce (its events travel in batches, so there
     * is no per-trigger answer to pass on).
     */
    private static function withoutOk(object $answer): object
    {
        $answer = clone $answer;
        unset($answer->ok);
        return $answer;
    }

    public function testTriggerAnswersHaveTheShapesOfPusherHttpPhp(): void
    {
        $pusher = self::pusher();
        $pushcast = self::pushcast();
        // Without info: the server's `{}` decoded, an empty stdClass (pushcast: queued).
        $expected = $pusher->trigger('surface-a', 'e', ['n' => 1]);
        self::assertTrue($expected->ok); // sockudo's
        self::assertSameShape(self::withoutOk($expected), $pushcast->trigger('surface-a', 'e', ['n' => 1]), 'trigger');
        self::assertSameShape(new \stdClass(), $pushcast->trigger(['surface-a', 'surface-b'], 'e', []), 'trigger to two channels');
        self::assertSameShape(self::withoutOk($pusher->sendToUser('42', 'e', [])), $pushcast->sendToUser('42', 'e', []), 'sendToUser');
        $batch = [['channel' => 'surface-a', 'name' => 'e', 'data' => ['x' => 1]]];
        self::assertSameShape(self::withoutOk($pusher->triggerBatch($batch)), $pushcast->triggerBatch($batch), 'triggerBatch');

        // With info: pushcast waits for delivery and returns the server's answer, `channels`
        // an array keyed by channel name of objects (pusher-http-php's process_trigger_result).
        $params = ['info' => 'subscription_count'];
        $expected = $pusher->trigger(['surface-a', 'surface-b'], 'e', [], $params);
        $actual = $pushcast->trigger(['surface-a', 'surface-b'], 'e', [], $params);
        self::assertIsArray($expected->channels);
        self::assertIsArray($actual->channels);
        // Every attribute as the server sent it, sockudo's acknowledgement_id included.
        self::assertSameShape($expected, $actual, 'trigger with info');
        self::assertTrue(property_exists($actual->channels['surface-a'], 'acknowledgement_id'));
        self::assertSame(0, $actual->channels['surface-b']->subscription_count);

        $batch = [
            ['channel' => 'surface-a', 'name' => 'e', 'data' => [], 'info' => 'subscription_count'],
            ['channel' => 'surface-b', 'name' => 'e', 'data' => []],
        ];
        $expected = $pusher->triggerBatch($batch);
        $actual = $pushcast->triggerBatch($batch);
        self::assertIsArray($expected->batch);
        self::assertSameShape($expected, $actual, 'triggerBatch with info');
    }

    public function testQueryAnswersHaveTheShapesOfPusherHttpPhp(): void
    {
        $pusher = self::pusher();
        $pushcast = self::pushcast();
        self::assertSameShape($pusher->getChannels(), $pushcast->getChannels(), 'getChannels');
        self::assertIsArray($pushcast->getChannels()->channels);
        $params = ['filter_by_prefix' => 'presence-', 'info' => 'user_count'];
        self::assertSameShape($pusher->getChannels($params), $pushcast->getChannels($params), 'getChannels with params');
        self::assertSameShape($pusher->get_channels(), $pushcast->get_channels(), 'get_channels');

        $info = ['info' => 'subscription_count'];
        $expected = $pusher->getChannelInfo('surface-q', $info);
        self::assertTrue(property_exists($expected, 'occupied'));
        self::assertSameShape($expected, $pushcast->getChannelInfo('surface-q', $info), 'getChannelInfo');
        self::assertSameShape($pusher->get_channel_info('surface-q'), $pushcast->get_channel_info('surface-q'), 'get_channel_info');

        $expected = $pusher->getPresenceUsers('presence-surface');
        self::assertSame([], $expected->users);
        self::assertSameShape($expected, $pushcast->getPresenceUsers('presence-surface'), 'getPresenceUsers');
        self::assertSameShape($pusher->get_users_info('presence-surface'), $pushcast->get_users_info('presence-surface'), 'get_users_info');

        self::assertSameShape($pusher->terminateUserConnections('42'), $pushcast->terminateUserConnections('42'), 'terminateUserConnections');
    }

    public function testRawGetAndPostAreSignedAndDecodedAsPusherHttpPhpDoes(): void
    {
        $pusher = self::pusher();
        $pushcast = self::pushcast();
        self::assertSameShape($pusher->get('/channels'), $pushcast->get('/channels'), 'get');
        self::assertSameShape($pusher->get('/channels', [], true), $pushcast->get('/channels', [], true), 'get associative');
        self::assertIsArray($pushcast->get('/channels', ['filter_by_prefix' => 'surface-'], true));
        $body = json_encode(['name' => 'raw', 'channels' => ['surface-raw'], 'data' => '{}']);
        self::assertSameShape($pusher->post('/events', $body), $pushcast->post('/events', $body), 'post');
        self::assertSameShape($pusher->postAsync('/events', $body)->wait(), $pushcast->postAsync('/events', $body)->wait(), 'postAsync');

        // A refusal: ApiErrorException with the HTTP status, as pusher-http-php's.
        foreach ([[self::pusher('wrong'), \Pusher\ApiErrorException::class], [self::pushcast(['max_in_flight' => 7], 'wrong'), \Pushcast\ApiErrorException::class]] as [$client, $class]) {
            try {
                $client->get('/channels');
                self::fail('no exception');
            } catch (\Exception $e) {
                self::assertInstanceOf($class, $e);
                self::assertSame(401, $e->getCode());
            }
        }
    }

    public function testAsyncMethodsSettleOnDeliveryWithTheSyncValues(): void
    {
        $pusher = self::pusher();
        $pushcast = self::pushcast();
        $promise = $pushcast->triggerAsync('surface-async', 'e', ['n' => 1]);
        self::assertInstanceOf(\Pushcast\Promise::class, $promise);
        self::assertSameShape(self::withoutOk($pusher->triggerAsync('surface-async', 'e', ['n' => 1])->wait()), $promise->wait(), 'triggerAsync');
        self::assertSame('fulfilled', $promise->getState());

        $params = ['info' => 'subscription_count'];
        self::assertSameShape(
            $pusher->triggerAsync('surface-async', 'e', [], $params)->wait(),
            $pushcast->triggerAsync('surface-async', 'e', [], $params)->wait(),
            'triggerAsync with info'
        );
        $batch = [['channel' => 'surface-async', 'name' => 'e', 'data' => []]];
        self::assertSameShape(self::withoutOk($pusher->triggerBatchAsync($batch)->wait()), $pushcast->triggerBatchAsync($batch)->wait(), 'triggerBatchAsync');
        self::assertSameShape(self::withoutOk($pusher->sendToUserAsync('42', 'e', [])->wait()), $pushcast->sendToUserAsync('42', 'e', [])->wait(), 'sendToUserAsync');
        self::assertSameShape(
            $pusher->terminateUserConnectionsAsync('42')->wait(),
            $pushcast->terminateUserConnectionsAsync('42')->wait(),
            'terminateUserConnectionsAsync'
        );

        // then(): chained callbacks see the value; the chain's value is what they return.
        $seen = null;
        $chained = $pushcast->triggerAsync('surface-async', 'e', [])
            ->then(function ($value) use (&$seen) {
                $seen = $value;
                return 'delivered';
            });
        self::assertSame('delivered', $chained->wait());
        self::assertEquals(new \stdClass(), $seen);

        // Bad input throws at once, as pusher-http-php validates before it sends.
        $this->expectException(\Pushcast\ValidationException::class);
        $pushcast->triggerAsync('bad channel', 'e', []);
    }

    public function testAsyncRefusalsRejectWithTheTypedException(): void
    {
        $wrong = self::pushcast(['max_in_flight' => 6], 'wrong');
        $promise = $wrong->triggerAsync('surface-rejected', 'e', []);
        try {
            $promise->wait();
            self::fail('no exception');
        } catch (\Pushcast\ApiErrorException $e) {
            self::assertSame(401, $e->getCode());
        }
        self::assertSame('rejected', $promise->getState());
        self::assertNull($promise->wait(false));
        $reason = $promise->then(null, fn (\Throwable $e) => [get_class($e), $e->getCode()])->wait();
        self::assertSame([\Pushcast\ApiErrorException::class, 401], $reason);
        // A callback that throws rejects the chained promise with its exception.
        $failing = $wrong->triggerAsync('surface-rejected', 'e', [])->then(null, function () {
            throw new \DomainException('handled', 3);
        });
        try {
            $failing->wait();
            self::fail('no exception');
        } catch (\DomainException $e) {
            self::assertSame(3, $e->getCode());
        }
        // The other async methods reject the same way.
        try {
            $wrong->terminateUserConnectionsAsync('42')->wait();
            self::fail('no exception');
        } catch (\Pushcast\ApiErrorException $e) {
            self::assertSame(401, $e->getCode());
        }
    }

    public function testDroppedEventsAreAnObjectAndGoToTheLogger(): void
    {
        $client = new Client('k', 's', '1', [
            'host' => '127.0.0.1', 'port' => 1, 'queue_capacity' => 1, 'backpressure' => 'drop_newest',
            'delivery_timeout_ms' => 200, 'shutdown_timeout_ms' => 50,
        ]);
        $logger = new class {
            public array $records = [];
            public function log($level, $message, array $context = []): void
            {
                $this->records[] = [$level, $message, $context];
            }
        };
        $client->setLogger($logger);
        self::assertEquals(new \stdClass(), $client->trigger('surface-drop', 'first', []));
        $dropped = $client->trigger('surface-drop', 'second', []);
        self::assertInstanceOf(\stdClass::class, $dropped);
        self::assertTrue($dropped->dropped);
        self::assertSame(1, $client->stats()['dropped_newest']);
        // Each queued event at debug level (as pusher-http-php logs each trigger), with a
        // PSR-3 context; the drop as a warning.
        self::assertSame(['debug', 'pushcast: queue {event} for {channels}', ['event' => 'first', 'channels' => 'surface-drop']], $logger->records[0]);
        $warnings = array_values(array_filter($logger->records, fn ($r) => $r[0] === 'warning'));
        self::assertCount(1, $warnings);
        self::assertStringContainsString('second', $warnings[0][1]);
        self::assertStringContainsString('dropped', $warnings[0][1]);
    }

    /**
     * The engine's own messages (here: TLS verification off, said when the engine starts) go
     * to the logger; without one, to PHP's error log instead of the worker's stderr.
     */
    public function testEngineMessagesGoToTheLoggerOrThePhpErrorLog(): void
    {
        $options = [
            'endpoints' => ['https://127.0.0.1:1'], 'verify' => false, 'queue_capacity' => 4321,
            'delivery_timeout_ms' => 100, 'shutdown_timeout_ms' => 10,
        ];
        $client = new Client('k', 's', '1', $options);
        $logger = new class {
            public array $records = [];
            public function log($level, $message, array $context = []): void
            {
                $this->records[] = [$level, $message];
            }
        };
        $client->setLogger($logger);
        $client->trigger('surface-tls', 'e', []);
        $warnings = array_values(array_filter($logger->records, fn ($r) => $r[0] === 'warning'));
        self::assertCount(1, $warnings, json_encode($logger->records));
        self::assertStringContainsString('TLS certificate verification is OFF', $warnings[0][1]);

        // Without a logger: PHP's error log (a file here), not the process's stderr.
        $log = tempnam(sys_get_temp_dir(), 'pushcast-log');
        $script = '$c = new Pushcast\\Client("k", "s", "1", json_decode($argv[1], true)); $c->trigger("c", "e", []); echo "published";';
        $command = [PHP_BINARY, '-n', '-d', 'extension=' . getenv('PUSHCAST_EXTENSION'), '-d', 'log_errors=1', '-d', "error_log=$log", '-r', $script, json_encode($options)];
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        self::assertIsResource($process);
        $stdout = stream_get_contents($pipes[1]);
        $stderr = stream_get_contents($pipes[2]);
        self::assertSame(0, proc_close($process), $stderr);
        $logged = (string) file_get_contents($log);
        unlink($log);
        self::assertSame('published', $stdout);
        self::assertStringContainsString('TLS certificate verification is OFF', $logged);
        self::assertStringNotContainsString('TLS certificate verification is OFF', $stderr);
    }

    public function testSettingsHaveTheKeysOfPusherHttpPhp(): void
    {
        $cases = [
            [],
            ['host' => 'example.com', 'port' => 6001, 'scheme' => 'http', 'path' => '/proxy', 'timeout' => 7],
            ['cluster' => 'eu'],
            ['host' => 'https://ws.example.com', 'useTLS' => true],
        ];
        foreach ($cases as $options) {
            $expected = (new \Pusher\Pusher(self::KEY, self::SECRET, self::APP_ID, $options))->getSettings();
            $actual = (new Client(self::KEY, self::SECRET, self::APP_ID, $options))->getSettings();
            self::assertSame(array_keys($expected), array_keys($actual), json_encode($options));
            self::assertEquals($expected, $actual, json_encode($options));
        }
    }

    /**
     * Every public method of Pusher\Pusher exists on Pushcast\Client with the same parameter
     * names (named arguments) and return type, but for: the four Guzzle request builders and
     * static helpers, the promise class (Pushcast\Promise, not Guzzle's interface), and
     * webhook()'s class and optional maximum age.
     */
    public function testEveryPusherMethodHasTheSameSignature(): void
    {
        $pusher = new \ReflectionClass(\Pusher\Pusher::class);
        $pushcast = new \ReflectionClass(Client::class);
        $missing = [];
        $compared = 0;
        foreach ($pusher->getMethods(\ReflectionMethod::IS_PUBLIC) as $method) {
            $name = $method->getName();
            if (!$pushcast->hasMethod($name)) {
                $missing[] = $name;
                continue;
            }
            $ours = $pushcast->getMethod($name);
            $names = static fn (\ReflectionMethod $m) => array_map(static fn ($p) => $p->getName(), $m->getParameters());
            $expected = $names($method);
            if ($name === 'webhook') {
                $expected[] = 'max_age_ms';
            }
            self::assertSame($expected, $names($ours), $name);
            $returns = (string) $method->getReturnType();
            if ($returns === \GuzzleHttp\Promise\PromiseInterface::class) {
                $returns = \Pushcast\Promise::class;
            } elseif ($name === 'webhook') {
                $returns = \Pushcast\Webhook::class;
            }
            if ($returns !== '') {
                self::assertSame($returns, (string) $ours->getReturnType(), $name);
            }
            $compared++;
        }
        sort($missing);
        self::assertSame(['array_implode', 'build_auth_query_params', 'make_batch_request', 'make_request'], $missing);
        self::assertGreaterThan(25, $compared);
    }

    public function testConstructorTakesPusherHttpPhpsArguments(): void
    {
        // Named as pusher-http-php names them, and Laravel's null fifth argument (no Guzzle client).
        $client = new Client(auth_key: 'k', secret: 's', app_id: '9', options: ['host' => '127.0.0.1', 'port' => 1], client: null);
        self::assertSame(['k', 's', '9'], [$client->getSettings()['auth_key'], $client->getSettings()['secret'], $client->getSettings()['app_id']]);
        $this->expectException(\Pushcast\ValidationException::class);
        $this->expectExceptionMessage('takes no Guzzle client');
        new Client('k', 's', '9', [], new \stdClass());
    }

    public function testPathOptionPrefixesTheRequestPath(): void
    {
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        self::assertNotFalse($server, "listen: $error");
        $port = (int) substr(strrchr(stream_socket_get_name($server, false), ':'), 1);
        $client = new Client(self::KEY, self::SECRET, self::APP_ID, [
            'host' => '127.0.0.1', 'port' => $port, 'path' => '/proxy/', 'delivery_timeout_ms' => 300, 'shutdown_timeout_ms' => 50,
        ]);
        self::assertSame('/proxy', $client->getSettings()['path']);
        $client->trigger('surface-path', 'e', []);
        $connection = stream_socket_accept($server, 5);
        self::assertNotFalse($connection);
        stream_set_timeout($connection, 5);
        $line = fgets($connection);
        fclose($connection);
        fclose($server);
        // One event may travel alone (`/events`) or in a batch (`/batch_events`): the prefix is the point.
        self::assertMatchesRegularExpression('#^POST /proxy/apps/12345/(batch_)?events\?#', $line);
    }

    public function testDeprecatedAliasesAnswerAsPusherHttpPhp(): void
    {
        $pusher = new \Pusher\Pusher('thisisaauthkey', 'thisisasecret', '1', ['host' => '127.0.0.1', 'port' => 1]);
        $pushcast = new Client('thisisaauthkey', 'thisisasecret', '1', ['host' => '127.0.0.1', 'port' => 1]);
        self::assertSame($pusher->socket_auth('private-a', '1.1'), $pushcast->socket_auth('private-a', '1.1'));
        self::assertSame($pusher->socketAuth('presence-a', '1.1', '{"user_id":"1"}'), $pushcast->socketAuth('presence-a', '1.1', '{"user_id":"1"}'));
        self::assertSame($pusher->presence_auth('presence-a', '1.1', '7', ['n' => 'é']), $pushcast->presence_auth('presence-a', '1.1', '7', ['n' => 'é']));
        self::assertSame($pusher->presenceAuth('presence-a', '1.1', '7'), $pushcast->presenceAuth('presence-a', '1.1', '7'));
        $body = '{"time_ms":1,"events":[]}';
        $headers = ['X-Pusher-Key' => 'thisisaauthkey', 'X-Pusher-Signature' => hash_hmac('sha256', $body, 'thisisasecret')];
        $pusher->ensure_valid_signature($headers, $body);
        $pushcast->ensure_valid_signature($headers, $body);
        $headers['X-Pusher-Signature'] = str_repeat('0', 64);
        $this->expectException(\Pushcast\PushcastException::class);
        $pushcast->ensure_valid_signature($headers, $body);
    }

    public function testWebhookIsAnObjectLikePushersWebhook(): void
    {
        $body = '{"time_ms":1700000000002,"events":[{"name":"channel_occupied","channel":"surface-w"},{"name":"member_added","channel":"presence-w","user_id":"7"}]}';
        $headers = ['X-Pusher-Key' => 'thisisaauthkey', 'X-Pusher-Signature' => hash_hmac('sha256', $body, 'thisisasecret')];
        $expected = (new \Pusher\Pusher('thisisaauthkey', 'thisisasecret', '1'))->webhook($headers, $body);
        $actual = (new Client('thisisaauthkey', 'thisisasecret', '1', ['host' => '127.0.0.1', 'port' => 1]))->webhook($headers, $body);
        self::assertInstanceOf(\Pushcast\Webhook::class, $actual);
        self::assertSame($expected->get_time_ms(), $actual->get_time_ms());
        self::assertSameShape($expected->get_events(), $actual->get_events(), 'webhook events');
        self::assertSame('7', $actual->get_events()[1]->user_id);
    }

    /**
     * The exception classes come from the extension: a PHP without any autoloader (`-n`, no
     * Composer, no test bootstrap) has them, with their parents and codes.
     */
    public function testExceptionClassesExistWithoutAnyAutoloader(): void
    {
        $script = <<<'PHP'
            $out = [];
            foreach (['ValidationException', 'ApiErrorException', 'QueueFullException', 'TimeoutException', 'CircuitOpenException'] as $name) {
                $class = "Pushcast\\$name";
                $out[$name] = [class_exists($class, false), get_parent_class($class)];
            }
            $out['PushcastException'] = [class_exists('Pushcast\PushcastException', false), get_parent_class('Pushcast\PushcastException')];
            $out['autoloaders'] = count(spl_autoload_functions());
            try {
                (new Pushcast\Client('k', 's', '1', ['host' => '127.0.0.1', 'port' => 1]))->trigger('bad channel', 'e', []);
            } catch (Pushcast\ValidationException $e) {
                $out['validation'] = [$e->getCode(), $e->getLine() > 0];
            }
            $full = new Pushcast\Client('k', 's', '1', ['host' => '127.0.0.1', 'port' => 1, 'queue_capacity' => 1, 'shutdown_timeout_ms' => 10]);
            $full->trigger('q', 'e', []);
            try {
                $full->trigger('q', 'e', []);
            } catch (Pushcast\QueueFullException $e) {
                $out['queue_full'] = $e->getCode();
            }
            try {
                $full->triggerConfirmed('q2', 'e', [], [], 50);
            } catch (Pushcast\PushcastException $e) {
                $out['confirmed'] = [get_class($e), $e->getCode()];
            }
            class AppException extends Pushcast\ApiErrorException {}
            $mine = new AppException('mine', 418);
            $out['extended'] = [$mine->getMessage(), $mine->getCode(), $mine instanceof Pushcast\PushcastException, $mine instanceof Exception];
            $out['api_string'] = (string) new Pushcast\ApiErrorException('the body', 401);
            echo json_encode($out);
            PHP;
        $command = [PHP_BINARY, '-n', '-d', 'extension=' . getenv('PUSHCAST_EXTENSION'), '-r', $script];
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        self::assertIsResource($process);
        $stdout = stream_get_contents($pipes[1]);
        $stderr = stream_get_contents($pipes[2]);
        self::assertSame(0, proc_close($process), $stderr);
        $out = json_decode($stdout, true);
        self::assertIsArray($out, $stdout . $stderr);
        self::assertSame([true, 'Exception'], $out['PushcastException']);
        foreach (['ValidationException', 'ApiErrorException', 'QueueFullException', 'TimeoutException', 'CircuitOpenException'] as $name) {
            self::assertSame([true, 'Pushcast\PushcastException'], $out[$name], $name);
        }
        self::assertSame(0, $out['autoloaders']);
        self::assertSame([1000, true], $out['validation']); // PUSHCAST_RESULT_INVALID_CHANNEL
        self::assertSame(5000, $out['queue_full']); // PUSHCAST_RESULT_QUEUE_FULL
        // The queue is still full: a confirmed publish reports it (fail_fast is the default).
        self::assertSame(['Pushcast\QueueFullException', 5000], $out['confirmed']);
        self::assertSame(['mine', 418, true, true], $out['extended']);
        // As pusher-http-php's ApiErrorException::__toString.
        self::assertSame((string) new \Pusher\ApiErrorException('the body', 401), $out['api_string']);
        self::assertSame('(Status 401) the body', $out['api_string']);
    }

    /** php-ext/stubs/exceptions.php (hand-written: cargo-php does not see them) names what the extension registers. */
    public function testExceptionStubsMatchTheExtension(): void
    {
        $stubs = file_get_contents(__DIR__ . '/../stubs/exceptions.php');
        preg_match_all('/class (\w+) extends (\S+)/', $stubs, $matches, PREG_SET_ORDER);
        $declared = [];
        foreach ($matches as [, $class, $parent]) {
            // `\Exception` is global; a bare name is in the stub's namespace.
            $declared['Pushcast\\' . $class] = $parent[0] === '\\' ? substr($parent, 1) : 'Pushcast\\' . $parent;
        }
        $registered = [];
        foreach ((new \ReflectionExtension('pushcast'))->getClasses() as $class) {
            if ($class->isSubclassOf(\Throwable::class)) {
                $registered[$class->getName()] = $class->getParentClass()->getName();
            }
        }
        ksort($declared);
        ksort($registered);
        self::assertCount(6, $registered);
        self::assertSame($registered, $declared);
    }

    public function testTimeoutCodeIsTheCAbiResultCodeAndAnUndeliveredPromiseIsPending(): void
    {
        $slow = new Client('k', 's', '12345', ['host' => '127.0.0.1', 'port' => 1, 'queue_capacity' => 5, 'max_in_flight' => 5, 'shutdown_timeout_ms' => 50]);
        try {
            $slow->triggerConfirmed('q', 'e', [], [], 100);
            self::fail('no exception');
        } catch (\Pushcast\TimeoutException $e) {
            self::assertSame(5001, $e->getCode()); // PUSHCAST_RESULT_TIMEOUT
        }
        $promise = $slow->triggerAsync('q', 'e', []);
        self::assertSame('pending', $promise->getState());
    }
}
