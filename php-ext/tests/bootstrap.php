<?php

declare(strict_types=1);

// PHPUnit bootstrap: pushcast's PHP classes (composer would autoload them through
// composer.json's psr-4 entry; this is the same mapping without Packagist).
if (!extension_loaded('pushcast')) {
    fwrite(STDERR, "the pushcast extension is not loaded: run scripts/test-php\n");
    exit(1);
}
spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Pushcast\\')) {
        $path = __DIR__ . '/../php/src/' . str_replace('\\', '/', substr($class, strlen('Pushcast\\'))) . '.php';
        if (is_file($path)) {
            require $path;
        }
    }
});

// Laravel's components from Debian's php-illuminate-* packages (their own autoloaders).
foreach (['Illuminate/Broadcasting/autoload.php', 'Illuminate/Container/autoload.php', 'Illuminate/Config/autoload.php',
          'Illuminate/Http/autoload.php', 'Illuminate/Support/autoload.php', 'Illuminate/Console/autoload.php',
          'Symfony/Component/Console/autoload.php'] as $autoload) {
    require_once $autoload;
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
    $app = new Illuminate\Container\Container();
    Illuminate\Container\Container::setInstance($app);
    $app->instance('config', new Illuminate\Config\Repository(['broadcasting' => [
        'default' => 'pushcast',
        'connections' => $connections,
    ]]));
    $app->singleton(Illuminate\Broadcasting\BroadcastManager::class, static fn ($app) => new Illuminate\Broadcasting\BroadcastManager($app));
    (new Pushcast\Laravel\PushcastServiceProvider($app))->boot();
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
