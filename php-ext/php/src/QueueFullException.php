<?php

declare(strict_types=1);

namespace Pushcast;

/**
 * The publish queue is full (see the `backpressure` option).
 *
 * Declared in PHP (not in the extension) so that applications can catch and extend it; the
 * extension throws it by name.
 */
class QueueFullException extends PushcastException
{
}
