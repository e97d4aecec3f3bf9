<?php

declare(strict_types=1);

namespace Pushcast\Laravel;

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Console\Command;

/**
 * `php artisan pushcast:status [connection]`: configuration sanity, a ping to the server (a
 * signed GET /channels), and this process's live stats. Exit code 0 only when all is well.
 */
class StatusCommand extends Command
{
    protected $signature = 'pushcast:status {connection? : A broadcasting connection (default: the default one)}';

    protected $description = 'Check a pushcast broadcasting connection: configuration, server ping, live stats';

    public function handle(BroadcastManager $manager): int
    {
        if (!extension_loaded('pushcast')) {
            $this->error('The pushcast PHP extension is not loaded: add "extension=pushcast.so" to php.ini (CLI and FPM).');
            return 1;
        }
        $config = $this->laravel['config'];
        $name = $this->argument('connection') ?? $config->get('broadcasting.default');
        $connection = $config->get("broadcasting.connections.$name");
        if (!is_array($connection)) {
            $this->error("No broadcasting connection named \"$name\".");
            return 1;
        }
        if (($connection['driver'] ?? null) !== 'pushcast') {
            $this->error("Connection \"$name\" uses driver \"" . ($connection['driver'] ?? '') . '", not "pushcast".');
            return 1;
        }
        $this->line("pushcast " . phpversion('pushcast') . ", connection \"$name\", app " . ($connection['app_id'] ?? '?')
            . ', mode ' . ($connection['mode'] ?? 'async'));

        try {
            $client = $manager->connection($name)->getPushcast();
            $started = microtime(true);
            $channels = $client->getChannels();
            $this->info(sprintf(
                'ping: ok in %.1f ms, %d occupied channel(s)',
                (microtime(true) - $started) * 1000,
                // pusher-http-php's answer is an object; older extensions answered an array.
                count((is_object($channels) ? ($channels->channels ?? []) : ($channels['channels'] ?? [])))
            ));
        } catch (\Throwable $e) {
            $this->error('ping: failed: ' . $e->getMessage());
            return 1;
        }

        $rows = [];
        foreach ($client->stats() as $key => $value) {
            if ($key === 'circuits') {
                // One row per endpoint: its circuit breaker's state.
                foreach ($value as $circuit) {
                    $rows[] = ['circuit ' . $circuit['endpoint'], $circuit['state']];
                }
                continue;
            }
            $rows[] = [$key, $value === null ? '-' : (string) $value];
        }
        $this->table(['stat', 'value'], $rows);
        return 0;
    }
}
