<?php

return [
    // Composer's package discovery would register it, from pushcast's composer.json, before
    // the app's own providers; the shared vendor tree does not hold pushcast, so it is listed
    // here, first (AppServiceProvider's boot already resolves the broadcaster).
    Pushcast\Laravel\PushcastServiceProvider::class,
    App\Providers\AppServiceProvider::class,
];
