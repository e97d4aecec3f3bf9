<?php

// Stubs for pushcast

namespace Pushcast {
    /**
     * Publishes events to a Pusher-protocol server without blocking on the network.
     */
    class Client {
        /**
         * `new Pushcast\Client($key, $secret, $appId, $options)`, like `new Pusher\Pusher(...)`.
         * Unknown options are an error. Clients with the same configuration share one engine.
         *
         * @param string $key
         * @param string $secret
         * @param string $app_id
         * @param array|null $options
         */
        public function __construct(string $key, string $secret, string $app_id, ?array $options = null) {}

        /**
         * User sign-in: signs PHP's `json_encode($userData)` (which must hold an `id`).
         *
         * @param string $socket_id
         * @param mixed $user_data
         * @return string
         */
        public function authenticateUser(string $socket_id, mixed $user_data): string {}

        /**
         * The `/broadcasting/auth` answer (JSON text) for a private or encrypted channel, or a
         * presence channel with already-encoded `$customData`.
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
         * Takes the recent failures: `[['event', 'channel', 'error', 'at'], ...]`.
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
         * `GET /channels/{channel}`; `$params['info']` as in pusher-http-php.
         *
         * @param string $channel
         * @param array|null $params
         * @return array
         */
        public function getChannelInfo(string $channel, ?array $params = null): array {}

        /**
         * `GET /channels`; `$params['filter_by_prefix']`, `$params['info']`. Returns
         * `['channels' => [name => info]]`.
         *
         * @param array|null $params
         * @return array
         */
        public function getChannels(?array $params = null): array {}

        /**
         * `GET /channels/{channel}/users`: `['users' => [['id' => ..], ...]]`.
         *
         * @param string $channel
         * @return array
         */
        public function getPresenceUsers(string $channel): array {}

        /**
         * The live statistics in the Prometheus text format (for a `/metrics` route).
         *
         * @return string
         */
        public function metrics(): string {}

        /**
         * Queues an event for one user's connections (`#server-to-user-{userId}`).
         *
         * @param string $user_id
         * @param string $event
         * @param mixed $data
         * @param bool|null $already_encoded
         * @return bool
         */
        public function sendToUser(string $user_id, string $event, mixed $data, ?bool $already_encoded = null): bool {}

        /**
         * Live statistics of this process's engine for this configuration.
         *
         * @return array
         */
        public function stats(): array {}

        /**
         * `POST /users/{userId}/terminate_connections`.
         *
         * @param string $user_id
         * @return void
         */
        public function terminateUserConnections(string $user_id): void {}

        /**
         * Queues an event for one or more channels; returns true (queued) or false (dropped by
         * the drop_newest policy, counted). Never waits on the network.
         *
         * @param mixed $channels
         * @param string $event
         * @param mixed $data
         * @param array|null $params
         * @param bool|null $already_encoded
         * @return bool
         */
        public function trigger(mixed $channels, string $event, mixed $data, ?array $params = null, ?bool $already_encoded = null): bool {}

        /**
         * Queues `[['channel' => .., 'name' => .., 'data' => .., 'socket_id' => ..], ...]`; every
         * event is validated before any is queued.
         *
         * @param array $batch
         * @param bool|null $already_encoded
         * @return bool
         */
        public function triggerBatch(array $batch, ?bool $already_encoded = null): bool {}

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
         * any case) and returns `['time_ms' => .., 'events' => [...]]` (decrypted where needed).
         * `$maxAgeMs` > 0 also refuses stale webhooks.
         *
         * @param array $headers
         * @param string $body
         * @param int|null $max_age_ms
         * @return array
         */
        public function webhook(array $headers, string $body, ?int $max_age_ms = null): array {}
    }
}
