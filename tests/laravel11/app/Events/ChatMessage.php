<?php

namespace App\Events;

use Illuminate\Broadcasting\InteractsWithSockets;
use Illuminate\Broadcasting\PresenceChannel;
use Illuminate\Contracts\Broadcasting\ShouldBroadcastNow;
use Illuminate\Foundation\Events\Dispatchable;

/** Sent with `broadcast(...)->toOthers()`: the sender's X-Socket-ID connection is left out. */
class ChatMessage implements ShouldBroadcastNow
{
    use Dispatchable, InteractsWithSockets;

    public function __construct(public string $text)
    {
    }

    public function broadcastOn(): array
    {
        return [new PresenceChannel('chat.1')];
    }
}
