<?php

// The users of this test app are named by an `X-User` header (1 = Ada, 2 = Grace), read by a
// closure request guard (App\Providers\AppServiceProvider): what a session cookie does in a
// browser, without a login form. Guests (no header) are guests.

return [

    'defaults' => [
        'guard' => 'header',
        'passwords' => 'users',
    ],

    'guards' => [
        'header' => [
            'driver' => 'x-user-header',
        ],
    ],

];
