<?php

declare(strict_types=1);

namespace Pushcast\Laravel;

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Support\ServiceProvider;
use Pushcast\Client;

/**
 * Registers the `pushcast` broadcasting driver (package auto-discovery: composer.json).
 *
 * A connection in config/broadcasting.php takes the keys of the `reverb` and `pusher`
 * connections (`key`, `secret`, `app_id`, `options`: host, port, scheme, useTLS, cluster,
 * timeout, encryption_master_key_base64) plus pushcast's own: `mode` (async|confirmed),
 * `confirm_timeout_ms`, and in `options` endpoints, server_profile, queue_capacity,
 * backpressure, *_timeout_ms, ca_file, verify, breaker_*, conflate, spool (a directory:
 * the durable spool) and spool_*. `client_options`
 * (Guzzle's) do not apply.
 *
 * Metrics: a pushcast connection with `metrics_route` (true for `/pushcast/metrics`, or a
 * path) gets a GET route answering the client's stats in the Prometheus text format, behind
 * the connection's optional `metrics_middleware` (a name or a list, e.g. `['auth.basic']`).
 * Give each connection its own path when several set it.
 */
class PushcastServiceProvider extends ServiceProvider
{
    /**
     * Without a `pushcast` connection in config/broadcasting.php, one is made from the `reverb`
     * connection Laravel 11 ships (its `REVERB_*` keys, the reverb server profile), so that
     * `BROADCAST_CONNECTION=pushcast` is all an app with Reverb needs. A `pushcast` connection
     * of the app's own is left as it is.
     */
    public function register(): void
    {
        if (!$this->app->bound('config')) {
            return;
        }
        $config = $this->app['config'];
        $reverb = $config->get('broadcasting.connections.reverb');
        if ($config->get('broadcasting.connections.pushcast') !== null || !is_array($reverb)) {
            return;
        }
        $options = (array) ($reverb['options'] ?? []);
        $options['server_profile'] = $options['server_profile'] ?? 'reverb';
        $connection = ['driver' => 'pushcast', 'options' => $options] + $reverb;
        // Guzzle's options of the reverb connection do not apply to pushcast.
        unset($connection['client_options']);
        $config->set('broadcasting.connections.pushcast', $connection);
    }

    public function boot(): void
    {
        $this->app->make(BroadcastManager::class)->extend('pushcast', function ($app, array $config) {
            return self::broadcaster($config);
        });
        if (method_exists($this->app, 'runningInConsole') && $this->app->runningInConsole()) {
            $this->commands([StatusCommand::class]);
        }
        $this->registerMetricsRoutes();
    }

    /** One GET route per pushcast connection that sets `metrics_route`. */
    private function registerMetricsRoutes(): void
    {
        if (!$this->app->bound('config') || !$this->app->bound('router')) {
            return;
        }
        foreach ((array) $this->app['config']->get('broadcasting.connections', []) as $name => $connection) {
            if (($connection['driver'] ?? null) !== 'pushcast' || empty($connection['metrics_route'])) {
                continue;
            }
            $path = $connection['metrics_route'] === true ? '/pushcast/metrics' : (string) $connection['metrics_route'];
            $app = $this->app;
            $route = $this->app['router']->get($path, static function () use ($app, $name) {
                $broadcaster = $app->make(BroadcastManager::class)->connection($name);
                return new \Illuminate\Http\Response(
                    $broadcaster->getPushcast()->metrics(),
                    200,
                    ['Content-Type' => 'text/plain; version=0.0.4; charset=utf-8'],
                );
            })->name("pushcast.metrics.$name");
            if (!empty($connection['metrics_middleware'])) {
                $route->middleware($connection['metrics_middleware']);
            }
        }
    }

    /** Builds the broadcaster from a connection's config. */
    public static function broadcaster(array $config): PushcastBroadcaster
    {
        if (!extension_loaded('pushcast')) {
            throw new \RuntimeException(
                'The pushcast PHP extension is not loaded. Add "extension=pushcast.so" (the full path '
                . 'to libpushcast_php.so also works) to your php.ini, for the CLI and for PHP-FPM.'
            );
        }
        foreach (['key', 'secret', 'app_id'] as $required) {
            if (!isset($config[$required]) || $config[$required] === '') {
                throw new \InvalidArgumentException("pushcast broadcaster: connection key `$required` is missing");
            }
        }
        $client = new Client(
            (string) $config['key'],
            (string) $config['secret'],
            (string) $config['app_id'],
            $config['options'] ?? [],
        );
        return new PushcastBroadcaster(
            $client,
            $config['mode'] ?? 'async',
            (int) ($config['confirm_timeout_ms'] ?? 5000),
        );
    }
}
