<?php

use Illuminate\Support\Facades\Route;

Route::get('/', fn () => ['app' => 'pushcast laravel11 test app']);
