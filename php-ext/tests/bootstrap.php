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
