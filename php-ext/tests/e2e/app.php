<?php

declare(strict_types=1);

// A Laravel-shaped app for the laravel-echo end-to-end test, served by `php -S` with the
// pushcast extension (one process for every request, like a PHP-FPM worker):
//   POST /broadcasting/auth   what Laravel's BroadcastController does (X-User: the user id)
//   POST /broadcast           fires an event through Laravel's own BroadcastEvent handling
// Environment: the test server (helpers.php: SOCKUDO_URL, or PUSHCAST_TEST_SERVER_URL and
// _PROFILE), PUSHCAST_MASTER_KEY (base64) for the encrypted channel, and PUSHCAST_TEST_BOOTSTRAP
// (the PHPUnit run's bootstrap: Debian's Laravel 8.83 by default, or Laravel 11).

namespace {
    // Autoloaders first: classes that use traits are declared when execution reaches them.
    require getenv('PUSHCAST_TEST_BOOTSTRAP') ?: __DIR__ . '/../bootstrap.php';
}

namespace App\Events {

    use Illuminate\Broadcasting\EncryptedPrivateChannel;
    use Illuminate\Broadcasting\InteractsWithSockets;
    use Illuminate\Broadcasting\PresenceChannel;
    use Illuminate\Broadcasting\PrivateChannel;
    use Illuminate\Contracts\Broadcasting\ShouldBroadcast;

    /** Named by its class: Echo listens with `.listen('OrderStatusUpdated')`. */
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

    /** Named by broadcastAs: Echo listens with `.listen('.order.shipped')`. */
    class OrderShipped extends OrderStatusUpdated
    {
        public function broadcastAs()
        {
            return 'order.shipped';
        }
    }

    class ChatMessage implements ShouldBroadcast
    {
        use InteractsWithSockets;

        public function __construct(public string $text)
        {
        }

        public function broadcastOn()
        {
            return new PresenceChannel('chat.1');
        }
    }

    class VaultOpened implements ShouldBroadcast
    {
        use InteractsWithSockets;

        public function __construct(public string $secret)
        {
        }

        public function broadcastOn()
        {
            return new EncryptedPrivateChannel('vault.1');
        }

        public function broadcastAs()
        {
            return 'vault.opened';
        }
    }
}

namespace {

    use App\Events\ChatMessage;
    use App\Events\OrderShipped;
    use App\Events\OrderStatusUpdated;
    use App\Events\VaultOpened;
    use Illuminate\Broadcasting\BroadcastEvent;
    use Illuminate\Broadcasting\BroadcastManager;
    use Illuminate\Http\Request;
    use Symfony\Component\HttpKernel\Exception\HttpExceptionInterface;

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

    function app_broadcasting(): BroadcastManager
    {
        static $manager = null;
        if ($manager !== null) {
            return $manager;
        }
        $app = boot_laravel_broadcasting([
            'pushcast' => [
                'driver' => 'pushcast',
                'key' => 'app-key',
                'secret' => 'app-secret',
                'app_id' => '12345',
                'options' => test_server_options() + [
                    'encryption_master_key_base64' => getenv('PUSHCAST_MASTER_KEY'),
                ],
            ],
        ]);
        $manager = $app->make(BroadcastManager::class);
        // routes/channels.php
        $broadcaster = $manager->connection();
        $broadcaster->channel('orders.{id}', static fn ($user, $id) => (int) $id === 1 && $user->id === 1);
        $broadcaster->channel('chat.{room}', static fn ($user, $room) => ['id' => $user->id, 'name' => $user->name]);
        $broadcaster->channel('vault.{id}', static fn ($user, $id) => $user->id === 1);
        return $manager;
    }

    function respond(int $status, array $body): void
    {
        http_response_code($status);
        header('Content-Type: application/json');
        echo json_encode($body);
    }

    $manager = app_broadcasting();
    $request = Request::capture();
    $users = [1 => new DemoUser(1, 'Ada'), 2 => new DemoUser(2, 'Grace')];

    if ($request->getPathInfo() === '/broadcasting/auth') {
        $user = $users[(int) $request->header('X-User')] ?? null;
        $request->setUserResolver(static fn () => $user);
        try {
            respond(200, $manager->connection()->auth($request));
        } catch (HttpExceptionInterface $e) {
            respond($e->getStatusCode(), ['message' => 'denied']);
        }
        return;
    }

    if ($request->getPathInfo() === '/broadcast') {
        $input = json_decode($request->getContent(), true);
        $event = match ($input['event']) {
            'status' => new OrderStatusUpdated(1, 'packed'),
            'shipped' => new OrderShipped(1, 'shipped'),
            'chat' => new ChatMessage($input['text'] ?? ''),
            'vault' => new VaultOpened('the pin is 1234'),
        };
        $event->socket = $input['socket'] ?? null; // what toOthers() sets from X-Socket-ID
        (new BroadcastEvent($event))->handle($manager);
        $flush = $manager->connection()->getPushcast()->flush(5000);
        respond(200, ['pending' => $flush['pending']]);
        return;
    }

    respond(404, ['message' => 'not found']);
}
