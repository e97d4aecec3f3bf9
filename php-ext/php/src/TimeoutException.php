<?php

declare(strict_types=1);

namespace Pushcast;

/**
 * A deadline passed. A confirmed event may still be delivered later.
 *
 * Declared in PHP (not in the extension) so that applications can catch and extend it; the
 * extension throws it by name.
 */
class TimeoutException extends PushcastException
{
}
