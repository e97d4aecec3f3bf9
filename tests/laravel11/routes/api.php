<?php

use App\Events\ChatMessage;
use App\Events\NewsPublished;
use App\Events\OrderShipped;
use App\Events\OrderStatusUpdated;
use App\Events\RefusedBroadcast;
use App\Events\Tick;
use App\Events\TickSentinel;
use App\Events\VaultOpened;
use Illuminate\Broadcasting\BroadcastException;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Broadcast;
use Illuminate\Support\Facades\Route;
use Pushcast\PushcastException;

// Laravel Echo sends X-Socket-ID on the app's requests; broadcast(...)->toOthers() reads it.

Route::post('/broadcast/{event}', function (Request $request, string $event) {
    match ($event) {
        'news' => broadcast(new NewsPublished((string) $request->input('headline'))),
        'status' => broadcast(new OrderStatusUpdated(1, 'packed')),
        'shipped' => broadcast(new OrderShipped(1, 'shipped')),
        'vault' => broadcast(new VaultOpened('the pin is 1234')),
        'chat' => $request->boolean('to_others')
            ? broadcast(new ChatMessage((string) $request->input('text')))->toOthers()
            : broadcast(new ChatMessage((string) $request->input('text'))),
    };
    return ['broadcast' => $event, 'socket' => Broadcast::socket($request)];
});

// A broadcast the server refuses (wrong secret): Laravel's BroadcastException, as with Pusher.
Route::post('/broadcast-refused', function () {
    try {
        RefusedBroadcast::dispatch(1);
        return ['thrown' => null];
    } catch (\Throwable $e) {
        return [
            'thrown' => get_class($e),
            'message' => $e->getMessage(),
            'code' => $e->getCode(),
            'previous' => $e->getPrevious() ? get_class($e->getPrevious()) : null,
            'is_broadcast_exception' => $e instanceof BroadcastException,
        ];
    }
});

// What /broadcasting/user-auth does (BroadcastController::authenticateUser), with the failure
// shown instead of rendered as a 500.
Route::post('/user-auth-probe', function (Request $request) {
    try {
        return ['thrown' => null, 'answer' => Broadcast::resolveAuthenticatedUser($request)];
    } catch (\Throwable $e) {
        return [
            'thrown' => get_class($e),
            'message' => $e->getMessage(),
            'is_pushcast_exception' => $e instanceof PushcastException,
        ];
    }
});

// sendToUser (`#server-to-user-{id}`), which needs user sign-in on the server.
Route::post('/send-to-user', function () {
    $pushcast = Broadcast::connection()->getPushcast();
    try {
        $queued = $pushcast->sendToUser('1', 'greeting', ['hello' => 'Ada']);
        return ['thrown' => null, 'queued' => $queued];
    } catch (\Throwable $e) {
        return [
            'thrown' => get_class($e),
            'message' => $e->getMessage(),
            'is_pushcast_exception' => $e instanceof PushcastException,
        ];
    }
});

// A Pusher webhook read as code written for the pusher driver reads it: the connection's
// getPusher()->webhook() with Laravel's headers ($request->headers->all(): lower-case names,
// lists of values) and the raw body, then pusher-http-php's Webhook methods.
Route::post('/pusher-webhook', function (Request $request) {
    try {
        $hook = Broadcast::connection('pushcast')->getPusher()->webhook($request->headers->all(), $request->getContent());
        return ['thrown' => null, 'time_ms' => $hook->get_time_ms(), 'events' => $hook->get_events()];
    } catch (\Throwable $e) {
        return [
            'thrown' => get_class($e),
            'message' => $e->getMessage(),
            'is_pushcast_exception' => $e instanceof PushcastException,
        ];
    }
});

// One queued broadcast: inserts a BroadcastEvent job (QUEUE_CONNECTION=database).
Route::get('/tick/{run}/{id}', function (string $run, int $id) {
    Tick::dispatch($run, $id);
    return 'queued';
})->where('id', '[0-9]+');

// The end of a queued run (see tests/laravel11/js/tick-counter.js).
Route::post('/tick/{run}/sentinel', function (string $run) {
    TickSentinel::dispatch($run);
    return 'sent';
});

// This web process's pushcast stats.
Route::get('/pushcast-stats', fn () => Broadcast::connection()->getPushcast()->stats());
