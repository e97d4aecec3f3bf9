<?php

declare(strict_types=1);

// Run by PusherApiThroughBroadcastTest in a PHP process of its own: Laravel (8.83 from Debian or
// 11 from ../shared, as the suite's bootstrap in $argv[2]) and the driver's classes
// (Pushcast\Laravel\) are autoloaded, nothing else of pushcast's: the exception classes must
// come from the extension. Prints one JSON line: what was caught, and every autoload request
// for a Pushcast class outside Pushcast\Laravel\ (none is expected).

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Contracts\Broadcasting\Factory as BroadcastFactory;
use Illuminate\Support\Facades\Broadcast;
use Illuminate\Support\Facades\Facade;

$root = dirname(__DIR__, 2);
$attempts = [];
spl_autoload_register(static function (string $class) use (&$attempts): void {
    if (str_starts_with($class, 'Pushcast\\') && !str_starts_with($class, 'Pushcast\\Laravel\\')) {
        $attempts[] = $class;
    }
}, true, true);

if (basename($argv[2] ?? '') === 'bootstrap-laravel11.php') {
    $loader = require "$root/tests/laravel11/bootstrap/autoload.php";
    $loader->setPsr4('Pushcast\\', []);
    $loader->setPsr4('Pushcast\\Laravel\\', ["$root/php-ext/php/src/Laravel/"]);
} else {
    spl_autoload_register(static function (string $class) use ($root): void {
        if (str_starts_with($class, 'Pushcast\\Laravel\\')) {
            require "$root/php-ext/php/src/Laravel/" . substr($class, strlen('Pushcast\\Laravel\\')) . '.php';
        }
    });
    foreach (['Illuminate/Broadcasting/autoload.php', 'Illuminate/Container/autoload.php', 'Illuminate/Config/autoload.php',
              'Illuminate/Http/autoload.php', 'Illuminate/Support/autoload.php'] as $autoload) {
        require_once $autoload;
    }
}
require_once __DIR__ . '/helpers.php';

$app = boot_laravel_broadcasting(['pushcast' => [
    'driver' => 'pushcast', 'key' => 'app-key', 'secret' => 'app-secret', 'app_id' => '12345',
    'options' => test_server_options(),
]]);
$app->alias(BroadcastManager::class, BroadcastFactory::class);
Facade::setFacadeApplication($app);

try {
    Broadcast::connection('pushcast')->getPusher()->getChannelInfo('bad channel');
    $result = ['caught' => null, 'message' => 'no exception'];
} catch (\Pushcast\ValidationException $e) {
    $result = [
        'caught' => get_class($e),
        'internal' => (new ReflectionClass($e))->isInternal(),
        'is_pushcast_exception' => $e instanceof \Pushcast\PushcastException,
        'message' => $e->getMessage(),
    ];
} catch (\Throwable $e) {
    $result = ['caught' => 'not a Pushcast\ValidationException: ' . get_class($e), 'internal' => false,
        'is_pushcast_exception' => false, 'message' => $e->getMessage()];
}
echo json_encode($result + ['autoload_attempts' => $attempts]), "\n";
