<?php

declare(strict_types=1);

// PHPUnit bootstrap with Laravel 11 (phpunit-laravel11.xml, run by scripts/test-laravel11):
// the Laravel 11.33.2 vendor tree of ../shared/reverb (PUSHCAST_SHARED) instead of Debian's
// Laravel 8.83, with pushcast's PHP classes, through the class loader the Laravel 11 test app
// uses (tests/laravel11/bootstrap/autoload.php). Nothing from Debian's php-illuminate-* loads.
const PUSHCAST_TEST_BOOTSTRAP = __FILE__; // e2e/app.php boots the same way

if (!extension_loaded('pushcast')) {
    fwrite(STDERR, "the pushcast extension is not loaded: run scripts/test-laravel11\n");
    exit(1);
}
require_once __DIR__ . '/../../tests/laravel11/bootstrap/autoload.php';
if (!str_starts_with(Illuminate\Foundation\Application::VERSION, '11.')) {
    fwrite(STDERR, 'expected Laravel 11, the vendor tree holds ' . Illuminate\Foundation\Application::VERSION . "\n");
    exit(1);
}

require_once __DIR__ . '/helpers.php';
