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
 * backpressure, *_timeout_ms, ca_file, verify. `client_options` (Guzzle's) do not apply.
 */
class PushcastServiceProvider extends ServiceProvider
{
    public function boot(): void
    {
        $this->app->make(BroadcastManager::class)->extend('pushcast', function ($app, array $config) {
            return self::broadcaster($config);
        });
        if (method_exists($this->app, 'runningInConsole') && $this->app->runningInConsole()) {
            $this->commands([StatusCommand::class]);
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
