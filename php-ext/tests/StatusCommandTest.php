<?php

declare(strict_types=1);

use Illuminate\Broadcasting\BroadcastManager;
use PHPUnit\Framework\TestCase;
use Pushcast\Laravel\StatusCommand;
use Symfony\Component\Console\Tester\CommandTester;

/** `php artisan pushcast:status`, run through Symfony's CommandTester in an Illuminate container. */
final class StatusCommandTest extends TestCase
{
    private static function status(array $connection): CommandTester
    {
        $app = boot_laravel_broadcasting(['pushcast' => $connection + ['driver' => 'pushcast'], 'log' => ['driver' => 'log']]);
        $command = new StatusCommand();
        $command->setLaravel($app);
        $tester = new CommandTester($command);
        $tester->execute([]);
        return $tester;
    }

    public function testAHealthyConnectionPingsAndShowsStats(): void
    {
        $tester = self::status([
            'key' => 'app-key', 'secret' => 'app-secret', 'app_id' => '12345',
            'options' => test_server_options() + ['max_in_flight' => 11],
        ]);
        $out = $tester->getDisplay();
        self::assertSame(0, $tester->getStatusCode(), $out);
        self::assertStringContainsString('connection "pushcast", app 12345, mode async', $out);
        self::assertMatchesRegularExpression('/ping: ok in [0-9.]+ ms/', $out);
        self::assertStringContainsString('delivered', $out);
        // Each endpoint's circuit, one row each (stats()' `circuits`).
        self::assertMatchesRegularExpression('/circuit http:\/\/[^ ]+ +\| closed/', $out);
    }

    public function testAWrongSecretFailsThePingWithTheServersAnswer(): void
    {
        $tester = self::status([
            'key' => 'app-key', 'secret' => 'wrong', 'app_id' => '12345',
            'options' => test_server_options() + ['max_in_flight' => 12],
        ]);
        self::assertSame(1, $tester->getStatusCode());
        self::assertStringContainsString('ping: failed: server answered HTTP 401', $tester->getDisplay());
    }
}
