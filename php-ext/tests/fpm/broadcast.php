<?php

declare(strict_types=1);

// One broadcast per request, through Laravel's broadcaster over pushcast, as a PHP-FPM worker
// serves it: the worker's engine is reused across requests and started after FPM forked it.
require __DIR__ . '/../bootstrap.php';

use Illuminate\Broadcasting\Channel;
use Pushcast\Laravel\PushcastServiceProvider;

// Only /broadcast broadcasts: the readiness probe must not add an event to the count.
if (($_SERVER['REQUEST_URI'] ?? '') !== '/broadcast') {
    echo 'pong';
    return;
}
$broadcaster = PushcastServiceProvider::broadcaster([
    'key' => 'app-key', 'secret' => 'app-secret', 'app_id' => '12345',
    'options' => ['endpoints' => [getenv('SOCKUDO_URL')], 'server_profile' => 'sockudo'],
]);
$broadcaster->broadcast([new Channel('fpm')], 'Tick', ['seq' => random_int(0, PHP_INT_MAX), 'pid' => getmypid()]);
echo 'ok';
