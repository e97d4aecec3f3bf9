<?php

declare(strict_types=1);

// /broadcasting/auth for the demo's browser-like clients (the X-User header says who is
// logged in), served by `php -S` with the pushcast extension.
require __DIR__ . '/app.php';

use Illuminate\Http\Request;
use Symfony\Component\HttpKernel\Exception\HttpExceptionInterface;

$request = Request::capture();
$user = demo_users()[(int) $request->header('X-User')] ?? null;
$request->setUserResolver(static fn () => $user);
header('Content-Type: application/json');
try {
    echo json_encode(demo_broadcasting()->connection()->auth($request));
} catch (HttpExceptionInterface $e) {
    http_response_code($e->getStatusCode());
    echo '{"message":"denied"}';
}
