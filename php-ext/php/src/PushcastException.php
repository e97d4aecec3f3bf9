<?php

declare(strict_types=1);

namespace Pushcast;

/**
 * Base of every error pushcast throws. `getCode()` is the pushcast result code, except where a subclass says otherwise.
 *
 * Declared in PHP (not in the extension) so that applications can catch and extend it; the
 * extension throws it by name.
 */
class PushcastException extends \RuntimeException
{
}
