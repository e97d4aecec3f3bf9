<?php

declare(strict_types=1);

// The Laravel 11 side of the Reverb suite: Illuminate 11.33.2 from ../shared/reverb/app/vendor
// (never Debian's Laravel 8 in the same process), the broadcasting part of an app booted as
// the framework would, with the `pushcast` driver, and the app's events.

namespace App\Events {

    use Illuminate\Broadcasting\Channel;
    use Illuminate\Broadcasting\InteractsWithSockets;
    use Illuminate\Broadcasting\PresenceChannel;
    use Illuminate\Contracts\Broadcasting\ShouldBroadcast;

    /** `broadcast(new HoldUpdated(..))->toOthers()`: queued (sync queue), as in an app. */
    class HoldUpdated implements ShouldBroadcast
    {
        use InteractsWithSockets;

        public function __construct(public string $id, public string $channel)
        {
        }

        public function broadcastOn()
        {
            return new Channel($this->channel);
        }

        public function broadcastAs()
        {
            return 'hold.updated';
        }

        public function broadcastWith()
        {
            return ['id' => $this->id];
        }
    }

    /** A message in a presence room (Echo: `join('room.1').listen('.room.message')`). */
    class RoomMessage implements ShouldBroadcast
    {
        use InteractsWithSockets;

        public function __construct(public string $id, public string $room, public string $text)
        {
        }

        public function broadcastOn()
        {
            return new PresenceChannel($this->room);
        }

        public function broadcastAs()
        {
            return 'room.message';
        }

        public function broadcastWith()
        {
            return ['id' => $this->id, 'text' => $this->text];
        }
    }
}

namespace Pushcast\ReverbSuite {

    use Illuminate\Broadcasting\BroadcastManager;
    use Illuminate\Bus\Dispatcher as BusDispatcher;
    use Illuminate\Config\Repository;
    use Illuminate\Container\Container;
    use Illuminate\Events\Dispatcher as EventDispatcher;
    use Illuminate\Http\Request;
    use Illuminate\Queue\Connectors\SyncConnector;
    use Illuminate\Queue\QueueManager;
    use Illuminate\Support\Facades\Facade;
    use Pushcast\Laravel\PushcastServiceProvider;

    final class User
    {
        public function __construct(public int $id, public string $name)
        {
        }

        public function getAuthIdentifier()
        {
            return $this->id;
        }
    }

    /**
     * The broadcasting part of a Laravel 11 app: config (`broadcasting`, `queue` with the
     * sync connection), the event dispatcher, the bus and queue (ShouldBroadcast events go
     * through the queue, as in an app), the BroadcastManager and pushcast's service provider,
     * facades. `$connection` is config/broadcasting.php's `pushcast` connection.
     */
    function boot_laravel11(array $connection): Container
    {
        $app = new Container();
        Container::setInstance($app);
        Facade::clearResolvedInstances();
        Facade::setFacadeApplication($app);
        $app->instance(\Illuminate\Contracts\Container\Container::class, $app);
        $app->instance('config', new Repository([
            'broadcasting' => ['default' => 'pushcast', 'connections' => ['pushcast' => $connection]],
            'queue' => ['default' => 'sync', 'connections' => ['sync' => ['driver' => 'sync']]],
        ]));
        $app->singleton('events', static fn ($app) => (new EventDispatcher($app))
            ->setQueueResolver(static fn () => $app->make('queue')));
        $app->alias('events', \Illuminate\Contracts\Events\Dispatcher::class);
        $app->singleton('queue', static function ($app) {
            $manager = new QueueManager($app);
            $manager->addConnector('sync', static fn () => new SyncConnector());
            return $manager;
        });
        $app->singleton(BusDispatcher::class, static fn ($app) => new BusDispatcher(
            $app,
            static fn ($connection = null) => $app->make('queue')->connection($connection),
        ));
        $app->alias(BusDispatcher::class, \Illuminate\Contracts\Bus\Dispatcher::class);
        $app->alias(BusDispatcher::class, \Illuminate\Contracts\Bus\QueueingDispatcher::class);
        $app->singleton(BroadcastManager::class, static fn ($app) => new BroadcastManager($app));
        $app->alias(BroadcastManager::class, \Illuminate\Contracts\Broadcasting\Factory::class);
        (new PushcastServiceProvider($app))->boot();
        return $app;
    }

    /** The current HTTP request, as toOthers() reads it (`X-Socket-ID`). */
    function set_request_socket(Container $app, ?string $socketId): void
    {
        $server = $socketId === null ? [] : ['HTTP_X_SOCKET_ID' => $socketId];
        $app->instance('request', Request::create('/orders', 'POST', [], [], [], $server));
    }

    /**
     * What Laravel's BroadcastController does for `POST /broadcasting/auth`: the driver's
     * auth() with the request's user; returns [status, body].
     */
    function broadcasting_auth(BroadcastManager $manager, ?User $user, string $channel, string $socketId): array
    {
        $request = Request::create('/broadcasting/auth', 'POST', ['channel_name' => $channel, 'socket_id' => $socketId]);
        $request->setUserResolver(static fn () => $user);
        try {
            return [200, $manager->connection()->auth($request)];
        } catch (\Symfony\Component\HttpKernel\Exception\HttpExceptionInterface $e) {
            return [$e->getStatusCode(), ['message' => 'denied']];
        }
    }
}
