<?php

namespace App\Events;

use Illuminate\Broadcasting\Channel;
use Illuminate\Broadcasting\InteractsWithBroadcasting;
use Illuminate\Contracts\Broadcasting\ShouldBroadcastNow;
use Illuminate\Foundation\Events\Dispatchable;

/** Broadcast through the connection with the wrong secret: the server refuses it. */
class RefusedBroadcast implements ShouldBroadcastNow
{
    use Dispatchable, InteractsWithBroadcasting;

    public function __construct(public int $id)
    {
        $this->broadcastVia('pushcast_wrong_secret');
    }

    public function broadcastOn(): array
    {
        return [new Channel('news')];
    }
}
