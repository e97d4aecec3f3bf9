<?php

declare(strict_types=1);

// For the test that runs PHP without the extension: the same autoloading as bootstrap.php.
spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Pushcast\\')) {
        $path = __DIR__ . '/../php/src/' . str_replace('\\', '/', substr($class, strlen('Pushcast\\'))) . '.php';
        if (is_file($path)) {
            require $path;
        }
    }
});
foreach (['Illuminate/Broadcasting/autoload.php', 'Illuminate/Support/autoload.php'] as $autoload) {
    require_once $autoload;
}
