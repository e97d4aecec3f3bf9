<?php

declare(strict_types=1);

/**
 * Makes the real pusher-http-php 7.2.7 loadable from `$vendor` (the Reverb app's vendor tree in
 * ../shared): only its own classes and the PSR and Guzzle packages it needs, appended after
 * the caller's loaders (the whole vendor autoloader would prepend the Reverb app's Laravel to
 * Debian's). Used by the parity tests and by scripts/crosscheck-php.
 */
function load_pusher_http_php(string $vendor): void
{
    static $loaded = [];
    if (isset($loaded[$vendor])) {
        return;
    }
    $loaded[$vendor] = true;
    $map = [
        'Pusher\\' => ['/pusher/pusher-php-server/src'],
        'Psr\\Log\\' => ['/psr/log/src'],
        'Psr\\Http\\Message\\' => ['/psr/http-message/src', '/psr/http-factory/src'],
        'Psr\\Http\\Client\\' => ['/psr/http-client/src'],
        'GuzzleHttp\\Psr7\\' => ['/guzzlehttp/psr7/src'],
        'GuzzleHttp\\Promise\\' => ['/guzzlehttp/promises/src'],
        'GuzzleHttp\\' => ['/guzzlehttp/guzzle/src'],
    ];
    spl_autoload_register(static function (string $class) use ($map, $vendor): void {
        foreach ($map as $prefix => $dirs) {
            if (!str_starts_with($class, $prefix)) {
                continue;
            }
            foreach ($dirs as $dir) {
                $path = $vendor . $dir . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
                if (is_file($path)) {
                    require $path;
                    return;
                }
            }
        }
    });
}

/**
 * The vendor tree of ../shared/reverb with pusher-http-php made loadable, or null where this
 * clone has no ../shared beside it (the tests that need it then skip).
 */
function pusher_http_php_vendor(): ?string
{
    $vendor = dirname(__DIR__, 3) . '/shared/reverb/app/vendor';
    if (!is_file($vendor . '/pusher/pusher-php-server/src/Pusher.php')) {
        return null;
    }
    load_pusher_http_php($vendor);
    return $vendor;
}
