<?php

// Stubs for pushcast

namespace Pushcast {
    /**
     * Publishes events to a Pusher-protocol server without blocking on the network.
     */
    class Client {
        /**
         * `new Pushcast\Client($auth_key, $secret, $app_id, $options)`, like `new
         * Pusher\Pusher(...)`. Unknown options are an error. Clients with the same configuration
         * share one engine. pusher-http-php's fifth argument, a Guzzle client, may be passed as
         * null (Laravel does); pushcast makes its own requests, so a client is refused.
         *
         * @param string $auth_key
         * @param string $secret
         * @param string $app_id
         * @param array|null $options
         * @param mixed $client
         */
        public function __construct(string $auth_key, string $secret, string $app_id, ?array $options = null, mixed $client = null) {}

        /**
         * User sign-in: signs PHP's `json_encode($user_data)` (which must hold an `id`).
         *
         * @param string $socket_id
         * @param mixed $user_data
         * @return string
         */
        public function authenticateUser(string $socket_id, mixed $user_data): string {}

        /**
         * The `/broadcasting/auth` answer (JSON text) for a private or encrypted channel, or a
         * presence channel with already-encoded `$custom_data`.
         *
         * @param string $channel
         * @param string $socket_id
         * @param string|null $custom_data
         * @return string
         */
        public function authorizeChannel(string $channel, string $socket_id, ?string $custom_data = null): string {}

        /**
         * Presence auth: `channel_data` is PHP's `json_encode(['user_id' => .., 'user_info' =>
         * ..])`, byte for byte what pusher-http-php signs.
         *
         * @param string $channel
         * @param string $socket_id
         * @param mixed $user_id
         * @param mixed $user_info
         * @return string
         */
        public function authorizePresenceChannel(string $channel, string $socket_id, mixed $user_id, mixed $user_info = null): string {}

        /**
         * Deprecated alias of `verifySignature` (pusher-http-php keeps it).
         *
         * @param array $headers
         * @param string $body
         * @return void
         */
        public function ensure_valid_signature(array $headers, string $body): void {}

        /**
         * Takes the recent failures: `[['event', 'channel', 'error', 'code', 'at'], ...]`, the
         * record every binding reports (`pushcast_client::Failure::to_json`'s fields).
         *
         * @return array
         */
        public function failures(): array {}

        /**
         * Waits up to `$timeoutMs` for pending events; returns `['pending' => n, 'stats' => [...]]`.
         *
         * @param int|null $timeout_ms
         * @return array
         */
        public function flush(?int $timeout_ms = null): array {}

        /**
         * A signed `GET` of any API path (after `/apps/{app_id}`), as pusher-http-php's `get`:
         * the answer decoded by `json_decode($body, $associative)`.
         *
         * @param string $path
         * @param array|null $params
         * @param mixed $associative
         * @return mixed
         */
        public function get(string $path, ?array $params = null, mixed $associative = null): mixed {}

        /**
         * `GET /channels/{channel}`: the server's answer decoded as pusher-http-php decodes it
         * (an object: `occupied`, `subscription_count`, `user_count` as sent).
         *
         * @param string $channel
         * @param array|null $params
         * @return object
         */
        public function getChannelInfo(string $channel, ?array $params = null): object {}

        /**
         * `GET /channels`; `$params['filter_by_prefix']`, `$params['info']`. An object whose
         * `channels` is an array keyed by channel name, of objects (pusher-http-php's shape).
         *
         * @param array|null $params
         * @return object
         */
        public function getChannels(?array $params = null): object {}

        /**
         * `GET /channels/{channel}/users`: an object whose `users` is a list of objects with
         * `id`. (Reverb's 404 `{}` for a presence channel nobody is on is no users.)
         *
         * @param string $channel
         * @return object
         */
        public function getPresenceUsers(string $channel): object {}

        /**
         * pusher-http-php's settings: `scheme`, `port`, `path`, `timeout`, `auth_key`,
         * `secret`, `app_id`, `base_path`, `host` (of the first endpoint).
         *
         * @return array
         */
        public function getSettings(): array {}

        /**
         * Deprecated alias of `getChannelInfo` (pusher-http-php keeps it).
         *
         * @param string $channel
         * @param array|null $params
         * @return object
         */
        public function get_channel_info(string $channel, ?array $params = null): object {}

        /**
         * Deprecated alias of `getChannels` (pusher-http-php keeps it).
         *
         * @param array|null $params
         * @return object
         */
        public function get_channels(?array $params = null): object {}

        /**
         * Deprecated alias of `getPresenceUsers` (pusher-http-php keeps it).
         *
         * @param string $channel
         * @return object
         */
        public function get_users_info(string $channel): object {}

        /**
         * The live statistics in the Prometheus text format (for a `/metrics` route).
         *
         * @return string
         */
        public function metrics(): string {}

        /**
         * A signed `POST` of `$body` (a string, e.g. JSON) to any API path, as pusher-http-php's
         * `post`: the answer decoded as an object.
         *
         * @param string $path
         * @param mixed $body
         * @param array|null $params
         * @return mixed
         */
        public function post(string $path, mixed $body, ?array $params = null): mixed {}

        /**
         * `post` as a promise, as pusher-http-php's `postAsync`: the request runs on the I/O
         * thread and the promise settles with the decoded answer (or the typed exception).
         *
         * @param string $path
         * @param mixed $body
         * @param array|null $params
         * @return \Pushcast\Promise
         */
        public function postAsync(string $path, mixed $body, ?array $params = null): \Pushcast\Promise {}

        /**
         * Deprecated alias of `authorizePresenceChannel` (pusher-http-php keeps it).
         *
         * @param string $channel
         * @param string $socket_id
         * @param mixed $user_id
         * @param mixed $user_info
         * @return string
         */
        public function presenceAuth(string $channel, string $socket_id, mixed $user_id, mixed $user_info = null): string {}

        /**
         * Deprecated alias of `authorizePresenceChannel` (pusher-http-php keeps it).
         *
         * @param string $channel
         * @param string $socket_id
         * @param mixed $user_id
         * @param mixed $user_info
         * @return string
         */
        public function presence_auth(string $channel, string $socket_id, mixed $user_id, mixed $user_info = null): string {}

        /**
         * Queues an event for one user's connections (`#server-to-user-{user_id}`); returns like
         * `trigger`.
         *
         * @param string $user_id
         * @param string $event
         * @param mixed $data
         * @param bool|null $already_encoded
         * @return object
         */
        public function sendToUser(string $user_id, string $event, mixed $data, ?bool $already_encoded = null): object {}

        /**
         * `sendToUser` as a promise settled on delivery.
         *
         * @param string $user_id
         * @param string $event
         * @param mixed $data
         * @param bool|null $already_encoded
         * @return \Pushcast\Promise
         */
        public function sendToUserAsync(string $user_id, string $event, mixed $data, ?bool $already_encoded = null): \Pushcast\Promise {}

        /**
         * A PSR-3 logger (any object with `log($level, $message, $context)`): dropped events,
         * refused async publishes and rejected webhooks are logged to it.
         *
         * @param mixed $logger
         * @return void
         */
        public function setLogger(mixed $logger): void {}

        /**
         * Deprecated alias of `authorizeChannel` (pusher-http-php keeps it).
         *
         * @param string $channel
         * @param string $socket_id
         * @param string|null $custom_data
         * @return string
         */
        public function socketAuth(string $channel, string $socket_id, ?string $custom_data = null): string {}

        /**
         * Deprecated alias of `authorizeChannel` (pusher-http-php keeps it).
         *
         * @param string $channel
         * @param string $socket_id
         * @param string|null $custom_data
         * @return string
         */
        public function socket_auth(string $channel, string $socket_id, ?string $custom_data = null): string {}

        /**
         * Where events' time went in this process's engine, hop by hop: `['queue' => ['what',
         * 'count', 'p50_us', 'p99_us', 'buckets' => [upper bound µs => events]], 'batch', 'wake',
         * 'send', 'total']` (buckets of several workers merge by adding equal bounds).
         *
         * @return array
         */
        public function stageLatencies(): array {}

        /**
         * Live statistics of this process's engine for this configuration: every counter of the
         * library by name, `latency_p50_us` / `latency_p99_us` (null before any delivery),
         * `last_error` (null if none) and `circuits` (`[['endpoint' => .., 'state' => 'closed' |
         * 'open' | 'half_open']]`).
         *
         * @return array
         */
        public function stats(): array {}

        /**
         * `POST /users/{user_id}/terminate_connections`: the server's answer (`{}`) decoded.
         *
         * @param string $user_id
         * @return object
         */
        public function terminateUserConnections(string $user_id): object {}

        /**
         * `terminateUserConnections` as a promise: the request runs on the I/O thread and the
         * promise settles with its decoded answer.
         *
         * @param string $user_id
         * @return \Pushcast\Promise
         */
        public function terminateUserConnectionsAsync(string $user_id): \Pushcast\Promise {}

        /**
         * Queues an event for one or more channels and returns at once: an empty object (what
         * pusher-http-php returns for the server's `{}`), or `{"dropped": true}` when the
         * drop_newest policy dropped it (counted). With `$params['info']`, waits for delivery
         * and returns the server's answer (`channels`, an array keyed by channel name).
         *
         * @param mixed $channels
         * @param string $event
         * @param mixed $data
         * @param array|null $params
         * @param bool|null $already_encoded
         * @return object
         */
        public function trigger(mixed $channels, string $event, mixed $data, ?array $params = null, ?bool $already_encoded = null): object {}

        /**
         * `trigger` as a promise settled on delivery, with the value `trigger` returns after
         * delivery (`{}`, or the server's answer with `info`).
         *
         * @param mixed $channels
         * @param string $event
         * @param mixed $data
         * @param array|null $params
         * @param bool|null $already_encoded
         * @return \Pushcast\Promise
         */
        public function triggerAsync(mixed $channels, string $event, mixed $data, ?array $params = null, ?bool $already_encoded = null): \Pushcast\Promise {}

        /**
         * Queues `[['channel' => .., 'name' => .., 'data' => .., 'socket_id' => ..], ...]`; every
         * event is validated before any is queued. Returns like `trigger`; when an item asks for
         * `info`, waits for delivery and returns `{"batch": [{..}, ...]}` as the server answers.
         *
         * @param array $batch
         * @param bool|null $already_encoded
         * @return object
         */
        public function triggerBatch(array $batch, ?bool $already_encoded = null): object {}

        /**
         * `triggerBatch` as a promise settled when every event is delivered.
         *
         * @param array $batch
         * @param bool|null $already_encoded
         * @return \Pushcast\Promise
         */
        public function triggerBatchAsync(array $batch, ?bool $already_encoded = null): \Pushcast\Promise {}

        /**
         * Queues an event and waits up to `$timeoutMs` for the server's acknowledgement; returns
         * per-channel info (when `$params['info']` asked for it). For queue jobs.
         *
         * @param mixed $channels
         * @param string $event
         * @param mixed $data
         * @param array|null $params
         * @param int|null $timeout_ms
         * @param bool|null $already_encoded
         * @return array
         */
        public function triggerConfirmed(mixed $channels, string $event, mixed $data, ?array $params = null, ?int $timeout_ms = null, ?bool $already_encoded = null): array {}

        /**
         * Verifies a webhook's signature only; throws if it does not match.
         *
         * @param array $headers
         * @param string $body
         * @return void
         */
        public function verifySignature(array $headers, string $body): void {}

        /**
         * Verifies a webhook (headers as `['X-Pusher-Key' => .., 'X-Pusher-Signature' => ..]`,
         * any case) and returns a `Pushcast\Webhook` (`get_events()`: the events as objects,
         * decrypted where needed; `get_time_ms()`). `$max_age_ms` > 0 also refuses stale ones.
         *
         * @param array $headers
         * @param string $body
         * @param int|null $max_age_ms
         * @return \Pushcast\Webhook
         */
        public function webhook(array $headers, string $body, ?int $max_age_ms = null): \Pushcast\Webhook {}
    }

    /**
     * A promise of a delivery or an API answer, like the Guzzle promises of pusher-http-php's
     * `*Async` methods: `then(?callable $onFulfilled, ?callable $onRejected)` chains,
     * `wait(bool $unwrap = true)` blocks until it settles and returns the value or throws the
     * typed exception (`Pushcast\PushcastException` and its subclasses).
     */
    class Promise {
        public function __construct() {}

        /**
         * `pending`, `fulfilled` or `rejected` (Guzzle's state names), without waiting.
         *
         * @return string
         */
        public function getState(): string {}

        /**
         * `then(null, $onRejected)`.
         *
         * @param mixed $onRejected
         * @return \Pushcast\Promise
         */
        public function otherwise(mixed $onRejected): \Pushcast\Promise {}

        /**
         * A new promise settled by `$onFulfilled($value)` or `$onRejected($reason)` (their return
         * value fulfils it, an exception they throw rejects it); a missing callback passes the
         * value or reason through.
         *
         * @param mixed $onFulfilled
         * @param mixed $onRejected
         * @return \Pushcast\Promise
         */
        public function then(mixed $onFulfilled = null, mixed $onRejected = null): \Pushcast\Promise {}

        /**
         * Waits until the promise settles (the event delivered or failed, up to the client's
         * delivery timeout); returns the value, or throws the rejection when `$unwrap` (with
         * `$unwrap` false it returns null either way, as Guzzle's).
         *
         * @param bool|null $unwrap
         * @return mixed
         */
        public function wait(?bool $unwrap = null): mixed {}
    }

    /**
     * A verified webhook: its `time_ms` and its events, each an object as PHP's `json_decode`
     * reads it (`name`, `channel`, ... as the server sent them), with the data of encrypted
     * channels decrypted in place.
     */
    class Webhook {
        /**
         * `new Pushcast\Webhook($time_ms, $events)`, as `new Pusher\Webhook(...)`.
         *
         * @param int $time_ms
         * @param array $events
         */
        public function __construct(int $time_ms, array $events) {}

        /**
         * The events (a list of objects).
         *
         * @return array
         */
        public function get_events(): array {}

        /**
         * The webhook's `time_ms`.
         *
         * @return int
         */
        public function get_time_ms(): int {}
    }
}
