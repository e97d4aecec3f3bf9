<?php

use Illuminate\Support\Facades\Broadcast;

// Ada (1) may read order 1; Grace (2) may not.
Broadcast::channel('orders.{id}', fn ($user, $id) => (int) $id === 1 && (int) $user->id === 1);

// Presence: the callback's array is the member's user_info.
Broadcast::channel('chat.{room}', fn ($user, $room) => ['id' => (int) $user->id, 'name' => $user->name]);

// The encrypted channel `private-encrypted-vault.1`: Ada only.
Broadcast::channel('vault.{id}', fn ($user, $id) => (int) $user->id === 1);
