<?php

declare(strict_types=1);

// The checks of the Reverb suite (see suite.php for the bookkeeping). Every check uses its own
// channels and connections; the connections a check opens are closed after it.

namespace Pushcast\ReverbSuite;

use App\Events\HoldUpdated;
use App\Events\RoomMessage;
use Illuminate\Broadcasting\BroadcastManager;
use Pushcast\ApiErrorException;
use Pushcast\Client;
use Pushcast\PushcastException;
use Pushcast\QueueFullException;
use Pushcast\TimeoutException;
use Pushcast\ValidationException;

/** A plain pusher-js connection subscribed to $channels; returns its socket id. */
function listener(Hub $hub, string $conn, int $port, string ...$channels): string
{
    $socket = $hub->connect($conn, $port);
    foreach ($channels as $channel) {
        $hub->subscribe($conn, $channel);
    }
    return $socket;
}

/** $conn's subscriptions are authorized by $client's authorizeChannel (private, encrypted). */
function authorize_with(Hub $hub, string $conn, Client $client): void
{
    $hub->authorizers[$conn] = static fn (string $channel, string $socket) => [200, json_decode($client->authorizeChannel($channel, $socket), true)];
}

/** ... by $client's authorizePresenceChannel as user $userId. */
function authorize_presence_with(Hub $hub, string $conn, Client $client, int $userId, array $info): void
{
    $hub->authorizers[$conn] = static fn (string $channel, string $socket) => [200, json_decode($client->authorizePresenceChannel($channel, $socket, $userId, $info), true)];
}

/** The problem with an exception that should have been $class (with $code when given). */
function expect_exception(?\Throwable $e, string $class, string $what, ?int $code = null): ?string
{
    if ($e === null) {
        return "$what: no exception (expected $class" . ($code === null ? '' : " with code $code") . ')';
    }
    if (!$e instanceof $class || ($code !== null && $e->getCode() !== $code)) {
        return "$what: expected $class" . ($code === null ? '' : " with code $code") . ', got ' . describe($e);
    }
    return null;
}

/**
 * Whether a trigger's answer says the event was queued: pusher-http-php's shape, the empty
 * object a Pusher server answers (`{}`), not `{"dropped": true}`.
 */
function is_queued(mixed $answer): bool
{
    return $answer instanceof \stdClass && get_object_vars($answer) === [];
}

/** A query's answer, which must be an object as pusher-http-php returns it, read as arrays. */
function as_array_of_object(mixed $answer): array
{
    if (!is_object($answer)) {
        throw new \UnexpectedValueException('expected an object as pusher-http-php returns, got ' . get_debug_type($answer));
    }
    return json_decode(json_encode($answer), true);
}

function trigger_or_problem(Run $r, Client $c, mixed $channels, string $event, array $data, ?array $params = null): bool
{
    [$e, , $queued] = attempt(static fn () => $c->trigger($channels, $event, $data, $params));
    if ($e !== null) {
        $r->problem("trigger $event ({$data['id']}): " . describe($e));
        return false;
    }
    if (!is_queued($queued)) {
        $r->problem("trigger $event ({$data['id']}) was not queued");
        return false;
    }
    return true;
}

function check_stats(Run $r, array $stats, bool $requireResent = false, string $who = 'stats'): void
{
    foreach (stats_problems($stats, $who) as $problem) {
        if ($requireResent || !str_contains($problem, 'no `resent` key')) {
            $r->problem($problem);
        }
    }
}

function run_checks(Suite $s, int $bigPort): void
{
    $hub = $s->hub;
    $port = $s->port;

    $s->run('trigger-one-channel', function (Run $r) use ($s, $hub, $port) {
        listener($hub, 'one', $port, 'orders');
        $c = $s->client();
        $events = [
            ['id' => 'T1', 'text' => 'héllo "quoted" \\ ✓ </script>', 'n' => [1, 2.5, true, null], 'map' => ['a' => ['b' => 'c']]],
            ['id' => 'T2', 'text' => ''],
            ['id' => 'T3', 'emoji' => "\u{1F680}"],
        ];
        foreach ($events as $data) {
            if (trigger_or_problem($r, $c, 'orders', 'order.updated', $data)) {
                $r->published($data['id'], $data, 1, ['one' => 'orders']);
            }
        }
        flush_stats($c, $r);
        $r->fence($hub, $c, 'orders', ['one']);
        check_stats($r, $c->stats());
    });

    $s->run('trigger-several-channels', function (Run $r) use ($s, $hub, $port) {
        listener($hub, 'multi-a', $port, 'multi-1', 'multi-2', 'wide-0', 'wide-149');
        listener($hub, 'multi-b', $port, 'multi-2', 'multi-3', 'wide-75');
        $c = $s->client();
        $data = ['id' => 'M1'];
        if (trigger_or_problem($r, $c, ['multi-1', 'multi-2', 'multi-3'], 'fanout', $data)) {
            $r->published('M1', $data, 3, ['multi-a' => ['multi-1', 'multi-2'], 'multi-b' => ['multi-2', 'multi-3']]);
        }
        // Reverb has no channel count limit, nor has the reverb profile: 150 channels at once
        // (the suite watches three of them).
        $wide = array_map(static fn ($i) => "wide-$i", range(0, 149));
        $data = ['id' => 'W1'];
        if (trigger_or_problem($r, $c, $wide, 'wide', $data)) {
            $r->published('W1', $data, 3, ['multi-a' => ['wide-0', 'wide-149'], 'multi-b' => 'wide-75']);
        }
        flush_stats($c, $r);
        $r->fence($hub, $c, 'multi-1', ['multi-a']);
        $r->fence($hub, $c, 'multi-2', ['multi-a', 'multi-b']);
        $r->fence($hub, $c, 'multi-3', ['multi-b']);
        $r->fence($hub, $c, 'wide-0', ['multi-a']);
        $r->fence($hub, $c, 'wide-75', ['multi-b']);
        $r->fence($hub, $c, 'wide-149', ['multi-a']);
        check_stats($r, $c->stats());
    });

    $s->run('trigger-batch', function (Run $r) use ($s, $hub, $port) {
        listener($hub, 'batch', $port, 'batch-1', 'batch-2');
        $c = $s->client();
        $items = [];
        foreach (['B1' => 'batch-1', 'B2' => 'batch-2', 'B3' => 'batch-1', 'B4' => 'batch-2', 'B5' => 'batch-1'] as $id => $channel) {
            $items[] = ['channel' => $channel, 'name' => "batch.$id", 'data' => ['id' => $id, 'channel' => $channel]];
        }
        [$e, , $queued] = attempt(static fn () => $c->triggerBatch($items));
        if ($e !== null || !is_queued($queued)) {
            $r->problem('triggerBatch: ' . ($e ? describe($e) : 'not queued'));
        } else {
            foreach ($items as $item) {
                $r->published($item['data']['id'], $item['data'], 1, ['batch' => $item['channel']]);
            }
        }
        flush_stats($c, $r);
        $r->fence($hub, $c, 'batch-1', ['batch']);
        $r->fence($hub, $c, 'batch-2', ['batch']);
        check_stats($r, $c->stats());
    });

    $s->run('trigger-batch-split-by-size', function (Run $r) use ($s, $hub, $port) {
        // Four items of 4,000 bytes: one request would exceed Reverb's 10,000 bytes, so the
        // library must split the batch, and keep the order.
        listener($hub, 'split', $port, 'split');
        $c = $s->client();
        $items = [];
        foreach (['S1', 'S2', 'S3', 'S4'] as $id) {
            $items[] = ['channel' => 'split', 'name' => 'chunk', 'data' => payload_of_size($id, 4000)];
        }
        [$e, , $queued] = attempt(static fn () => $c->triggerBatch($items));
        if ($e !== null || !is_queued($queued)) {
            $r->problem('triggerBatch: ' . ($e ? describe($e) : 'not queued'));
        } else {
            foreach ($items as $item) {
                $r->published($item['data']['id'], $item['data'], 1, ['split' => 'split']);
            }
        }
        check_stats($r, flush_stats($c, $r));
        $r->fence($hub, $c, 'split', ['split']);
    });

    // The acceptance scenario: E2 excluded A's connection (pusher-http-php's params shape).
    $s->run('to-others-client', function (Run $r) use ($s, $hub, $port) {
        $socketA = listener($hub, 'A', $port, 'hold');
        listener($hub, 'B', $port, 'hold');
        $c = $s->client();
        if (trigger_or_problem($r, $c, 'hold', 'E1', $d = ['id' => 'E1'])) {
            $r->published('E1', $d, 1, ['A' => 'hold', 'B' => 'hold']);
        }
        if (trigger_or_problem($r, $c, 'hold', 'E2', $d = ['id' => 'E2'], ['socket_id' => $socketA])) {
            $r->published('E2', $d, 1, ['B' => 'hold']);
        }
        if (trigger_or_problem($r, $c, 'hold', 'E3', $d = ['id' => 'E3'])) {
            $r->published('E3', $d, 1, ['A' => 'hold', 'B' => 'hold']);
        }
        check_stats($r, flush_stats($c, $r), true);
        $r->fence($hub, $c, 'hold', ['A', 'B']);
    });

    $s->run('to-others-batch', function (Run $r) use ($s, $hub, $port) {
        // A batch item with socket_id: Reverb 1.10.2's batch_events answers 500 for it (after
        // dispatching the items before it): the library must still deliver each event once.
        $socketA = listener($hub, 'A2', $port, 'hold-batch');
        listener($hub, 'B2', $port, 'hold-batch');
        $c = $s->client();
        $items = [
            ['channel' => 'hold-batch', 'name' => 'X1', 'data' => ['id' => 'X1']],
            ['channel' => 'hold-batch', 'name' => 'X2', 'data' => ['id' => 'X2'], 'socket_id' => $socketA],
            ['channel' => 'hold-batch', 'name' => 'X3', 'data' => ['id' => 'X3']],
        ];
        [$e, , $queued] = attempt(static fn () => $c->triggerBatch($items));
        if ($e !== null || !is_queued($queued)) {
            $r->problem('triggerBatch: ' . ($e ? describe($e) : 'not queued'));
        } else {
            $r->published('X1', $items[0]['data'], 1, ['A2' => 'hold-batch', 'B2' => 'hold-batch']);
            $r->published('X2', $items[1]['data'], 1, ['B2' => 'hold-batch']);
            $r->published('X3', $items[2]['data'], 1, ['A2' => 'hold-batch', 'B2' => 'hold-batch']);
        }
        check_stats($r, flush_stats($c, $r), true);
        $r->fence($hub, $c, 'hold-batch', ['A2', 'B2']);
    });

    // The same through the Laravel 11 driver: broadcast(new HoldUpdated(..))->toOthers().
    $s->run('to-others-laravel', function (Run $r) use ($s, $hub, $port) {
        $socketA = listener($hub, 'LA', $port, 'hold-laravel');
        listener($hub, 'LB', $port, 'hold-laravel');
        $app = boot_laravel11($s->laravelConnection());
        set_request_socket($app, $socketA); // the X-Socket-ID header of A's request
        $both = ['LA' => 'hold-laravel', 'LB' => 'hold-laravel'];
        foreach (['L1' => false, 'L2' => true, 'L3' => false] as $id => $toOthers) {
            [$e] = attempt(static function () use ($id, $toOthers) {
                $pending = broadcast(new HoldUpdated($id, 'hold-laravel'));
                if ($toOthers) {
                    $pending->toOthers();
                }
                unset($pending); // dispatched here (PendingBroadcast::__destruct)
            });
            if ($e !== null) {
                $r->problem("broadcast $id: " . describe($e));
                continue;
            }
            $r->published($id, ['id' => $id], 1, $toOthers ? ['LB' => 'hold-laravel'] : $both);
        }
        $pushcast = $app->make(BroadcastManager::class)->connection()->getPushcast();
        check_stats($r, flush_stats($pushcast, $r), true);
        $r->fence($hub, $pushcast, 'hold-laravel', ['LA', 'LB']);
    });

    $s->run('private-channel', function (Run $r) use ($s, $hub, $port) {
        $c = $s->client();
        authorize_with($hub, 'priv', $c);
        listener($hub, 'priv', $port, 'private-orders.7');
        foreach (['P1', 'P2'] as $id) {
            if (trigger_or_problem($r, $c, 'private-orders.7', 'OrderShipped', $d = ['id' => $id, 'order' => 7])) {
                $r->published($id, $d, 1, ['priv' => 'private-orders.7']);
            }
        }
        flush_stats($c, $r);
        $r->fence($hub, $c, 'private-orders.7', ['priv']);
        check_stats($r, $c->stats());
    });

    $s->run('encrypted-channel', function (Run $r) use ($s, $hub, $port) {
        // The master key on both sides: the auth answer's shared_secret lets pusher-js decrypt.
        $c = $s->client();
        authorize_with($hub, 'vault', $c);
        [$one, $two] = ['private-encrypted-vault-1', 'private-encrypted-vault-2'];
        listener($hub, 'vault', $port, $one, $two);
        if (trigger_or_problem($r, $c, $one, 'vault.opened', $d = ['id' => 'V1', 'secret' => 'the pin is 1234'])) {
            $r->published('V1', $d, 1, ['vault' => $one]);
        }
        // One event for two encrypted channels: each needs its own key.
        if (trigger_or_problem($r, $c, [$one, $two], 'vault.opened', $d = ['id' => 'V2', 'secret' => 'two keys, one event'])) {
            $r->published('V2', $d, 2, ['vault' => [$one, $two]]);
        }
        [$e] = attempt(static fn () => $c->trigger([$one, 'plain-channel'], 'mixed', ['id' => 'V3']));
        if ($problem = expect_exception($e, ValidationException::class, 'an event for an encrypted and a plain channel')) {
            $r->problem($problem);
        }
        flush_stats($c, $r);
        $r->fence($hub, $c, $one, ['vault']);
        $r->fence($hub, $c, $two, ['vault']);
        check_stats($r, $c->stats());
        foreach ($hub->find(['type' => 'error', 'conn' => 'vault']) as $m) {
            $r->problem('pusher-js: ' . json_encode($m['error']));
        }
    });

    // laravel-echo presence, authorized by the Laravel 11 driver's auth(); the room stays
    // for the next check.
    $s->run('presence-echo', function (Run $r) use ($s, $hub, $port) {
        $app = boot_laravel11($s->laravelConnection());
        $manager = $app->make(BroadcastManager::class);
        $manager->connection()->channel('room.{id}', static fn (User $user, $id) => ['id' => $user->id, 'name' => $user->name]);
        $users = ['ada' => new User(1, 'Ada'), 'grace' => new User(2, 'Grace')];
        foreach ($users as $conn => $user) {
            $hub->authorizers[$conn] = static fn (string $channel, string $socket) => broadcasting_auth($manager, $user, $channel, $socket);
        }
        $hub->connect('ada', $port, true);
        $hub->echo('ada', 'join', 'room.1', ['.room.message', '.fence']);
        $hub->waitFor(fn () => $hub->first(['type' => 'here', 'conn' => 'ada']), 10, 'ada: here()');
        $socketGrace = $hub->connect('grace', $port, true);
        $hub->echo('grace', 'join', 'room.1', ['.room.message', '.fence']);
        $here = $hub->waitFor(fn () => $hub->first(['type' => 'here', 'conn' => 'grace']), 10, 'grace: here()');
        $hub->waitFor(fn () => $hub->first(['type' => 'joining', 'conn' => 'ada']), 10, 'ada: joining()');
        if ($hub->first(['type' => 'here', 'conn' => 'ada'])['users'] !== ['1']) {
            $r->problem('ada: here() gave ' . json_encode($hub->first(['type' => 'here', 'conn' => 'ada'])['users']));
        }
        if ($here['users'] !== ['1', '2']) {
            $r->problem('grace: here() gave ' . json_encode($here['users']));
        }
        if (($joining = $hub->first(['type' => 'joining', 'conn' => 'ada'])['user']) !== '2') {
            $r->problem("ada: joining() gave $joining");
        }
        // A message to the room, and one toOthers from Grace's request.
        set_request_socket($app, $socketGrace);
        $room = 'presence-room.1';
        foreach (['R1' => false, 'R2' => true] as $id => $toOthers) {
            [$e] = attempt(static function () use ($id, $toOthers) {
                $pending = broadcast(new RoomMessage($id, 'room.1', "message $id"));
                if ($toOthers) {
                    $pending->toOthers();
                }
            });
            if ($e !== null) {
                $r->problem("broadcast $id: " . describe($e));
                continue;
            }
            $data = ['id' => $id, 'text' => "message $id"];
            $r->published($id, $data, 1, $toOthers ? ['ada' => $room] : ['ada' => $room, 'grace' => $room]);
        }
        $pushcast = $manager->connection()->getPushcast();
        check_stats($r, flush_stats($pushcast, $r));
        $r->fence($hub, $pushcast, $room, ['ada', 'grace']);
        $hub->keep = ['ada', 'grace'];
    });

    $s->run('presence-queries', function (Run $r) use ($s, $hub) {
        $c = $s->client();
        $room = 'presence-room.1';
        $users = as_array_of_object($c->getPresenceUsers($room));
        $ids = array_map(static fn ($u) => (string) $u['id'], $users['users'] ?? []);
        sort($ids);
        if ($ids !== ['1', '2']) {
            $r->problem('getPresenceUsers: ' . json_encode($users));
        }
        $info = as_array_of_object($c->getChannelInfo($room, ['info' => 'user_count']));
        if (($info['user_count'] ?? null) !== 2 || ($info['occupied'] ?? null) !== true) {
            $r->problem('getChannelInfo user_count: ' . json_encode($info));
        }
        $list = as_array_of_object($c->getChannels(['filter_by_prefix' => 'presence-room.', 'info' => 'user_count']));
        if (array_keys($list['channels'] ?? []) !== [$room] || ($list['channels'][$room]['user_count'] ?? null) !== 2) {
            $r->problem('getChannels user_count: ' . json_encode($list));
        }
        // Grace leaves: Ada sees her go, the server counts one user.
        $hub->send(['op' => 'echo_leave', 'conn' => 'grace', 'channel' => 'room.1']);
        $leaving = $hub->waitFor(fn () => $hub->first(['type' => 'leaving', 'conn' => 'ada']), 10, 'ada: leaving()');
        if ($leaving['user'] !== '2') {
            $r->problem("ada: leaving() gave {$leaving['user']}");
        }
        $users = as_array_of_object($c->getPresenceUsers($room));
        if (array_map(static fn ($u) => (string) $u['id'], $users['users'] ?? []) !== ['1']) {
            $r->problem('getPresenceUsers after Grace left: ' . json_encode($users));
        }
        $info = as_array_of_object($c->getChannelInfo($room, ['info' => 'user_count']));
        if (($info['user_count'] ?? null) !== 1) {
            $r->problem('getChannelInfo user_count after Grace left: ' . json_encode($info));
        }
    });

    $s->run('channel-queries', function (Run $r) use ($s, $hub, $port) {
        listener($hub, 'q1', $port, 'stock-1');
        listener($hub, 'q2', $port, 'stock-1', 'stock-2');
        $c = $s->client();
        $info = as_array_of_object($c->getChannelInfo('stock-1', ['info' => 'subscription_count']));
        if (($info['occupied'] ?? null) !== true || ($info['subscription_count'] ?? null) !== 2) {
            $r->problem('getChannelInfo subscription_count: ' . json_encode($info));
        }
        $list = as_array_of_object($c->getChannels(['filter_by_prefix' => 'stock-']));
        $names = array_keys($list['channels'] ?? []);
        sort($names);
        if ($names !== ['stock-1', 'stock-2']) {
            $r->problem('getChannels filter_by_prefix stock-: ' . json_encode($list));
        }
        $all = as_array_of_object($c->getChannels());
        if (!isset($all['channels']['stock-1'])) {
            $r->problem('getChannels: ' . json_encode($all));
        }
    });

    $s->run('query-empty-channel-info', function (Run $r) use ($s) {
        $c = $s->client();
        foreach ([['nobody-here', null], ['nobody-here', 'subscription_count'], ['presence-nobody', 'user_count']] as [$channel, $asked]) {
            [$e, , $info] = attempt(static fn () => as_array_of_object($c->getChannelInfo($channel, $asked === null ? null : ['info' => $asked])));
            $what = "getChannelInfo($channel" . ($asked ? ", info=$asked" : '') . ')';
            if ($e !== null) {
                $r->problem("$what: " . describe($e));
            } elseif (($info['occupied'] ?? null) !== false || array_diff(array_keys($info), ['occupied', 'user_count', 'subscription_count']) !== []
                || ($info['user_count'] ?? 0) !== 0 || ($info['subscription_count'] ?? 0) !== 0) {
                $r->problem("$what: " . json_encode($info));
            }
        }
    });

    $s->run('query-empty-presence-users', function (Run $r) use ($s) {
        // Reverb answers 404 `{}` for a presence channel nobody is on.
        $c = $s->client();
        [$e, , $users] = attempt(static fn () => as_array_of_object($c->getPresenceUsers('presence-nobody')));
        if ($e !== null) {
            $r->problem('getPresenceUsers(presence-nobody): ' . describe($e));
        } elseif ($users !== ['users' => []]) {
            $r->problem('getPresenceUsers(presence-nobody): ' . json_encode($users));
        }
    });

    $s->run('query-empty-channel-list', function (Run $r) use ($s) {
        // Reverb answers {"channels":[]} (a JSON array).
        $c = $s->client();
        foreach ([['filter_by_prefix' => 'nothing-'], ['filter_by_prefix' => 'presence-nothing-', 'info' => 'user_count']] as $params) {
            [$e, , $list] = attempt(static fn () => as_array_of_object($c->getChannels($params)));
            $what = 'getChannels(' . json_encode($params) . ')';
            if ($e !== null) {
                $r->problem("$what: " . describe($e));
            } elseif ($list !== ['channels' => []]) {
                $r->problem("$what: " . json_encode($list));
            }
        }
    });

    $s->run('send-to-user-refused', function (Run $r) use ($s) {
        // Reverb has no user sign-in: #server-to-user-… would answer 200 and reach nobody.
        $c = $s->client();
        [$e, , $queued] = attempt(static fn () => $c->sendToUser('1', 'note', ['id' => 'U1']));
        if ($e === null) {
            $r->problem('sendToUser on the reverb profile returned ' . json_encode($queued) . ' instead of throwing');
        } elseif (!$e instanceof PushcastException || $e instanceof ApiErrorException || $e instanceof TimeoutException || $e instanceof QueueFullException) {
            $r->problem('sendToUser: expected a typed pushcast error before the network, got ' . describe($e));
        }
        $stats = $c->stats();
        if ($stats['enqueued'] !== 0) {
            $r->problem("sendToUser: enqueued={$stats['enqueued']}");
        }
    });

    $s->run('oversize-refused', function (Run $r) use ($s, $hub, $port) {
        // More than 10,000 bytes of data: the whole request is over Reverb's limit, whatever
        // the headers: refused before the network.
        listener($hub, 'over', $port, 'oversize');
        $c = $s->client();
        $big = payload_of_size('O1', 10001);
        [$e] = attempt(static fn () => $c->trigger('oversize', 'too.big', $big));
        if ($problem = expect_exception($e, ValidationException::class, 'trigger of 10,001 bytes')) {
            $r->problem($problem);
        }
        [$e] = attempt(static fn () => $c->triggerConfirmed('oversize', 'too.big', payload_of_size('O2', 10001), null, 5000));
        if ($problem = expect_exception($e, ValidationException::class, 'triggerConfirmed of 10,001 bytes')) {
            $r->problem($problem);
        }
        [$e] = attempt(static fn () => $c->triggerBatch([
            ['channel' => 'oversize', 'name' => 'small', 'data' => ['id' => 'O3']],
            ['channel' => 'oversize', 'name' => 'too.big', 'data' => payload_of_size('O4', 10001)],
        ]));
        if ($problem = expect_exception($e, ValidationException::class, 'triggerBatch with a 10,001-byte item')) {
            $r->problem($problem);
        }
        $stats = $c->stats();
        if ($stats['enqueued'] !== 0 || $stats['requests_sent'] !== 0) {
            $r->problem("refused events reached the queue or the network: enqueued={$stats['enqueued']} requests_sent={$stats['requests_sent']}");
        }
        $r->watch('over', 'oversize');
        $r->fence($hub, $c, 'oversize', ['over']); // and nothing before it
    });

    $s->run('near-limit-delivered', function (Run $r) use ($s, $hub, $port) {
        // 9,500 bytes of data: with the request line and headers, under Reverb's 10,000.
        listener($hub, 'near', $port, 'near-limit');
        $c = $s->client();
        $data = payload_of_size('N1', 9500);
        if (trigger_or_problem($r, $c, 'near-limit', 'near', $data)) {
            $r->published('N1', $data, 1, ['near' => 'near-limit']);
        }
        check_stats($r, flush_stats($c, $r));
        foreach ($c->failures() as $f) {
            $r->problem("failure: {$f['event']} on {$f['channel']}: {$f['error']}");
        }
        $r->fence($hub, $c, 'near-limit', ['near']);
    });

    $s->run('request-size-boundary', function (Run $r) use ($s, $hub, $port) {
        // The library computes the whole request's size exactly: the largest event it accepts
        // is a request of exactly 10,000 bytes (counted by a TCP proxy in front of Reverb, as
        // Reverb counts), and Reverb accepts it. Found by bisection with confirmed triggers.
        listener($hub, 'edge', $port, 'size-edge');
        $hub->send(['op' => 'proxy', 'name' => 'edge', 'port' => $port]);
        $proxy = $hub->waitFor(fn () => $hub->first(['type' => 'proxy_ready', 'name' => 'edge']), 10, 'the proxy')['port'];
        $c = $s->client([], $proxy);
        // 9,000 bytes of data are well within the limit; 10,001 are over it whatever the headers.
        [$accepted, $refused] = [null, 10001];
        foreach ([9000, ...array_fill(0, 10, null)] as $size) {
            $size ??= intdiv($accepted + $refused, 2);
            if ($accepted !== null && $refused - $accepted <= 1) {
                break;
            }
            $data = payload_of_size("Z$size", $size);
            [$e] = attempt(static fn () => $c->triggerConfirmed('size-edge', 'edge', $data, null, 10000));
            if ($e === null) {
                $accepted = $size;
                $r->published("Z$size", $data, 1, ['edge' => 'size-edge']);
            } elseif ($e instanceof ValidationException && $size !== 9000) {
                $refused = $size;
            } else {
                throw new CheckFailed("$size bytes of data: " . describe($e));
            }
        }
        if ($refused - $accepted > 1) {
            $r->problem("no boundary found between $accepted and $refused bytes of data");
        }
        $marker = 'Z' . $accepted . '\\"';
        $sent = $hub->waitFor(function () use ($hub, $marker) {
            foreach ($hub->find(['type' => 'proxied', 'name' => 'edge']) as $m) {
                if (str_contains($m['request'], $marker)) {
                    return $m;
                }
            }
            return null;
        }, 10, "the request of the $accepted-byte event at the proxy");
        if ($sent['bytes'] !== 10000) {
            $r->problem("the largest event the library accepts ($accepted bytes of data) is a request of {$sent['bytes']} bytes; Reverb takes up to 10,000");
        }
        $r->fence($hub, $c, 'size-edge', ['edge']);
        check_stats($r, $c->stats());
    });

    $s->run('wrong-secret-confirmed', function (Run $r) use ($s) {
        $bad = $s->client([], null, 'wrong-secret');
        [$e, $took] = attempt(static fn () => $bad->triggerConfirmed('wrong-secret', 'nope', ['id' => 'W1'], null, 10000));
        if ($problem = expect_exception($e, ApiErrorException::class, 'triggerConfirmed with a wrong secret', 401)) {
            $r->problem($problem);
        }
        if ($took > 10) {
            $r->problem(sprintf('triggerConfirmed with a wrong secret took %.1fs', $took));
        }
        [$e] = attempt(static fn () => $bad->getChannels());
        if ($problem = expect_exception($e, ApiErrorException::class, 'getChannels with a wrong secret', 401)) {
            $r->problem($problem);
        }
    });

    $s->run('wrong-secret-async', function (Run $r) use ($s, $hub, $port) {
        listener($hub, 'ws', $port, 'wrong-secret');
        $bad = $s->client([], null, 'wrong-secret');
        [$e, , $queued] = attempt(static fn () => $bad->trigger('wrong-secret', 'nope', ['id' => 'W2']));
        if ($e !== null || !is_queued($queued)) {
            $r->problem('trigger with a wrong secret: ' . ($e ? describe($e) : 'not queued'));
        }
        [$e, $took, $flush] = attempt(static fn () => $bad->flush(10000));
        if ($e !== null) {
            $r->problem('flush: ' . describe($e));
        } else {
            if ($flush['pending'] !== 0 || $took > 10) {
                $r->problem(sprintf('flush: pending=%d after %.1fs', $flush['pending'], $took));
            }
            if ($flush['stats']['failed'] !== 1) {
                $r->problem("stats: failed={$flush['stats']['failed']}, expected 1");
            }
        }
        $failures = $bad->failures();
        if (count($failures) !== 1 || !str_contains((string) ($failures[0]['error'] ?? ''), '401')) {
            $r->problem('failures(): ' . json_encode($failures));
        }
        $r->watch('ws', 'wrong-secret');
        $r->fence($hub, $s->client(), 'wrong-secret', ['ws']); // W2 never arrives before it
    });

    $s->run('burst-5000', function (Run $r) use ($s, $hub, $port) {
        $n = 5000;
        $hub->connect('burst', $port);
        $hub->subscribe('burst', 'burst', $n + 1); // and the fence
        $c = $s->client();
        $accepted = 0;
        try {
            for ($i = 0; $i < $n; $i++) {
                if (is_queued($c->trigger('burst', 'tick', ['id' => $i]))) {
                    $accepted++;
                }
            }
        } finally {
            $s->published += $accepted;
            if ($accepted !== $n) {
                $r->problem("only $accepted of $n events were queued");
            }
        }
        check_stats($r, flush_stats($c, $r, 60000));
        $c->triggerConfirmed('burst', 'fence', ['id' => 'fence-burst'], null, 10000);
        $s->published++;
        $expected = $accepted + 1;
        try {
            $counted = $hub->waitFor(fn () => $hub->first(['type' => 'counted', 'conn' => 'burst', 'channel' => 'burst']), 60, "$expected events at the burst subscriber");
        } catch (CheckFailed $timeout) {
            $since = count($hub->messages);
            $hub->send(['op' => 'report', 'conn' => 'burst', 'channel' => 'burst']);
            $counted = $hub->waitFor(fn () => $hub->first(['type' => 'counted', 'conn' => 'burst'], $since), 10, 'the burst report');
            $r->problem($timeout->getMessage());
        }
        $s->delivered += min($counted['distinct'], $expected);
        $s->lost += max(0, $expected - $counted['distinct']);
        $s->duplicates += $counted['duplicates'];
        if ($counted['distinct'] !== $expected || $counted['duplicates'] !== 0) {
            $r->problem("the subscriber counted {$counted['distinct']} distinct of $expected, {$counted['duplicates']} duplicates");
        }
        if ($counted['out_of_order'] !== 0) {
            $r->problem("{$counted['out_of_order']} events out of order");
        }
    });

    // On a second Reverb: terminate connections needs a server where no connection without
    // presence data has been subscribed (Reverb 1.10.2 answers 500 otherwise).
    $s->run('terminate-presence-only', function (Run $r) use ($s, $hub, $bigPort) {
        $c = $s->client([], $bigPort);
        foreach (['t-ada1' => [1, 'Ada'], 't-ada2' => [1, 'Ada'], 't-grace' => [2, 'Grace']] as $conn => [$id, $name]) {
            authorize_presence_with($hub, $conn, $c, $id, ['name' => $name]);
            listener($hub, $conn, $bigPort, 'presence-term');
        }
        $members = $hub->first(['type' => 'subscribed', 'conn' => 't-grace', 'channel' => 'presence-term'])['members'] ?? null;
        if ($members !== ['1', '2']) {
            $r->problem('t-grace saw members ' . json_encode($members));
        }
        $since = count($hub->messages);
        [$e, $took] = attempt(static fn () => $c->terminateUserConnections('1'));
        if ($e !== null) {
            throw new CheckFailed(sprintf('terminateUserConnections(1) threw after %.1fs: %s', $took, describe($e)));
        }
        // Both of Ada's connections are closed; Grace sees Ada leave and keeps her own.
        foreach (['t-ada1', 't-ada2'] as $conn) {
            $hub->waitFor(fn () => $hub->first(['type' => 'state', 'conn' => $conn, 'previous' => 'connected'], $since), 10, "$conn to be disconnected");
        }
        $hub->waitFor(fn () => $hub->first(['type' => 'member_removed', 'conn' => 't-grace', 'user_id' => '1'], $since), 10, 't-grace: member_removed 1');
        $r->fence($hub, $c, 'presence-term', ['t-grace']);
        if ($state = $hub->first(['type' => 'state', 'conn' => 't-grace'], $since)) {
            $r->problem("t-grace's connection changed state: " . json_encode($state));
        }
    });

    $s->run('terminate-with-plain-connection', function (Run $r) use ($s, $hub, $bigPort) {
        // A public subscription (no presence data): Reverb answers 500, which the library
        // must report as a typed error, promptly.
        listener($hub, 'tp-plain', $bigPort, 'plain-term');
        $c = $s->client([], $bigPort);
        [$e, $took] = attempt(static fn () => $c->terminateUserConnections('1'));
        if ($problem = expect_exception($e, ApiErrorException::class, 'terminateUserConnections with a plain connection open', 500)) {
            $r->problem($problem);
        }
        if ($took > 10) {
            $r->problem(sprintf('terminateUserConnections took %.1fs', $took));
        }
        $r->fence($hub, $c, 'plain-term', ['tp-plain']); // the client still publishes
    });

    $s->run('max-request-size-option', function (Run $r) use ($s, $hub, $bigPort) {
        // The second Reverb takes requests up to 100,000 bytes; so does a client told so.
        listener($hub, 'big', $bigPort, 'big-events');
        $data = payload_of_size('G1', 20000);
        $default = $s->client([], $bigPort);
        [$e] = attempt(static fn () => $default->trigger('big-events', 'big', $data));
        if ($problem = expect_exception($e, ValidationException::class, '20 KB without max_request_size')) {
            $r->problem($problem);
        }
        $c = $s->client(['max_request_size' => 100000], $bigPort);
        if (trigger_or_problem($r, $c, 'big-events', 'big', $data)) {
            $r->published('G1', $data, 1, ['big' => 'big-events']);
        }
        check_stats($r, flush_stats($c, $r));
        foreach ($c->failures() as $f) {
            $r->problem("failure: {$f['event']} on {$f['channel']}: {$f['error']}");
        }
        $r->fence($hub, $c, 'big-events', ['big']);
    });
}
