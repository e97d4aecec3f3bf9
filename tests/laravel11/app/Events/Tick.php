<?php

namespace App\Events;

use Illuminate\Broadcasting\Channel;
use Illuminate\Contracts\Broadcasting\ShouldBroadcast;
use Illuminate\Foundation\Events\Dispatchable;

/**
 * A queued broadcast (ShouldBroadcast): the web request that fires it only inserts a
 * BroadcastEvent job; `php artisan queue:work` broadcasts it through the pushcast driver.
 */
class Tick implements ShouldBroadcast
{
    use Dispatchable;

    public function __construct(public string $run, public int $id)
    {
    }

    public function broadcastOn(): array
    {
        return [new Channel("ticks.{$this->run}")];
    }

    public function broadcastAs(): string
    {
        return 'tick';
    }
}
