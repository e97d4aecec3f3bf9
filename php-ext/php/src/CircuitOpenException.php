<?php

declare(strict_types=1);

namespace Pushcast;

/**
 * Every endpoint's circuit breaker is open and the `breaker_open_policy` option is
 * `fail_fast`: the event was not accepted.
 *
 * Declared in PHP (not in the extension) so that applications can catch and extend it; the
 * extension throws it by name.
 */
class CircuitOpenException extends PushcastException
{
}
