<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Pushcast\Client;

/**
 * Issue 17: stats are defined once. The counters PHP's stats() reports must be exactly the
 * client's own (StatsSnapshot::counters), as libpushcast lists them through the C ABI
 * (pushcast_stats_counter_name): scripts/test-php reads that list from the library and passes
 * it in PUSHCAST_STATS_COUNTER_NAMES, so this compares PHP with C, not PHP with itself.
 */
final class StatsNamesTest extends TestCase
{
    private const NOT_COUNTERS = ['latency_p50_us', 'latency_p99_us', 'last_error', 'circuits'];

    public function testStatsReportExactlyTheClientsCounters(): void
    {
        $listed = getenv('PUSHCAST_STATS_COUNTER_NAMES');
        if ($listed === false || $listed === '') {
            self::fail('PUSHCAST_STATS_COUNTER_NAMES is not set: run scripts/test-php');
        }
        $names = explode(',', $listed);
        self::assertGreaterThanOrEqual(26, count($names));

        $client = new Client('k', 's', '1', ['host' => '127.0.0.1', 'port' => 1]);
        $stats = $client->stats();
        $counters = array_values(array_diff(array_keys($stats), self::NOT_COUNTERS));
        self::assertSame($names, $counters, 'stats() counters differ from the library\'s');
        foreach (self::NOT_COUNTERS as $key) {
            self::assertArrayHasKey($key, $stats);
        }
        self::assertNull($stats['latency_p50_us']);
        self::assertNull($stats['last_error']);
        self::assertSame([['endpoint' => 'http://127.0.0.1:1', 'state' => 'closed']], $stats['circuits']);
    }
}
