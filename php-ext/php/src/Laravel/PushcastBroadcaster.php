<?php

declare(strict_types=1);

namespace Pushcast\Laravel;

use Illuminate\Broadcasting\Broadcasters\Broadcaster;
use Illuminate\Broadcasting\Broadcasters\UsePusherChannelConventions;
use Illuminate\Broadcasting\BroadcastException;
use Illuminate\Support\Str;
use Pushcast\Client;
use Pushcast\PushcastException;
use Symfony\Component\HttpKernel\Exception\AccessDeniedHttpException;

/**
 * Laravel's Pusher broadcaster, over pushcast: same channel conventions, same auth answers,
 * same BroadcastException on failure; broadcasts are queued without waiting on the network
 * (`mode` async, the default) or wait for the server's acknowledgement (`mode` confirmed, for
 * queue jobs that must not finish before their event is safe).
 */
class PushcastBroadcaster extends Broadcaster
{
    use UsePusherChannelConventions;

    public const MODES = ['async', 'confirmed'];

    public function __construct(
        protected Client $pushcast,
        protected string $mode = 'async',
        protected int $confirmTimeoutMs = 5000,
    ) {
        if (!in_array($mode, self::MODES, true)) {
            throw new \InvalidArgumentException(sprintf(
                'pushcast broadcaster: `mode` must be "async" or "confirmed", got "%s"', $mode
            ));
        }
    }

    /**
     * Authenticates the incoming request for a given channel (as PusherBroadcaster does).
     */
    public function auth($request)
    {
        $channelName = $this->normalizeChannelName($request->channel_name);

        if (empty($request->channel_name) ||
            ($this->isGuardedChannel($request->channel_name) &&
            !$this->retrieveUser($request, $channelName))) {
            throw new AccessDeniedHttpException();
        }

        return parent::verifyUserCanAccessChannel($request, $channelName);
    }

    /**
     * The auth answer: private and encrypted channels signed, presence channels with the
     * user's broadcast identifier and the channel callback's result as user_info.
     */
    public function validAuthenticationResponse($request, $result)
    {
        if (Str::startsWith($request->channel_name, 'private')) {
            return $this->decode($request, $this->pushcast->authorizeChannel(
                $request->channel_name,
                $request->socket_id,
            ));
        }

        $channelName = $this->normalizeChannelName($request->channel_name);
        $user = $this->retrieveUser($request, $channelName);
        $broadcastIdentifier = method_exists($user, 'getAuthIdentifierForBroadcasting')
            ? $user->getAuthIdentifierForBroadcasting()
            : $user->getAuthIdentifier();

        return $this->decode($request, $this->pushcast->authorizePresenceChannel(
            $request->channel_name,
            $request->socket_id,
            $broadcastIdentifier,
            $result,
        ));
    }

    /**
     * User sign-in (`pusher:signin`, Laravel 10+): the signed user data, or null for a guest.
     */
    public function resolveAuthenticatedUser($request)
    {
        if (!method_exists(Broadcaster::class, 'resolveAuthenticatedUser')) {
            return null; // Laravel before 10 has no user sign-in.
        }
        if (!$user = parent::resolveAuthenticatedUser($request)) {
            return null;
        }
        return json_decode($this->pushcast->authenticateUser($request->socket_id, $user), true);
    }

    /**
     * Broadcasts to the channels, 100 per trigger; the connection in `$payload['socket']` is
     * excluded (`toOthers()`). Every failure becomes a BroadcastException.
     */
    public function broadcast(array $channels, $event, array $payload = [])
    {
        // What Arr::pull does, without its cost on every broadcast.
        $socket = $payload['socket'] ?? null;
        unset($payload['socket']);
        $parameters = $socket !== null ? ['socket_id' => $socket] : [];
        // Laravel's bytes: the payload's json_encode, sent as the data string.
        $data = json_encode($payload);
        if ($data === false) {
            throw new BroadcastException(sprintf('Pushcast error: cannot encode the payload of %s: %s.', $event, json_last_error_msg()));
        }

        try {
            // Chunks of 100 channels, as Laravel's Pusher broadcaster sends them; array_chunk
            // instead of a Collection: the same chunks at a fraction of the per-call cost.
            foreach (array_chunk($this->formatChannels($channels), 100) as $chunk) {
                if ($this->mode === 'confirmed') {
                    $this->pushcast->triggerConfirmed($chunk, $event, $data, $parameters, $this->confirmTimeoutMs, true);
                } else {
                    $this->pushcast->trigger($chunk, $event, $data, $parameters, true);
                }
            }
        } catch (PushcastException $e) {
            throw new BroadcastException(sprintf('Pushcast error: %s.', $e->getMessage()), (int) $e->getCode(), $e);
        }
    }

    public function getPushcast(): Client
    {
        return $this->pushcast;
    }

    /**
     * The client, as Laravel's PusherBroadcaster::getPusher() returns its Pusher\Pusher: code
     * written for the pusher driver (`Broadcast::connection()->getPusher()->getChannelInfo(..)`,
     * `->trigger(..)`, `->webhook(..)`) runs unchanged, since Pushcast\Client has
     * pusher-http-php's methods. The same object as getPushcast().
     */
    public function getPusher(): Client
    {
        return $this->pushcast;
    }

    /**
     * Replaces the client every later broadcast and auth answer uses, as
     * PusherBroadcaster::setPusher() does (a test's client, another app's credentials).
     */
    public function setPusher(Client $pusher): void
    {
        $this->pushcast = $pusher;
    }

    private function decode($request, string $response)
    {
        if (!$request->input('callback', false)) {
            return json_decode($response, true);
        }
        return response()->json(json_decode($response, true))->withCallback($request->callback);
    }
}
