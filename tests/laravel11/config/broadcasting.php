<?php

// The `reverb` connection's keys with the pushcast driver (README "From Laravel"), plus the
// connections the tests need: one with a wrong secret (its broadcasts must fail with Laravel's
// BroadcastException). PUSHCAST_* settings come from scripts/test-laravel11.

$options = static fn (): array => array_filter([
    'host' => env('REVERB_HOST', '127.0.0.1'),
    'port' => (int) env('REVERB_PORT', 8080),
    'scheme' => env('REVERB_SCHEME', 'http'),
    'useTLS' => env('REVERB_SCHEME', 'http') === 'https',
    'server_profile' => 'reverb',
    'encryption_master_key_base64' => env('PUSHCAST_MASTER_KEY'),
    'spool' => env('PUSHCAST_SPOOL'),
], static fn ($value) => $value !== null && $value !== '');

return [

    'default' => env('BROADCAST_CONNECTION', 'pushcast'),

    'connections' => [

        'pushcast' => [
            'driver' => 'pushcast',
            'key' => env('REVERB_APP_KEY'),
            'secret' => env('REVERB_APP_SECRET'),
            'app_id' => env('REVERB_APP_ID'),
            'mode' => env('PUSHCAST_MODE', 'async'),
            'confirm_timeout_ms' => (int) env('PUSHCAST_CONFIRM_TIMEOUT_MS', 5000),
            'options' => $options(),
        ],

        'pushcast_wrong_secret' => [
            'driver' => 'pushcast',
            'key' => env('REVERB_APP_KEY'),
            'secret' => 'not-the-'.env('REVERB_APP_SECRET'),
            'app_id' => env('REVERB_APP_ID'),
            'mode' => 'confirmed',
            'options' => $options(),
        ],

    ],

];
