<?php

namespace App\Listeners;

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Queue\Events\WorkerStopping;
use Pushcast\Laravel\PushcastBroadcaster;

/**
 * When `queue:work` stops (SIGTERM after the current job, `--stop-when-empty`, ...), appends
 * one JSON line to PUSHCAST_WORKER_STATS with this worker's pushcast stats at that moment.
 *
 * It does not flush: what the engine still holds (`queue_depth`: events whose jobs are already
 * deleted from the queue) is left to the extension's own flush at process shutdown
 * (`pushcast.shutdown_timeout_ms`), as in an app without this listener; what that flush cannot
 * deliver it writes to PHP's error log ("N event(s) not delivered at shutdown").
 */
class ReportPushcastStats
{
    public function __construct(private BroadcastManager $broadcasting)
    {
    }

    public function handle(WorkerStopping $event): void
    {
        $file = getenv('PUSHCAST_WORKER_STATS');
        $broadcaster = $this->broadcasting->connection();
        if (!$file || !$broadcaster instanceof PushcastBroadcaster) {
            return;
        }
        $client = $broadcaster->getPushcast();
        file_put_contents($file, json_encode([
            'pid' => getmypid(),
            'status' => $event->status,
            'mode' => config('broadcasting.connections.'.config('broadcasting.default').'.mode'),
            'stats' => $client->stats(),
            'failures' => $client->failures(),
        ])."\n", FILE_APPEND | LOCK_EX);
    }
}
