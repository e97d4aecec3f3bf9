"""pushcast for Python: publish real-time events to Pusher-protocol servers through libpushcast.

A thin layer over the C API (include/pushcast.h) with ctypes: no protocol logic here, no
compiler needed at install. ::

    import pushcast

    app = pushcast.App("12345", "app-key", "app-secret", profile="sockudo")
    with pushcast.Client(app, "http://127.0.0.1:6001") as client:   # flushes on exit
        client.publish(["orders.1"], "OrderShipped", {"id": 1})
        client.publish_confirmed(["orders.1"], "Paid", {"id": 1}, timeout=5)
    print(app.authorize_channel("123.456", "private-orders.1"))
"""

import ctypes
import json

from . import _native as n

__all__ = [
    "App", "Client", "PushcastError", "ValidationError", "ConfigError", "WebhookError",
    "ApiError", "QueueFullError", "DeliveryTimeout", "TransportError", "ShutDownError",
    "SpoolError", "version",
]


class PushcastError(Exception):
    """Any failure reported by libpushcast: `code` (a pushcast_result number), `http_status`
    (0 unless the server answered), `message`."""

    def __init__(self, code, message, http_status=0):
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.message = message


class ValidationError(PushcastError):
    """Bad input, caught before anything touched the network (codes 1000-1999)."""


class ConfigError(PushcastError):
    """Bad or missing configuration (2000-2999)."""


class WebhookError(PushcastError):
    """A webhook failed verification, or encrypted data could not be decrypted (3000-3999)."""


class ApiError(PushcastError):
    """The server refused the request; `http_status` says how (4000-4999)."""


class QueueFullError(PushcastError):
    """The publish queue is full (5000), or the durable spool is (5005)."""


class DeliveryTimeout(PushcastError):
    """A deadline passed (5001); a confirmed event may still be delivered later."""


class TransportError(PushcastError):
    """The server could not be reached: DNS, connect, TLS (5002)."""


class ShutDownError(PushcastError):
    """The client was shut down (5003)."""


class SpoolError(PushcastError):
    """The durable spool could not be opened, written or read (5006)."""


def _error_class(code):
    if code in (5000, 5005):
        return QueueFullError
    if code == 5006:
        return SpoolError
    if code == 5001:
        return DeliveryTimeout
    if code == 5002:
        return TransportError
    if code == 5003:
        return ShutDownError
    for low, cls in ((1000, ValidationError), (2000, ConfigError), (3000, WebhookError), (4000, ApiError)):
        if low <= code < low + 1000:
            return cls
    return PushcastError


def _check(result):
    if result == 0:
        return
    err = n.error_last()
    try:
        message = n.error_message(err).decode("utf-8", "replace")
        status = n.error_http_status(err)
    finally:
        n.error_free(err)
    raise _error_class(result)(result, message, status)


def _b(text):
    return None if text is None else text.encode("utf-8")


def _take_string(address):
    """Copies and frees a string returned through `char **`."""
    try:
        return ctypes.string_at(address).decode("utf-8")
    finally:
        n.string_free(address)


def _call_json(fn, *args):
    out = ctypes.c_void_p()
    _check(fn(*args, ctypes.byref(out)))
    return json.loads(_take_string(out.value))


def _data_bytes(data):
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    # What Laravel does: the payload's JSON encoding, sent as the data string.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def version():
    """The libpushcast version."""
    return n.version().decode()


class App:
    """Credentials, server profile and encryption key; channel auth and webhooks.

    `profile`: "strict" (default), "pusher", "reverb", "sockudo" or "soketi"; `limits`: a dict of
    overrides such as {"max_events_per_batch": 100} (0 = unlimited)."""

    def __init__(self, app_id, key, secret, profile="strict", master_key_base64=None, limits=None):
        handle = ctypes.c_void_p()
        _check(n.app_new(_b(app_id), _b(key), _b(secret), ctypes.byref(handle)))
        self._handle = handle
        try:
            _check(n.app_set_profile(self._handle, _b(profile)))
            for name, value in (limits or {}).items():
                _check(n.app_set_limit(self._handle, _b(name), value))
            if master_key_base64 is not None:
                _check(n.app_set_master_key(self._handle, _b(master_key_base64)))
        except PushcastError:
            self.close()
            raise

    def close(self):
        if getattr(self, "_handle", None):
            n.app_free(self._handle)
            self._handle = None

    __del__ = close

    def authorize_channel(self, socket_id, channel, channel_data=None):
        """The `/broadcasting/auth` answer for a private or encrypted channel (or a presence
        channel with already-encoded `channel_data`), as a dict."""
        return _call_json(n.app_authorize_channel, self._handle, _b(socket_id), _b(channel), _b(channel_data))

    def authorize_presence_channel(self, socket_id, channel, user_id, user_info=None):
        info = None if user_info is None else json.dumps(user_info, ensure_ascii=False)
        return _call_json(
            n.app_authorize_presence, self._handle, _b(socket_id), _b(channel), _b(str(user_id)), _b(info)
        )

    def authenticate_user(self, socket_id, user_data):
        """User sign-in: `user_data` is a dict (encoded compactly) or an already-encoded string."""
        text = user_data if isinstance(user_data, str) else json.dumps(user_data, separators=(",", ":"))
        return _call_json(n.app_authenticate_user, self._handle, _b(socket_id), _b(text))

    def verify_webhook(self, headers, body, max_age=None):
        """Verifies and reads a webhook; `max_age` in seconds also checks `time_ms`."""
        items = list(headers.items())
        array = (n.Header * len(items))(*[n.Header(_b(k), _b(v)) for k, v in items])
        max_age_ms = 0 if max_age is None else int(max_age * 1000)
        return _call_json(n.app_verify_webhook, self._handle, array, len(items), body, len(body), max_age_ms)


_BACKPRESSURE = {"fail_fast": 0, "block": 1, "drop_newest": 2, "drop_oldest": 3}
_SPOOL_SYNC = {"none": 0, "interval": 1, "every_event": 2}


class _EventBuffer:
    """Keeps the C memory of one pushcast_event alive while a call uses it."""

    def __init__(self, channels, name, data, socket_id=None):
        if isinstance(channels, str):
            channels = [channels]
        self.channel_bytes = [c.encode("utf-8") for c in channels]
        self.channel_array = (ctypes.c_char_p * len(self.channel_bytes))(*self.channel_bytes)
        self.data = _data_bytes(data)
        self.data_buffer = ctypes.create_string_buffer(self.data, len(self.data))
        self.event = n.Event(
            self.channel_array,
            len(self.channel_bytes),
            name.encode("utf-8"),
            ctypes.cast(self.data_buffer, ctypes.c_void_p),
            len(self.data),
            _b(socket_id),
        )


class Client:
    """The background publisher. Thread-safe. `publish` never waits on the network.

    Use it as a context manager (flushes for `shutdown_timeout` on exit), or call `close()`."""

    def __init__(
        self,
        app,
        endpoints,
        queue_capacity=10_000,
        backpressure="fail_fast",
        block_timeout=0.1,
        max_in_flight=4,
        connect_timeout=2.0,
        request_timeout=5.0,
        delivery_timeout=30.0,
        shutdown_timeout=5.0,
        ca_file=None,
        danger_accept_invalid_certs=False,
        spool_dir=None,
        spool_sync="interval",
        spool_sync_interval=0.1,
        spool_max_bytes=0,
        spool_max_age=0.0,
    ):
        if isinstance(endpoints, str):
            endpoints = [endpoints]
        if backpressure not in _BACKPRESSURE:
            raise ValueError(f"backpressure must be one of {sorted(_BACKPRESSURE)}")
        if spool_sync not in _SPOOL_SYNC:
            raise ValueError(f"spool_sync must be one of {sorted(_SPOOL_SYNC)}")
        config = ctypes.c_void_p()
        _check(n.config_new(app._handle, _b(endpoints[0]), ctypes.byref(config)))
        try:
            for extra in endpoints[1:]:
                _check(n.config_add_endpoint(config, _b(extra)))
            _check(n.config_set_queue(
                config, queue_capacity, _BACKPRESSURE[backpressure], int(block_timeout * 1000), max_in_flight
            ))
            _check(n.config_set_timeouts(
                config, int(connect_timeout * 1000), int(request_timeout * 1000),
                int(delivery_timeout * 1000), int(shutdown_timeout * 1000),
            ))
            _check(n.config_set_tls(config, _b(ca_file), danger_accept_invalid_certs))
            if spool_dir is not None:
                # The durable spool: accepted events are on disk before publish returns and are
                # replayed by the next process on the same directory (0: the library's default).
                _check(n.config_set_spool(
                    config, _b(str(spool_dir)), _SPOOL_SYNC[spool_sync], int(spool_sync_interval * 1000),
                    spool_max_bytes, int(spool_max_age * 1000),
                ))
            handle = ctypes.c_void_p()
            _check(n.client_new(config, ctypes.byref(handle)))
            self._handle = handle
        finally:
            n.config_free(config)

    def close(self):
        """Flushes for the shutdown timeout, then frees the client (idempotent)."""
        if getattr(self, "_handle", None):
            n.client_free(self._handle)
            self._handle = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def publish(self, channels, event, data, socket_id=None):
        """Queues an event; returns "queued" or "dropped" (drop-newest policy, counted)."""
        buf = _EventBuffer(channels, event, data, socket_id)
        accepted = ctypes.c_uint32()
        _check(n.client_publish(self._handle, ctypes.byref(buf.event), ctypes.byref(accepted)))
        return "dropped" if accepted.value == 1 else "queued"

    def publish_batch(self, events):
        """Validates every (channels, event, data[, socket_id]) first, then queues them all."""
        buffers = [_EventBuffer(*e) for e in events]
        array = (n.Event * len(buffers))(*[b.event for b in buffers])
        accepted = ctypes.c_uint32()
        _check(n.client_publish_batch(self._handle, array, len(buffers), ctypes.byref(accepted)))
        return "dropped" if accepted.value == 1 else "queued"

    def publish_confirmed(self, channels, event, data, timeout=5.0, socket_id=None):
        """Queues an event and waits for the server's acknowledgement of every channel."""
        buf = _EventBuffer(channels, event, data, socket_id)
        _check(n.client_publish_confirmed(self._handle, ctypes.byref(buf.event), int(timeout * 1000)))

    def send_to_user(self, user_id, event, data):
        _check(n.client_send_to_user(self._handle, _b(str(user_id)), _b(event), _data_bytes(data)))

    def flush(self, timeout=5.0):
        """Waits for pending events; returns how many are still pending."""
        pending = ctypes.c_uint64()
        _check(n.client_flush(self._handle, int(timeout * 1000), ctypes.byref(pending)))
        return pending.value

    def shutdown(self, timeout=5.0):
        """Flushes, then stops the engine; returns how many events were abandoned."""
        abandoned = ctypes.c_uint64()
        _check(n.client_shutdown(self._handle, int(timeout * 1000), ctypes.byref(abandoned)))
        return abandoned.value

    def stats(self):
        s = n.Stats()
        _check(n.client_stats(self._handle, ctypes.byref(s)))
        return {name: getattr(s, name) for name in n.STATS_FIELDS}

    def drain_failures(self):
        """Takes the recent failures: [{"event", "channel", "error", "code"}]."""
        return _call_json(n.client_drain_failures, self._handle)

    def channels(self, filter_by_prefix=None, info=None):
        return _call_json(n.client_channels, self._handle, _b(filter_by_prefix), _b(info))

    def channel_info(self, channel, info=None):
        return _call_json(n.client_channel_info, self._handle, _b(channel), _b(info))

    def presence_users(self, channel):
        return _call_json(n.client_presence_users, self._handle, _b(channel))

    def terminate_user_connections(self, user_id):
        _check(n.client_terminate(self._handle, _b(str(user_id))))
