<?php

namespace App\Providers;

use Illuminate\Auth\GenericUser;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Auth;
use Illuminate\Support\Facades\Broadcast;
use Illuminate\Support\ServiceProvider;

class AppServiceProvider extends ServiceProvider
{
    /** The users of this test app, by id. */
    public const USERS = [1 => 'Ada', 2 => 'Grace'];

    public function boot(): void
    {
        // A closure request guard (config/auth.php): the `X-User` header names the user.
        Auth::viaRequest('x-user-header', static function (Request $request) {
            $id = (int) $request->header('X-User');
            return isset(self::USERS[$id]) ? new GenericUser(['id' => $id, 'name' => self::USERS[$id]]) : null;
        });

        // App\Listeners\ReportPushcastStats (a queue worker's pushcast stats when it stops) is
        // registered by Laravel 11's event discovery (app/Listeners).

        // User sign-in (pusher:signin): POST /broadcasting/user-auth answers the signed user data.
        Broadcast::userRoutes();
        Broadcast::resolveAuthenticatedUserUsing(static function (Request $request) {
            $user = $request->user();
            return $user ? ['id' => (string) $user->getAuthIdentifier(), 'user_info' => ['name' => $user->name]] : null;
        });
    }
}
