<?php

declare(strict_types=1);

namespace Pushcast;

/**
 * Bad input or configuration, caught before anything touched the network.
 *
 * Declared in PHP (not in the extension) so that applications can catch and extend it; the
 * extension throws it by name.
 */
class ValidationException extends PushcastException
{
}
