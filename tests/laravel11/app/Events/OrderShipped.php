<?php

namespace App\Events;

/** Named by broadcastAs: Echo listens with `.listen('.order.shipped')`. */
class OrderShipped extends OrderStatusUpdated
{
    public function broadcastAs(): string
    {
        return 'order.shipped';
    }
}
