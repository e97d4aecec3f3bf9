<?php

declare(strict_types=1);

namespace Pushcast;

/**
 * The server refused the request. `getCode()` is the HTTP status.
 *
 * Declared in PHP (not in the extension) so that applications can catch and extend it; the
 * extension throws it by name.
 */
class ApiErrorException extends PushcastException
{
}
