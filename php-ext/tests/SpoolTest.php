<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;
use Pushcast\Client;
use Pushcast\ValidationException;

/**
 * The durable spool through PHP: strict options, and a PHP worker SIGKILLed with events it
 * could not deliver, whose spool the next PHP process on the same directory replays.
 */
final class SpoolTest extends TestCase
{
    private static function dir(): string
    {
        $dir = sys_get_temp_dir() . '/pushcast-php-spool-' . bin2hex(random_bytes(6));
        mkdir($dir);
        return $dir;
    }

    public function testBadSpoolOptionsAreErrors(): void
    {
        $base = ['host' => '127.0.0.1', 'port' => 1];
        $dir = self::dir();
        $bad = [
            ['spool_sync' => 'none'],
            ['spool' => $dir, 'spool_sync' => 'fsync'],
            ['spool' => $dir, 'spool_sync' => 'interval', 'spool_sync_interval_ms' => 0],
            ['spool' => $dir, 'spool_max_bytes' => 0],
            ['spool' => $dir, 'spool_max_bytes' => -5],
            ['spool' => ['a']],
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
            'spool' => $dir, 'spool_sync' => 'every_event', 'spool_max_bytes' => 1 << 20,
            'spool_max_age_ms' => 60000,
        ]);
        self::assertStringContainsString("\npushcast_spool_rows 0\n", $ok->metrics());
    }

    public function testEventsLeftAtShutdownAreLoggedAsKeptInTheSpool(): void
    {
        $dir = self::dir();
        $script = '$c = new Pushcast\Client("k", "s", "12345", ["host" => "127.0.0.1", "port" => 1, '
            . '"shutdown_timeout_ms" => 100, "spool" => $argv[1]]);'
            . '$c->trigger("orders", "Left", []); $c->trigger("orders", "Left", []); echo "published";';
        [$exit, $stdout, $stderr] = run_php_with_extension($script, [$dir]);
        self::assertSame(0, $exit, $stderr);
        self::assertSame('published', $stdout);
        self::assertStringContainsString(
            'pushcast: 2 event(s) not delivered at shutdown', $stderr,
        );
        self::assertStringContainsString('2 of them kept in the spool for the next process', $stderr);
    }

    public function testAKilledWorkersEventsAreReplayedByTheNextProcess(): void
    {
        $dir = self::dir();
        $worker = <<<'PHP'
            $client = new Pushcast\Client('app-key', 'app-secret', '12345', [
                'host' => '127.0.0.1', 'port' => 1, 'server_profile' => 'sockudo',
                'spool' => $argv[1], 'spool_sync' => 'none',
            ]);
            for ($i = 0; $i < 40; $i++) {
                $client->trigger('php-spool', 'Tick', ['i' => $i]);
            }
            echo 'accepted ', $client->stats()['enqueued'], "\n";
            sleep(60);
            PHP;
        $process = proc_open(
            [PHP_BINARY, '-d', 'extension=' . getenv('PUSHCAST_EXTENSION'), '-r', $worker, $dir],
            [1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes,
        );
        self::assertIsResource($process);
        $line = fgets($pipes[1]);
        self::assertSame("accepted 40\n", $line, stream_get_contents($pipes[2]));
        proc_terminate($process, 9); // SIGKILL: no shutdown flush, no destructor
        proc_close($process);

        $client = new Client('app-key', 'app-secret', '12345', [
            'endpoints' => [getenv('SOCKUDO_URL')], 'server_profile' => 'sockudo',
            'spool' => $dir, 'spool_sync' => 'interval', 'spool_sync_interval_ms' => 20,
        ]);
        $client->trigger('php-spool', 'Tick', ['i' => 40]);
        self::assertSame(0, $client->flush(20000)['pending']);
        $stats = $client->stats();
        self::assertSame(40, $stats['spool_replayed']);
        self::assertSame(1, $stats['enqueued']);
        self::assertSame(41, $stats['delivered']);
        self::assertSame(0, $stats['failed']);
        self::assertSame(0, $stats['spool_rows']);
    }
}
