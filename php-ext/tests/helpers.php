<?php

declare(strict_types=1);

// What the PHPUnit bootstraps share (bootstrap.php: Debian's Laravel 8.83;
// bootstrap-laravel11.php: the Laravel 11 tree of ../shared/reverb).

/**
 * The server the tests publish to: PUSHCAST_TEST_SERVER_URL with PUSHCAST_TEST_SERVER_PROFILE
 * when set (scripts/test-laravel11: a real Reverb), else the sockudo of scripts/test-php.
 */
function test_server_url(): string
{
    return getenv('PUSHCAST_TEST_SERVER_URL') ?: (string) getenv('SOCKUDO_URL');
}

/** The connection options that reach the test server: its endpoint and server profile. */
function test_server_options(): array
{
    return ['endpoints' => [test_server_url()], 'server_profile' => getenv('PUSHCAST_TEST_SERVER_PROFILE') ?: 'sockudo'];
}

/**
 * A fresh container as an app's: Laravel's Application where the framework is whole (Laravel 11
 * from Composer; its console commands and router expect one), else the bare Container (Debian
 * ships Laravel 8.83's components without illuminate/foundation).
 */
function laravel_container(): Illuminate\Container\Container
{
    $app = class_exists(Illuminate\Foundation\Application::class)
        ? new Illuminate\Foundation\Application(sys_get_temp_dir())
        : new Illuminate\Container\Container();
    Illuminate\Container\Container::setInstance($app);
    return $app;
}

/**
 * Boots the part of a Laravel app that broadcasting needs: a container with the
 * `broadcasting` config (default connection `pushcast`), the BroadcastManager, and pushcast's
 * service provider, as the framework would. Returns the container.
 *
 * @param array<string, array> $connections config/broadcasting.php's `connections`
 */
function boot_laravel_broadcasting(array $connections): Illuminate\Container\Container
{
    $app = laravel_container();
    $app->instance('config', new Illuminate\Config\Repository(['broadcasting' => [
        'default' => 'pushcast',
        'connections' => $connections,
    ]]));
    $app->singleton(Illuminate\Broadcasting\BroadcastManager::class, static fn ($app) => new Illuminate\Broadcasting\BroadcastManager($app));
    $provider = new Pushcast\Laravel\PushcastServiceProvider($app);
    $provider->register();
    $provider->boot();
    return $app;
}

/**
 * Runs `$script` in a separate PHP process with the extension loaded and PHP's error log on
 * standard error (what a module shutdown writes shows there). Returns [exit code, standard
 * output, standard error].
 *
 * @param list<string> $args the script's $argv[1..]
 * @return array{int, string, string}
 */
function run_php_with_extension(string $script, array $args = []): array
{
    $command = array_merge(
        [PHP_BINARY, '-d', 'extension=' . getenv('PUSHCAST_EXTENSION'), '-d', 'log_errors=1', '-d', 'error_log=', '-r', $script],
        $args,
    );
    $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    if (!is_resource($process)) {
        throw new RuntimeException('cannot start ' . PHP_BINARY);
    }
    $stdout = stream_get_contents($pipes[1]);
    $stderr = stream_get_contents($pipes[2]);
    return [proc_close($process), $stdout, $stderr];
}
