<?php

// IDE stubs of the exception classes the pushcast extension registers at module startup
// (php-ext/src/errors.rs). cargo-php does not see classes registered there, so this file is
// written by hand; PusherSurfaceTest::testExceptionStubsMatchTheExtension checks it against
// the loaded extension. Never loaded at run time: the classes exist without any autoloader.

namespace Pushcast {
    /**
     * Every error pushcast throws (as pusher-http-php's `Pusher\PusherException`).
     * `getCode()`: the C ABI's result code (include/pushcast.h), or the HTTP status for
     * `ApiErrorException`.
     */
    class PushcastException extends \Exception {}

    /** Bad input or configuration, found before anything touched the network (codes 1xxx, 2xxx). */
    class ValidationException extends PushcastException {}

    /** The server refused a request: `getCode()` is the HTTP status. */
    class ApiErrorException extends PushcastException
    {
        /** `(Status {code}) {message}`, as pusher-http-php's. */
        public function __toString(): string {}
    }

    /** The queue (or spool) was full under the fail-fast policy (5000). */
    class QueueFullException extends PushcastException {}

    /** A deadline passed: a confirmed publish, a promise's wait, an API call (5001). */
    class TimeoutException extends PushcastException {}

    /** Every endpoint's circuit was open under the fail-fast breaker policy (5004). */
    class CircuitOpenException extends PushcastException {}
}
