<?php

declare(strict_types=1);

// The app at work: every broadcast goes through Laravel's own BroadcastEvent handling and the
// pushcast driver. Usage: php publish.php GRACE_SOCKET_ID BURST
require __DIR__ . '/app.php';

use App\Events\MessagePosted;
use App\Events\OrderStatusUpdated;
use App\Events\ProductUpdated;
use Illuminate\Broadcasting\BroadcastEvent;

[, $graceSocket, $burst] = $argv;
$manager = demo_broadcasting();
$costs = [];
$broadcast = static function (object $event) use ($manager, &$costs): void {
    $started = hrtime(true);
    (new BroadcastEvent($event))->handle($manager);
    $costs[] = (hrtime(true) - $started) / 1000;
};

foreach (['paid', 'packed', 'shipped'] as $status) {
    $broadcast(new OrderStatusUpdated(1, $status));
}
$broadcast(new MessagePosted('Ada', 'Hi Grace, your order shipped!'));
$fromGrace = new MessagePosted('Grace', 'Thanks!');
$fromGrace->socket = $graceSocket; // what toOthers() does: Grace's own tab does not get it
$broadcast($fromGrace);
for ($i = 1; $i <= (int) $burst; $i++) { // a model observer during an import
    $broadcast(new ProductUpdated($i, 100 - $i % 100));
}

$pushcast = $manager->connection()->getPushcast();
$flush = $pushcast->flush(30000);
sort($costs);
$stats = $flush['stats'];
printf(
    "publisher: %d broadcasts, caller cost per broadcast p50 %.1f us, p99 %.1f us; pending after flush %d\n",
    count($costs),
    $costs[intdiv(count($costs), 2)],
    $costs[(int) floor(count($costs) * 0.99)],
    $flush['pending']
);
printf(
    "publisher stats: enqueued %d, delivered %d, failed %d, dropped %d, requests %d, latency p50 %s us p99 %s us\n",
    $stats['enqueued'], $stats['delivered'], $stats['failed'], $stats['dropped_newest'] + $stats['dropped_oldest'],
    $stats['requests_sent'], $stats['latency_p50_us'] ?? '-', $stats['latency_p99_us'] ?? '-'
);
echo 'published ' . count($costs) . "\n";
