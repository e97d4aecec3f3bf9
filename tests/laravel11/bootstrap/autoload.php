<?php

// This app has no vendor/ of its own: it uses the Laravel 11 tree of the shared Reverb app
// (Laravel 11.33.2, laravel/reverb 1.10.2, pusher/pusher-php-server 7.2.7; read-only), with
// this app's App\ classes and pushcast's PHP classes (php-ext/php/src, what composer.json's
// psr-4 entry maps) added to its Composer class loader.
//
// The shared folder is PUSHCAST_SHARED, else ../shared beside the clone (as
// scripts/lib/reverb-session finds it).

$shared = getenv('PUSHCAST_SHARED') ?: dirname(__DIR__, 4) . '/shared';
$vendor = "$shared/reverb/app/vendor";
if (!is_file("$vendor/autoload.php")) {
    throw new RuntimeException("no Laravel 11 vendor tree at $vendor (set PUSHCAST_SHARED)");
}
// Package discovery reads the vendor tree's installed.json (Reverb's provider, as in a real app).
putenv("COMPOSER_VENDOR_DIR=$vendor");
$_ENV['COMPOSER_VENDOR_DIR'] = $_SERVER['COMPOSER_VENDOR_DIR'] = $vendor;

/** @var Composer\Autoload\ClassLoader $loader */
$loader = require "$vendor/autoload.php";
$loader->setPsr4('App\\', [dirname(__DIR__) . '/app/']);
$loader->setPsr4('Pushcast\\', [dirname(__DIR__, 3) . '/php-ext/php/src/']);

return $loader;
