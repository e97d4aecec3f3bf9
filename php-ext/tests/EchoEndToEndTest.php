<?php

declare(strict_types=1);

use PHPUnit\Framework\TestCase;

/**
 * End to end with real parts: laravel-echo on pusher-js (Node) subscribes on the test server
 * (sockudo; a Reverb under scripts/test-laravel11) with its
 * auth from a Laravel-shaped app (e2e/app.php, served by `php -S` with the extension), which
 * broadcasts through Laravel's own BroadcastEvent handling and the pushcast driver.
 */
final class EchoEndToEndTest extends TestCase
{
    public function testLaravelEchoSeesWhatLaravelBroadcastsThroughPushcast(): void
    {
        $root = dirname(__DIR__, 2);
        $extension = getenv('PUSHCAST_EXTENSION');
        $wsPort = parse_url(test_server_url(), PHP_URL_PORT);
        self::assertNotFalse($extension, 'PUSHCAST_EXTENSION is not set: run scripts/test-php');
        self::assertIsInt($wsPort, 'no test server (SOCKUDO_URL) with a port: run scripts/test-php');
        self::assertDirectoryExists("$root/tests/js/node_modules/laravel-echo", 'run npm ci in tests/js');

        $probe = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr(strrchr(stream_socket_get_name($probe, false), ':'), 1);
        fclose($probe);
        // The app boots as this run does (Debian's Laravel 8.83 or Laravel 11).
        $env = ['PUSHCAST_TEST_BOOTSTRAP' => PUSHCAST_TEST_BOOTSTRAP] + getenv() + ['PUSHCAST_MASTER_KEY' => base64_encode(random_bytes(32))];
        $server = proc_open(
            [PHP_BINARY, '-d', "extension=$extension", '-S', "127.0.0.1:$port", __DIR__ . '/e2e/app.php'],
            [1 => ['file', '/dev/null', 'w'], 2 => ['file', sys_get_temp_dir() . '/pushcast-e2e-app.log', 'w']],
            $pipes,
            null,
            $env,
        );
        try {
            $deadline = microtime(true) + 10;
            while (!@fsockopen('127.0.0.1', $port) && microtime(true) < $deadline) {
                usleep(50000);
            }
            $node = proc_open(
                ['node', "$root/tests/js/echo-e2e.js", (string) $wsPort, "http://127.0.0.1:$port"],
                [1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
                $nodePipes,
            );
            $output = stream_get_contents($nodePipes[1]);
            $errors = stream_get_contents($nodePipes[2]);
            $status = proc_close($node);
        } finally {
            proc_terminate($server);
            proc_close($server);
        }
        $report = json_decode($output, true);
        self::assertIsArray($report, "node printed: $output $errors");
        self::assertSame([], $report['errors']);
        self::assertSame(0, $status);

        $ada = $report['ada'];
        $grace = $report['grace'];
        // Names: the class name (Echo's App\Events namespace) and broadcastAs.
        self::assertSame([
            ['name' => 'OrderStatusUpdated', 'payload' => ['orderId' => 1, 'status' => 'packed']],
            ['name' => 'order.shipped', 'payload' => ['orderId' => 1, 'status' => 'shipped']],
            ['name' => 'vault.opened', 'payload' => ['secret' => 'the pin is 1234']], // decrypted by pusher-js
            ['name' => 'ChatMessage', 'payload' => ['text' => 'hello everyone']],     // not "hello from Ada": toOthers
        ], $ada['events']);
        self::assertSame([
            ['name' => 'ChatMessage', 'payload' => ['text' => 'hello from Ada']],
            ['name' => 'ChatMessage', 'payload' => ['text' => 'hello everyone']],
        ], $grace['events']);
        // Presence: here, joining, leaving; and the channel callback refused Grace on Ada's order.
        self::assertSame([['Ada']], $ada['members']);
        self::assertSame([['Ada', 'Grace']], $grace['members']);
        self::assertSame(['Grace'], $ada['joined']);
        self::assertSame(['Grace'], $ada['left']);
        self::assertTrue($grace['ordersRefused']);
    }
}
