<?php

declare(strict_types=1);

// The demo app, shaped like a Laravel app: config/broadcasting.php with the pushcast driver,
// routes/channels.php, and broadcast events. Used by server.php (the /broadcasting/auth
// endpoint) and publish.php (the code that broadcasts).

namespace {
    require __DIR__ . '/../../php-ext/tests/bootstrap.php';
}

namespace App\Events {

    use Illuminate\Broadcasting\Channel;
    use Illuminate\Broadcasting\InteractsWithSockets;
    use Illuminate\Broadcasting\PresenceChannel;
    use Illuminate\Broadcasting\PrivateChannel;
    use Illuminate\Contracts\Broadcasting\ShouldBroadcast;

    /** The order status feed: a private channel per order. */
    class OrderStatusUpdated implements ShouldBroadcast
    {
        use InteractsWithSockets;

        public function __construct(public int $orderId, public string $status)
        {
        }

        public function broadcastOn()
        {
            return new PrivateChannel("orders.{$this->orderId}");
        }
    }

    /** The chat room: a presence channel. */
    class MessagePosted implements ShouldBroadcast
    {
        use InteractsWithSockets;

        public function __construct(public string $from, public string $text)
        {
        }

        public function broadcastOn()
        {
            return new PresenceChannel('chat.1');
        }
    }

    /** What a model observer broadcasts on every saved product (bursts during imports). */
    class ProductUpdated implements ShouldBroadcast
    {
        use InteractsWithSockets;

        public function __construct(public int $productId, public int $stock)
        {
        }

        public function broadcastOn()
        {
            return new Channel('inventory');
        }

        public function broadcastAs()
        {
            return 'product.updated';
        }
    }
}

namespace {

    use Illuminate\Broadcasting\BroadcastManager;

    final class DemoUser
    {
        public function __construct(public int $id, public string $name)
        {
        }

        public function getAuthIdentifier()
        {
            return $this->id;
        }
    }

    function demo_users(): array
    {
        return [1 => new DemoUser(1, 'Ada'), 2 => new DemoUser(2, 'Grace')];
    }

    function demo_broadcasting(): BroadcastManager
    {
        // config/broadcasting.php: only the driver differs from a Reverb/Pusher connection.
        $app = boot_laravel_broadcasting([
            'pushcast' => [
                'driver' => 'pushcast',
                'key' => 'app-key',
                'secret' => 'app-secret',
                'app_id' => '12345',
                'options' => ['endpoints' => [getenv('SOCKUDO_URL')], 'server_profile' => 'sockudo'],
            ],
        ]);
        $manager = $app->make(BroadcastManager::class);
        // routes/channels.php
        $broadcaster = $manager->connection();
        $broadcaster->channel('orders.{id}', static fn ($user, $id) => (int) $id === 1 && $user->id === 1);
        $broadcaster->channel('chat.{room}', static fn ($user, $room) => ['id' => $user->id, 'name' => $user->name]);
        return $manager;
    }
}
