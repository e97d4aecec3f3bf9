<?php

namespace App\Events;

use Illuminate\Broadcasting\Channel;
use Illuminate\Contracts\Broadcasting\ShouldBroadcastNow;
use Illuminate\Foundation\Events\Dispatchable;

/** Broadcast after a queued run's last worker exited: its subscriber has everything before it. */
class TickSentinel implements ShouldBroadcastNow
{
    use Dispatchable;

    public function __construct(public string $run)
    {
    }

    public function broadcastOn(): array
    {
        return [new Channel("ticks.{$this->run}")];
    }

    public function broadcastAs(): string
    {
        return 'sentinel';
    }
}
