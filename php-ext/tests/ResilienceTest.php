<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Pushcast\CircuitOpenException;
use Pushcast\Client;
use Pushcast\PushcastException;
use Pushcast\ValidationException;

/**
 * The circuit breaker, conflation and metrics through PHP: strict options, the typed
 * exception while every circuit is open, and the Prometheus text.
 */
final class ResilienceTest extends TestCase
{
    private static function wait(callable $done): void
    {
        for ($i = 0; $i < 1000 && !$done(); $i++) {
            usleep(10000);
        }
        self::assertTrue($done(), 'timed out');
    }

    public function testBadBreakerAndConflationOptionsAreErrors(): void
    {
        $base = ['host' => '127.0.0.1', 'port' => 1];
        $bad = [
            ['breaker_open_policy' => 'sometimes'],
            ['breaker_failure_threshold' => -1],
            ['conflate' => 'RoomsUpdated'],
            ['conflate' => [['event' => 'E', 'window_ms' => 100, 'kee' => 'id']]],
            ['conflate' => [['event' => 'E']]],
            ['conflate' => [['key' => 'id', 'window_ms' => 100]]],
            ['breaker_cooldown_ms' => 5000, 'breaker_cooldown_max_ms' => 10],
        ];
        foreach ($bad as $options) {
            try {
                new Client('k', 's', '1', $base + $options);
                self::fail('accepted ' . json_encode($options));
            } catch (ValidationException $e) {
                self::assertNotSame('', $e->getMessage());
            }
        }
        $ok = new Client('k', 's', '1', $base + [
            'breaker_failure_threshold' => 3, 'breaker_cooldown_ms' => 500, 'breaker_cooldown_max_ms' => 4000,
            'breaker_open_policy' => 'spool',
            'conflate' => [['event' => 'Rooms*', 'channel' => null, 'key' => 'room', 'window_ms' => 1000]],
        ]);
        self::assertStringContainsString('pushcast_conflated_total 0', $ok->metrics());
    }

    public function testFailFastWhileEveryCircuitIsOpen(): void
    {
        $client = new Client('k', 's', '12345', [
            'host' => '127.0.0.1', 'port' => 1, 'shutdown_timeout_ms' => 100,
            'breaker_failure_threshold' => 1, 'breaker_cooldown_ms' => 60000, 'breaker_open_policy' => 'fail_fast',
        ]);
        $client->trigger('status', 'Tick', ['i' => 1]);
        self::wait(static fn () => $client->stats()['breaker_opened'] === 1);
        try {
            $client->trigger('status', 'Tick', ['i' => 2]);
            self::fail('no exception');
        } catch (CircuitOpenException $e) {
            self::assertInstanceOf(PushcastException::class, $e);
            self::assertStringContainsString('circuit is open', $e->getMessage());
            self::assertSame(5004, $e->getCode()); // PUSHCAST_RESULT_CIRCUIT_OPEN
        }
        $stats = $client->stats();
        self::assertSame(1, $stats['rejected_circuit_open']);
        self::assertSame(1, $stats['enqueued']);
        self::assertStringContainsString(
            "pushcast_circuit_state{endpoint=\"http://127.0.0.1:1\",state=\"open\"} 1\n",
            $client->metrics(),
        );
    }

    public function testMetricsMatchTheStatsAfterRealDeliveries(): void
    {
        $client = new Client('app-key', 'app-secret', '12345', [
            'endpoints' => [getenv('SOCKUDO_URL')], 'server_profile' => 'sockudo', 'max_in_flight' => 3,
            'conflate' => [['event' => 'RoomsUpdated', 'key' => 'room', 'window_ms' => 60000]],
        ]);
        for ($i = 0; $i < 20; $i++) {
            $client->trigger('metrics-php', 'E', ['i' => $i]);
        }
        self::assertSame(0, $client->flush(10000)['pending']);
        $stats = $client->stats();
        $text = $client->metrics();
        self::assertStringContainsString("# TYPE pushcast_delivered_total counter\n", $text);
        self::assertStringContainsString("\npushcast_delivered_total {$stats['delivered']}\n", $text);
        self::assertStringContainsString("\npushcast_enqueued_total {$stats['enqueued']}\n", $text);
        self::assertStringContainsString("# TYPE pushcast_queue_depth gauge\n", $text);
        self::assertStringContainsString("pushcast_publish_latency_seconds_count {$stats['delivered']}\n", $text);
        self::assertSame(20, $stats['delivered']);
    }
}
