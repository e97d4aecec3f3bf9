<?php

use Illuminate\Foundation\Application;
use Illuminate\Foundation\Configuration\Exceptions;
use Illuminate\Foundation\Configuration\Middleware;

// A Laravel 11 application as `laravel new` shapes it (bootstrap/app.php, providers.php).
// The writable state (storage, bootstrap caches) goes where scripts/test-laravel11 says:
// LARAVEL_STORAGE_PATH and APP_*_CACHE.
$app = Application::configure(basePath: dirname(__DIR__))
    ->withRouting(
        web: __DIR__.'/../routes/web.php',
        api: __DIR__.'/../routes/api.php',
        commands: __DIR__.'/../routes/console.php',
        health: '/up',
    )
    ->withBroadcasting(__DIR__.'/../routes/channels.php')
    ->withMiddleware(function (Middleware $middleware) {
        //
    })
    ->withExceptions(function (Exceptions $exceptions) {
        //
    })->create();

if (($storage = getenv('LARAVEL_STORAGE_PATH')) !== false && $storage !== '') {
    $app->useStoragePath($storage);
}

return $app;
