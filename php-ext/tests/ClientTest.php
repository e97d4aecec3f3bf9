<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Pushcast\ApiErrorException;
use Pushcast\Client;
use Pushcast\PushcastException;
use Pushcast\QueueFullException;
use Pushcast\TimeoutException;
use Pushcast\ValidationException;

/**
 * The extension through PHP: pusher-http-php's API, golden vectors, typed exceptions, and real
 * publishes to the sockudo that scripts/test-php starts (SOCKUDO_URL).
 */
final class ClientTest extends TestCase
{
    private static function server(): string
    {
        $url = getenv('SOCKUDO_URL');
        if ($url === false || $url === '') {
            self::fail('SOCKUDO_URL is not set: run scripts/test-php');
        }
        return $url;
    }

    private static function live(array $options = []): Client
    {
        return new Client('app-key', 'app-secret', '12345', $options + [
            'endpoints' => [self::server()],
            'server_profile' => 'sockudo',
        ]);
    }

    private static function golden(): Client
    {
        return new Client('thisisaauthkey', 'thisisasecret', '1', ['host' => '127.0.0.1', 'port' => 1]);
    }

    public function testPrivateChannelGoldenVector(): void
    {
        $auth = json_decode(self::golden()->authorizeChannel('testing_pusher-php', '1.1'), true);
        self::assertSame('thisisaauthkey:751ccc12aeaa79d46f7c199bced5fa47527d3480b51fe61a0bd10438241bd52d', $auth['auth']);
    }

    public function testPresenceGoldenVectorOverGivenChannelData(): void
    {
        $auth = json_decode(self::golden()->authorizeChannel('-azAZ9_=@,.;', '45055.28877557', '{"user_id": "123"}'), true);
        self::assertStringEndsWith('3b3f1dcc4d7d2f95dd10ed05562397b3287b102d4cccfacbf30eed2f1ffa3d69', $auth['auth']);
    }

    public function testPresenceChannelDataIsPhpsOwnJsonEncode(): void
    {
        $info = ['name' => 'José/x'];
        $auth = json_decode(self::golden()->authorizePresenceChannel('presence-chat', '1.2', 7, $info), true);
        // Exactly the bytes pusher-http-php signs: json_encode(['user_id' => .., 'user_info' => ..]).
        $expected = json_encode(['user_id' => '7', 'user_info' => $info]);
        self::assertSame($expected, $auth['channel_data']);
        self::assertSame(
            'thisisaauthkey:' . hash_hmac('sha256', '1.2:presence-chat:' . $expected, 'thisisasecret'),
            $auth['auth']
        );
        $noInfo = json_decode(self::golden()->authorizePresenceChannel('presence-chat', '1.2', 'u', []), true);
        self::assertSame('{"user_id":"u"}', $noInfo['channel_data']);
    }

    public function testUserSignInGoldenVector(): void
    {
        $auth = json_decode(self::golden()->authenticateUser('12345.6789', ['id' => '123']), true);
        self::assertStringEndsWith('fc713f433deb729d0d96f9e26ef054285cbc3e833ebe840b93722a2fa16a6a18', $auth['auth']);
    }

    public function testEncryptedChannelSharedSecret(): void
    {
        $client = new Client('k', 's', '1', ['host' => '127.0.0.1', 'encryption_master_key_base64' => base64_encode(str_repeat('a', 32))]);
        $auth = json_decode($client->authorizeChannel('private-encrypted-channel-a', '1.1'), true);
        self::assertSame('Rp+wpkNpL89qhqco1JkIG31AVXyU8PUVJBr1B2MvdoA=', $auth['shared_secret']);
    }

    public function testWebhooks(): void
    {
        $body = '{"time_ms":1,"events":[{"name":"channel_occupied","channel":"x"}]}';
        $headers = ['x-pusher-key' => 'thisisaauthkey', 'X-Pusher-Signature' => hash_hmac('sha256', $body, 'thisisasecret')];
        $hook = self::golden()->webhook($headers, $body);
        self::assertInstanceOf(\Pushcast\Webhook::class, $hook);
        self::assertSame(1, $hook->get_time_ms());
        self::assertSame('x', $hook->get_events()[0]->channel);
        self::golden()->verifySignature($headers, $body);
        $this->expectException(PushcastException::class);
        self::golden()->verifySignature($headers, $body . ' ');
    }

    public function testUnknownOptionIsAnError(): void
    {
        $this->expectException(ValidationException::class);
        $this->expectExceptionMessage('unknown option `usetls`');
        new Client('k', 's', '1', ['usetls' => true]);
    }

    public function testLimitsOptionSetsTheProfilesLimitsByName(): void
    {
        // A size limit is checked before anything is queued.
        $small = self::live(['limits' => ['max_event_data_bytes' => 10]]);
        try {
            $small->trigger('c', 'e', ['text' => 'longer than ten bytes']);
            self::fail('data over the limit was accepted');
        } catch (ValidationException $e) {
            self::assertStringContainsString('10', $e->getMessage());
        }
        self::assertSame(0, $small->stats()['enqueued']);
        // The batch limit shapes the requests: 30 events in batches of at most 3.
        $three = self::live(['limits' => ['max_events_per_batch' => 3], 'queue_capacity' => 31]);
        $events = array_map(
            static fn (int $i) => ['channel' => 'limits-batch', 'name' => 'e', 'data' => (string) $i],
            range(1, 30)
        );
        $three->triggerBatch($events);
        $flushed = $three->flush(10000);
        self::assertSame(0, $flushed['pending']);
        self::assertSame(30, $flushed['stats']['delivered']);
        self::assertGreaterThanOrEqual(10, $flushed['stats']['requests_sent']);
        try {
            new Client('k', 's', '1', ['limits' => ['max_batch' => 100]]);
            self::fail('an unknown limit was accepted');
        } catch (ValidationException $e) {
            self::assertStringContainsString('unknown limit "max_batch"', $e->getMessage());
            self::assertStringContainsString('max_events_per_batch', $e->getMessage());
        }
    }

    public function testInvalidInputIsTypedAndNeverSent(): void
    {
        $client = self::live(['queue_capacity' => 7]);
        try {
            $client->trigger('bad channel', 'e', []);
            self::fail('no exception');
        } catch (ValidationException $e) {
            self::assertStringContainsString('"bad channel"', $e->getMessage());
        }
        try {
            $client->trigger('c', 'e', [], ['nope' => '1']);
            self::fail('no exception');
        } catch (ValidationException $e) {
            self::assertStringContainsString('unknown trigger parameter', $e->getMessage());
        }
        self::assertSame(0, $client->stats()['enqueued']);
    }

    public function testTriggerDeliversAndReportsStats(): void
    {
        $client = self::live(['queue_capacity' => 20001]);
        for ($i = 0; $i < 500; $i++) {
            // Queued: the empty object pusher-http-php returns for the server's `{}`.
            self::assertEquals(new \stdClass(), $client->trigger(['php-feed', 'php-feed-2'], 'Tick', ['seq' => $i]));
        }
        self::assertEquals(new \stdClass(), $client->triggerBatch([
            ['channel' => 'php-feed', 'name' => 'Tick', 'data' => ['seq' => 500]],
            ['channel' => 'php-feed', 'name' => 'Tick', 'data' => '{"seq":501}'],
        ]));
        self::assertEquals(new \stdClass(), $client->sendToUser('42', 'Hello', ['hi' => true]));
        $flush = $client->flush(10000);
        self::assertSame(0, $flush['pending']);
        $stats = $client->stats();
        self::assertSame(1003, $stats['enqueued']); // 500 events x 2 channels + 2 + 1
        self::assertSame(1003, $stats['delivered']);
        self::assertSame(0, $stats['failed']);
        self::assertIsArray($client->getChannels()->channels);
    }

    public function testConfirmedTriggerReturnsInfoAndRefusalsCarryTheStatus(): void
    {
        $info = self::live()->triggerConfirmed('php-confirmed', 'Paid', ['id' => 1], ['info' => 'subscription_count'], 10000);
        self::assertSame(['php-confirmed' => ['subscription_count' => 0]], $info);

        // Its own configuration (max_in_flight 9): one engine per process and config, so a
        // client configured like another test's would share that one's failure log.
        $bad = new Client('app-key', 'wrong-secret', '12345', ['endpoints' => [self::server()], 'server_profile' => 'sockudo', 'max_in_flight' => 9]);
        try {
            $bad->triggerConfirmed('php-confirmed', 'Paid', [], [], 10000);
            self::fail('no exception');
        } catch (ApiErrorException $e) {
            self::assertSame(401, $e->getCode());
        }
        $failures = $bad->failures();
        self::assertCount(1, $failures);
        self::assertSame('php-confirmed', $failures[0]['channel']);
        // The one failure record every binding reports (Failure::to_json in the client).
        self::assertSame(['event', 'channel', 'error', 'code', 'at'], array_keys($failures[0]));
        self::assertSame('Paid', $failures[0]['event']);
        self::assertStringContainsString('401', $failures[0]['error']);
        self::assertIsInt($failures[0]['code']);
        self::assertGreaterThanOrEqual(1000, $failures[0]['code'], 'the library code, not the HTTP status');
        self::assertEqualsWithDelta(microtime(true), $failures[0]['at'], 60.0);
    }

    public function testQueueFullAndTimeoutsAreTyped(): void
    {
        $client = new Client('k', 's', '12345', ['host' => '127.0.0.1', 'port' => 1, 'queue_capacity' => 2, 'shutdown_timeout_ms' => 100]);
        $client->trigger('q', 'e', []);
        $client->trigger('q', 'e', []);
        try {
            $client->trigger('q', 'e', []);
            self::fail('no exception');
        } catch (QueueFullException $e) {
            self::assertStringContainsString('full', $e->getMessage());
        }
        self::assertSame(1, $client->stats()['rejected_queue_full']);
        self::assertSame(2, $client->flush(50)['pending']);

        $slow = new Client('k', 's', '12345', ['host' => '127.0.0.1', 'port' => 1, 'queue_capacity' => 5]);
        $this->expectException(TimeoutException::class);
        $slow->triggerConfirmed('q', 'e', [], [], 100);
    }

    public function testUndeliveredEventsAreWrittenToTheErrorLogAtShutdown(): void
    {
        // A separate PHP process: its module shutdown flushes, then logs what is left.
        $script = '$c = new Pushcast\Client("k", "s", "12345", ["host" => "127.0.0.1", "port" => 1, "shutdown_timeout_ms" => 200]);'
            . '$c->trigger("orders", "Left", []); $c->trigger("orders", "Left", []); echo "published";';
        [$exit, $stdout, $stderr] = run_php_with_extension($script);
        self::assertSame(0, $exit, $stderr);
        self::assertSame('published', $stdout);
        self::assertStringContainsString('pushcast: 2 event(s) not delivered at shutdown', $stderr);
        self::assertStringContainsString('waited 200 ms', $stderr);
    }

    public function testPhpRiShowsTheVersionAndSettings(): void
    {
        $process = proc_open([PHP_BINARY, '-d', 'extension=' . getenv('PUSHCAST_EXTENSION'), '--ri', 'pushcast'], [1 => ['pipe', 'w']], $pipes);
        $out = stream_get_contents($pipes[1]);
        proc_close($process);
        self::assertStringContainsString('pushcast support => enabled', $out);
        self::assertMatchesRegularExpression('/version => \d+\.\d+\.\d+/', $out);
        self::assertStringContainsString('pushcast.shutdown_timeout_ms => 5000 => 5000', $out);
        self::assertStringContainsString('pushcast.backpressure => fail_fast => fail_fast', $out);
    }

    public function testOneEnginePerProcessAndConfig(): void
    {
        $a = self::live(['max_in_flight' => 3]);
        $a->trigger('php-shared', 'Tick', []);
        $a->flush(5000);
        $b = self::live(['max_in_flight' => 3]); // same config: same engine, same stats
        self::assertSame($a->stats()['delivered'], $b->stats()['delivered']);
        self::assertGreaterThan(0, $b->stats()['delivered']);
    }

    public function testForkedChildrenPublishWithoutHanging(): void
    {
        $client = self::live(['max_in_flight' => 2]);
        for ($i = 0; $i < 100; $i++) {
            $client->trigger('php-fork', 'Parent', ['seq' => $i]);
        }
        $children = [];
        for ($n = 0; $n < 5; $n++) {
            $pid = pcntl_fork();
            self::assertNotSame(-1, $pid);
            if ($pid === 0) {
                for ($i = 0; $i < 20; $i++) {
                    $client->trigger('php-fork', 'Child', ['seq' => $i]);
                }
                $flush = $client->flush(10000);
                $ok = $flush['pending'] === 0 && $flush['stats']['delivered'] === 20 && $flush['stats']['enqueued'] === 20;
                posix_kill(posix_getpid(), $ok ? SIGUSR1 : SIGUSR2); // exit without PHP's shutdown
            }
            $children[] = $pid;
        }
        foreach ($children as $pid) {
            $status = 0;
            pcntl_waitpid($pid, $status);
            self::assertTrue(pcntl_wifsignaled($status));
            self::assertSame(SIGUSR1, pcntl_wtermsig($status), 'a child failed its own accounting');
        }
        // This configuration (max_in_flight 2) is this test's alone: its engine counts only
        // the parent's 100 events; the children's are theirs.
        $flush = $client->flush(10000);
        self::assertSame(0, $flush['pending']);
        self::assertSame(100, $flush['stats']['enqueued']);
        self::assertSame(100, $flush['stats']['delivered']);
    }
}
