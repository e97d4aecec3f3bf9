<?php

namespace App\Events;

use Illuminate\Broadcasting\EncryptedPrivateChannel;
use Illuminate\Broadcasting\InteractsWithSockets;
use Illuminate\Contracts\Broadcasting\ShouldBroadcastNow;
use Illuminate\Foundation\Events\Dispatchable;

/** An end-to-end encrypted channel: the data travels encrypted, Echo decrypts it. */
class VaultOpened implements ShouldBroadcastNow
{
    use Dispatchable, InteractsWithSockets;

    public function __construct(public string $secret)
    {
    }

    public function broadcastOn(): array
    {
        return [new EncryptedPrivateChannel('vault.1')];
    }

    public function broadcastAs(): string
    {
        return 'vault.opened';
    }
}
