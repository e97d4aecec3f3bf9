<?php

declare(strict_types=1);

// PHPUnit bootstrap with Debian's Laravel 8.83 (php-illuminate-*; bootstrap-laravel11.php is
// the Laravel 11 one): pushcast's PHP classes (composer would autoload them through
// composer.json's psr-4 entry; this is the same mapping without Packagist).
const PUSHCAST_TEST_BOOTSTRAP = __FILE__; // e2e/app.php boots the same way

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

require_once __DIR__ . '/helpers.php';
