<?php

namespace App\Listeners;

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Queue\Events\WorkerStopping;
use Pushcast\Laravel\PushcastBroadcaster;

/**
 * When `queue:work` stops (SIGTERM after the current job, `--stop-when-empty`, ...), appends
 * one JSON line to PUSHCAST_WORKER_STATS with this worker's pushcast stats:
 *   at_stop   the stats when the worker decided to stop (queue_depth: events accepted by
 *             `trigger` whose jobs are already deleted from the queue, still only in memory)
 *   flush     the extension's flush with the budget it would use at process shutdown anyway
 *             (`pushcast.shutdown_timeout_ms`): pending after it, and the final stats
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
        $atStop = $client->stats();
        $flush = $client->flush((int) (ini_get('pushcast.shutdown_timeout_ms') ?: 5000));
        file_put_contents($file, json_encode([
            'pid' => getmypid(),
            'status' => $event->status,
            'mode' => config('broadcasting.connections.'.config('broadcasting.default').'.mode'),
            'at_stop' => $atStop,
            'pending_after_flush' => $flush['pending'],
            'stats' => $flush['stats'],
            'failures' => $client->failures(),
        ])."\n", FILE_APPEND | LOCK_EX);
    }
}
