"""pushcast for Python: publish real-time events to Pusher-protocol servers through libpushcast.

A thin layer over the C API (include/pushcast.h) with ctypes: no protocol logic here, no
compiler needed at install. ::

    import pushcast

    app = pushcast.App("12345", "app-key", "app-secret", profile="sockudo")
    with pushcast.Client(app, "http://127.0.0.1:6001") as client:   # flushes on exit
        client.publish(["orders.1"], "OrderShipped", {"id": 1})
        client.publish_confirmed(["orders.1"], "Paid", {"id": 1}, timeout=5)
        counts = client.publish_confirmed("orders.1", "Paid", {}, info="subscription_count")
        # counts == {"orders.1": {"subscription_count": 0, ...}}: what the server returned
    print(app.authorize_channel("123.456", "private-orders.1"))

Close a Client with `close()` or a `with` block: that flushes pending events for the shutdown
timeout. A Client that is garbage-collected without being closed does not flush (a finalizer
must not wait on the network): its pending events are abandoned, counted and logged.

Failures raise PushcastError subclasses, one per family of result codes (ValidationError,
ConfigError, WebhookError, ApiError, DeliveryError with QueueFullError, DeliveryTimeout,
TransportError, ShutDownError, CircuitOpenError, SpoolError, EngineFailedError,
InternalError); `Result` names every code, read from the loaded library. App and Client may be
used from several threads at once and closed from any of them; a closed one raises ClosedError.
"""

from __future__ import annotations

import atexit
import ctypes
import dataclasses
import enum
import json
import logging
import math
import numbers
import operator
import threading
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _native as n

__all__ = [
    "App", "Client", "PushcastError", "ValidationError", "ConfigError", "WebhookError",
    "ApiError", "DeliveryError", "QueueFullError", "DeliveryTimeout", "TransportError",
    "ShutDownError", "ClosedError", "CircuitOpenError", "SpoolError", "EngineFailedError",
    "InternalError", "Result", "Stats", "Failure", "ConflateRule", "counter_names", "version",
    "library_path",
]

# What a publish takes: one channel name or several.
Channels = Union[str, Sequence[str]]
# An event's data: bytes and str are sent as they are, anything else as its JSON encoding.
Data = Any

# Every result code of the loaded library, as an IntEnum (Result.QUEUE_FULL == 5000): built at
# import from pushcast_result_count/code_at/name, so a code added to the library is here without
# a change to this binding, and no number is copied from the header.
Result = enum.IntEnum("Result", n.result_codes())
Result.__doc__ = "The result codes of libpushcast (pushcast_result), named as in the header without PUSHCAST_RESULT_."

# The libpushcast this package loaded: the one bundled in an installed wheel, else
# $PUSHCAST_LIB, a checkout's build, or the system's (see _native).
library_path: str = n.library_path


class PushcastError(Exception):
    """Any failure reported by libpushcast: `code` (a pushcast_result number), `http_status`
    (0 unless the server answered), `message`."""

    def __init__(self, code: int, message: str, http_status: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.message = message

    @property
    def name(self) -> str:
        """The code's name in the library ("QUEUE_FULL"), "UNKNOWN" for a number it does not
        assign."""
        return n.result_name(self.code).decode("ascii")


class ValidationError(PushcastError):
    """Bad input, caught before anything touched the network (codes 1000-1999)."""


class ConfigError(PushcastError):
    """Bad or missing configuration (2000-2999)."""


class WebhookError(PushcastError):
    """A webhook failed verification, or encrypted data could not be decrypted (3000-3999)."""


class ApiError(PushcastError):
    """The server refused the request; `http_status` says how (4000-4999)."""


class DeliveryError(PushcastError):
    """Publishing or delivery failed (5000-5999); the subclasses below name each code, and a
    code newer than this binding is a DeliveryError itself."""


class QueueFullError(DeliveryError):
    """The publish queue is full (5000), or the durable spool is (5005)."""


class DeliveryTimeout(DeliveryError):
    """A deadline passed (5001); a confirmed event may still be delivered later."""


class TransportError(DeliveryError):
    """The server could not be reached: DNS, connect, TLS (5002)."""


class ShutDownError(DeliveryError):
    """The client was shut down (5003)."""


class ClosedError(ShutDownError):
    """The App or Client was closed (code 5003, raised by the binding): its native handle is
    freed, so nothing can be done with it any more."""


class CircuitOpenError(DeliveryError):
    """Every endpoint's circuit breaker is open and the fail-fast breaker policy refused the
    event (5004)."""


class SpoolError(DeliveryError):
    """The durable spool could not be opened, written or read (5006)."""


class EngineFailedError(DeliveryError):
    """A thread of the publishing engine stopped on a bug (5007): publishing fails until the
    client is shut down; the message says why."""


class InternalError(DeliveryError):
    """libpushcast could not do its own work (5008): the process refused a thread or the I/O
    runtime. Not caused by the arguments or the configuration; retrying later may help."""


# The codes whose class is more precise than their family's, by the library's name for them.
# Every other code gets its family's class from its number (1xxx validation, 2xxx configuration,
# 3xxx webhooks, 4xxx the server, 5xxx delivery; below 1000 the boundary's own, PushcastError),
# so a code newer than this binding still gets the right family.
_CLASS_OF_NAME = {
    "QUEUE_FULL": QueueFullError,
    "TIMEOUT": DeliveryTimeout,
    "TRANSPORT": TransportError,
    "SHUT_DOWN": ShutDownError,
    "CIRCUIT_OPEN": CircuitOpenError,
    "SPOOL_FULL": QueueFullError,
    "SPOOL": SpoolError,
    "ENGINE_FAILED": EngineFailedError,
    "INTERNAL": InternalError,
}
_CLASS_OF_FAMILY = {1: ValidationError, 2: ConfigError, 3: WebhookError, 4: ApiError, 5: DeliveryError}


def _family_class(code):
    return _CLASS_OF_FAMILY.get(code // 1000, PushcastError)


# Each code of the loaded library (OK aside) with its class.
_CLASS_OF_CODE = {
    code: _CLASS_OF_NAME.get(code.name, _family_class(code)) for code in Result if code != 0
}


def _error_class(code):
    cls = _CLASS_OF_CODE.get(code)
    if cls is not None:
        return cls
    return _family_class(code)


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


_UINT64_MAX = 2**64 - 1
_SIZE_MAX = 2 ** (8 * ctypes.sizeof(ctypes.c_size_t)) - 1


def _uint(value, what, top=_UINT64_MAX):
    """An integer argument checked against its C type's range: ctypes would silently wrap -1
    into 2**64 - 1 (a queue of 18 quintillion events, a wait of 584 million years)."""
    number = operator.index(value)
    if not 0 <= number <= top:
        raise ValueError(f"{what} must be an integer from 0 to {top}, not {value!r}")
    return number


def _ms(seconds, what):
    """A duration in seconds as whole milliseconds for the C API: rounded, and at least 1 when
    positive (so it never turns into "no time at all"). Negative, NaN or too large is a
    ValueError rather than a wrapped-around number."""
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise TypeError(f"{what} must be a number of seconds, not {seconds!r}")
    if math.isnan(seconds) or seconds < 0 or seconds * 1000 > _UINT64_MAX:
        raise ValueError(f"{what} must be from 0 to {_UINT64_MAX // 1000} seconds, not {seconds!r}")
    ms = min(round(seconds * 1000), _UINT64_MAX)
    return 1 if ms == 0 and seconds > 0 else ms


class _Handle:
    """A native handle shared by threads: calls use it under a count, and close() frees it
    only once no call is using it.

    ctypes releases the GIL for every library call, so without this, close() (or __del__) on
    one thread could free the handle while another thread's call was still inside the library
    (a use after free: heap corruption, abort). Once close() has begun, new calls raise
    ClosedError; close() waits for the calls in progress (a publish_confirmed or flush up to its
    timeout), then frees the handle, once. Concurrent close() calls all return after the free.
    """

    __slots__ = ("_ptr", "_free", "_what", "_cond", "_users", "_closing")

    def __init__(self, ptr, free, what):
        self._ptr = ptr
        self._free = free
        self._what = what
        self._cond = threading.Condition(threading.Lock())
        self._users = 0
        self._closing = False

    def call(self, fn, *args):
        """fn(handle, *args) with the handle kept alive for the whole call."""
        with self._cond:
            if self._closing:
                raise ClosedError(int(Result.SHUT_DOWN), f"the {self._what} is closed")
            self._users += 1
        try:
            return fn(self._ptr, *args)
        finally:
            with self._cond:
                self._users -= 1
                if self._users == 0 and self._closing:
                    self._cond.notify_all()

    def close(self, free=None):
        """Frees the handle with `free` (default: the handle's own free function)."""
        with self._cond:
            if self._closing:
                while self._ptr is not None:  # another thread is freeing it
                    self._cond.wait()
                return
            self._closing = True
            while self._users:
                self._cond.wait()
            ptr = self._ptr
        try:
            # Outside the lock: freeing a client flushes for up to its shutdown timeout.
            (free or self._free)(ptr)
        finally:
            with self._cond:
                self._ptr = None
                self._cond.notify_all()


def _take_string(address):
    """Copies and frees a string returned through `char **`."""
    try:
        return ctypes.string_at(address).decode("utf-8")
    finally:
        n.string_free(address)


def _call_json(handle, fn, *args):
    out = ctypes.c_void_p()
    _check(handle.call(fn, *args, ctypes.byref(out)))
    return json.loads(_take_string(out.value))


def _data_bytes(data):
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    # What Laravel does: the payload's JSON encoding, sent as the data string.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# The library's own messages (an engine thread that failed, certificate checks off, a thread
# left running at shutdown) go to the "pushcast" logger instead of straight to standard error:
# with no logging configured, Python's last-resort handler still prints warnings and errors to
# standard error, as before; configured, they land where the application's logs go.
_logger = logging.getLogger("pushcast")


def _forward_log(level, message, _user_data):
    # Called from libpushcast's threads too (ctypes takes the GIL). Never raises into C.
    try:
        text = message.decode("utf-8", "replace") if message else ""
        _logger.log(logging.ERROR if level <= n.LOG_LEVEL_ERROR else logging.WARNING, text)
    except Exception:  # noqa: BLE001 - a logging failure must not reach the library's thread
        pass


# Kept referenced for the life of the module: ctypes frees a callback whose object is collected.
_LOG_CALLBACK = n.LOG_CALLBACK(_forward_log)
n.set_log_callback(_LOG_CALLBACK, None)
# At exit, back to standard error before the interpreter goes away: a message from a library
# thread must not call into a finalizing interpreter.
atexit.register(n.set_log_callback, n.LOG_CALLBACK(), None)


def counter_names() -> List[str]:
    """The client's counter names, in order, as the library lists them: every one is a key of
    Client.stats() and a name Client.stat() reads."""
    return n.counter_names()


class Stats(dict):
    """Client.stats(): a dict of every counter by name (as before, so `stats["delivered"]`
    keeps working), plus `latency_p50_us` and `latency_p99_us` (0 before any delivery, as
    before), `last_error` (str or None) and `circuits` ([{"endpoint", "state"}], state one of
    "closed", "open", "half_open"). Read from pushcast_client_stats_json(), so a counter added
    to the library is here without a change to this binding.

    `counters` is the counters alone, in the library's order; `latency_p50` / `latency_p99`
    are the latencies in seconds, None before any delivery."""

    def __init__(self, document: Dict[str, Any]) -> None:
        counters = dict(document["counters"])
        super().__init__(counters)
        self.counters = counters
        self.latency_p50 = _seconds(document.get("latency_p50_us"))
        self.latency_p99 = _seconds(document.get("latency_p99_us"))
        self["latency_p50_us"] = document.get("latency_p50_us") or 0
        self["latency_p99_us"] = document.get("latency_p99_us") or 0
        self["last_error"] = document.get("last_error")
        self["circuits"] = list(document.get("circuits", []))

    @property
    def last_error(self) -> Optional[str]:
        return self["last_error"]

    @property
    def circuits(self) -> List[Dict[str, str]]:
        return self["circuits"]


def _seconds(micros):
    return None if micros is None else micros / 1e6


class Failure(dict):
    """One event the client gave up on, from Client.drain_failures(): the failure record every
    binding has (Go's Failure has the same fields: event, channel, error, code, time).

    A dict (as before, so `failure["code"]` keeps working) with the keys "event", "channel",
    "error" (the library's message), "code", "name" and "at", each also an attribute. `code` is
    the library's result number, a `Result` when the loaded library names it (an IntEnum, so
    `failure.code == 4000` holds); `name` is the library's name for it ("API_ERROR"); `at` is
    when the client gave up on the event, in seconds since the epoch like time.time(), None
    while the library does not report it."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        code = int(record["code"])
        at = record.get("at")
        super().__init__(
            event=record["event"],
            channel=record["channel"],
            error=record["error"],
            code=Result(code) if code in _RESULT_NUMBERS else code,
            name=n.result_name(code).decode("ascii"),
            at=None if at is None else float(at),
        )

    @property
    def event(self) -> str:
        return self["event"]

    @property
    def channel(self) -> str:
        return self["channel"]

    @property
    def error(self) -> str:
        return self["error"]

    @property
    def code(self) -> int:
        return self["code"]

    @property
    def name(self) -> str:
        return self["name"]

    @property
    def at(self) -> Optional[float]:
        return self["at"]


_RESULT_NUMBERS = frozenset(int(code) for code in Result)


def version() -> str:
    """The libpushcast version."""
    return n.version().decode()


class App:
    """Credentials, server profile and encryption key; channel auth and webhooks.

    `profile`: "strict" (default), "pusher", "reverb", "sockudo" or "soketi"; `limits`: a dict of
    overrides such as {"max_events_per_batch": 100} (0 = unlimited).

    Its methods may be called from several threads at once, and close() from any of them: it
    waits for calls in progress, after which every call raises ClosedError."""

    def __init__(
        self,
        app_id: str,
        key: str,
        secret: str,
        profile: str = "strict",
        master_key_base64: Optional[str] = None,
        limits: Optional[Mapping[str, int]] = None,
    ) -> None:
        limits = {name: _uint(value, f"limits[{name!r}]", _SIZE_MAX) for name, value in (limits or {}).items()}
        ptr = ctypes.c_void_p()
        _check(n.app_new(_b(app_id), _b(key), _b(secret), ctypes.byref(ptr)))
        self._handle = _Handle(ptr, n.app_free, "App")
        try:
            self._handle.call(lambda p: _check(n.app_set_profile(p, _b(profile))))
            for name, value in limits.items():
                self._handle.call(lambda p: _check(n.app_set_limit(p, _b(name), value)))
            if master_key_base64 is not None:
                self._handle.call(lambda p: _check(n.app_set_master_key(p, _b(master_key_base64))))
        except PushcastError:
            self.close()
            raise

    def close(self) -> None:
        """Frees the app (idempotent). Clients made from it keep working (they hold a copy)."""
        handle = self.__dict__.get("_handle")
        if handle is not None:
            handle.close()

    __del__ = close

    def authorize_channel(self, socket_id: str, channel: str, channel_data: Optional[str] = None) -> Dict[str, Any]:
        """The `/broadcasting/auth` answer for a private or encrypted channel (or a presence
        channel with already-encoded `channel_data`), as a dict."""
        return _call_json(self._handle, n.app_authorize_channel, _b(socket_id), _b(channel), _b(channel_data))

    def authorize_presence_channel(
        self, socket_id: str, channel: str, user_id: Union[str, int], user_info: Any = None
    ) -> Dict[str, Any]:
        info = None if user_info is None else json.dumps(user_info, ensure_ascii=False)
        return _call_json(
            self._handle, n.app_authorize_presence, _b(socket_id), _b(channel), _b(str(user_id)), _b(info)
        )

    def authenticate_user(self, socket_id: str, user_data: Union[str, Mapping[str, Any]]) -> Dict[str, Any]:
        """User sign-in: `user_data` is a dict (encoded compactly) or an already-encoded string."""
        text = user_data if isinstance(user_data, str) else json.dumps(user_data, separators=(",", ":"))
        return _call_json(self._handle, n.app_authenticate_user, _b(socket_id), _b(text))

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, max_age: Optional[float] = None
    ) -> Dict[str, Any]:
        """Verifies and reads a webhook; `max_age` in seconds also checks `time_ms`."""
        items = list(headers.items())
        array = (n.Header * len(items))(*[n.Header(_b(k), _b(v)) for k, v in items])
        max_age_ms = 0 if max_age is None else _ms(max_age, "max_age")
        return _call_json(self._handle, n.app_verify_webhook, array, len(items), body, len(body), max_age_ms)


def _policy_name(value):
    """A policy's text for pushcast_config_set: a name as it is, anything else as its str().
    The library alone parses it, so every bad policy (an unknown name, a number) raises the
    library's own ConfigError naming the setting."""
    return value if isinstance(value, str) else str(value)


def _flag(value):
    """A boolean setting's text for pushcast_config_set."""
    return "true" if value else "false"


@dataclasses.dataclass(frozen=True)
class ConflateRule:
    """A conflation rule (pushcast_config_add_conflate_rule): a queued event whose name
    matches `event` and whose channel matches `channel` (globs with `*` and `?`; either may be
    None, not both; the library checks that) is replaced by a later one with the same value of
    the payload's top-level field `key` (None: no key) published within `window` seconds of
    its run's first event. Replaced events are counted in the `conflated` counter."""

    event: Optional[str] = None
    channel: Optional[str] = None
    key: Optional[str] = None
    window: Optional[float] = None  # seconds; required

    def __post_init__(self) -> None:
        if self.window is None:
            raise TypeError("ConflateRule needs a window (seconds)")
        _ms(self.window, "window")


def _conflate_rule(rule: Union[ConflateRule, Mapping[str, Any]]) -> ConflateRule:
    """A ConflateRule, or a mapping of its fields (an unknown field is a TypeError)."""
    if isinstance(rule, ConflateRule):
        return rule
    if isinstance(rule, Mapping):
        return ConflateRule(**rule)
    raise TypeError(f"a conflation rule is a ConflateRule or a dict of its fields, not {rule!r}")


class _EventBuffer:
    """One pushcast_event pointing at Python's own bytes (the struct keeps them alive while a
    call uses it). Built on every publish, so it builds as little as it can: no copy of the
    data, one array type for the usual single channel. A publisher at full speed spends its
    core here, and that core is one the engine and a local server share (issue 15: 5.0 to
    3.9 µs per publish, scripts/bench-all's python_vs_rust)."""

    __slots__ = ("event",)

    def __init__(self, channels, name, data, socket_id=None):
        if isinstance(channels, str):
            count = 1
            channel_array = _ONE_CHANNEL(channels.encode("utf-8"))
        else:
            encoded = [c.encode("utf-8") for c in channels]
            count = len(encoded)
            channel_array = (ctypes.c_char_p * count)(*encoded)
        payload = _data_bytes(data)
        self.event = n.Event(channel_array, count, name.encode("utf-8"), payload, len(payload), _b(socket_id))


_ONE_CHANNEL = ctypes.c_char_p * 1


class _Message:
    """One pushcast_message built from Python values, freed when the `with` block ends (the
    library copies it when publishing). The builder checks only what it stores (data is
    UTF-8); publishing validates the rest before anything is queued."""

    def __init__(
        self,
        channels: Channels,
        name: str,
        data: Data,
        socket_id: Optional[str] = None,
        info: Optional[str] = None,
    ) -> None:
        if isinstance(channels, str):
            channels = [channels]
        encoded_channels = [c.encode("utf-8") for c in channels]
        payload = _data_bytes(data)
        ptr = ctypes.c_void_p()
        _check(n.message_new(name.encode("utf-8"), ctypes.byref(ptr)))
        self.ptr = ptr
        try:
            for channel in encoded_channels:
                _check(n.message_add_channel(ptr, channel))
            _check(n.message_set_data(ptr, payload, len(payload)))
            if socket_id is not None:
                _check(n.message_set_socket_id(ptr, _b(socket_id)))
            if info is not None:
                _check(n.message_set_info(ptr, _b(info)))
        except BaseException:
            n.message_free(ptr)
            raise

    def __enter__(self) -> "_Message":
        return self

    def __exit__(self, *exc: Any) -> bool:
        n.message_free(self.ptr)
        return False


class Client:
    """The background publisher. Thread-safe: every method may be called from several threads
    at once, and close() from any of them (it waits for the calls in progress; after it, every
    call raises ClosedError). `publish` never waits on the network.

    Use it as a context manager or call `close()`: either flushes for `shutdown_timeout`. A
    Client garbage-collected without close() is freed without flushing (a finalizer must not
    wait on the network): what is still pending is abandoned, counted and logged.
    Durations are in seconds; negative ones, and integers outside their C type, are ValueError."""

    def __init__(
        self,
        app: App,
        endpoints: Union[str, Sequence[str]],
        queue_capacity: Optional[int] = None,
        backpressure: Optional[str] = None,
        block_timeout: Optional[float] = None,
        max_in_flight: Optional[int] = None,
        connect_timeout: Optional[float] = None,
        request_timeout: Optional[float] = None,
        delivery_timeout: Optional[float] = None,
        shutdown_timeout: Optional[float] = None,
        ca_file: Optional[str] = None,
        danger_accept_invalid_certs: Optional[bool] = None,
        spool_dir: Optional[Any] = None,
        spool_sync: Optional[str] = None,
        spool_sync_interval: Optional[float] = None,
        spool_max_bytes: Optional[int] = None,
        spool_max_age: Optional[float] = None,
        breaker_failure_threshold: Optional[int] = None,
        breaker_cooldown: Optional[float] = None,
        breaker_cooldown_max: Optional[float] = None,
        breaker_open_policy: Optional[str] = None,
        conflate: Optional[Iterable[Union[ConflateRule, Mapping[str, Any]]]] = None,
    ) -> None:
        """Every setting left at None keeps the library's default (pushcast_config_set: the
        defaults live in the library only). Names: backpressure "fail_fast", "block",
        "drop_newest", "drop_oldest"; spool_sync "none", "interval", "every_event";
        breaker_open_policy "queue", "fail_fast", "spool". The library checks the names: any
        other value (a number too) raises ConfigError naming the setting.

        The circuit breaker: `breaker_failure_threshold` consecutive failed attempts to an
        endpoint open its circuit (0 turns the breaker off) for `breaker_cooldown` seconds,
        doubled after each failed probe up to `breaker_cooldown_max`; while every circuit is
        open, "fail_fast" makes publish raise CircuitOpenError. `conflate`: a list of
        ConflateRule (or dicts of its fields). Bad values raise ConfigError, from the library."""
        if isinstance(endpoints, str):
            endpoints = [endpoints]
        # (key of pushcast_config_set, text): only what the caller set, spool before spool_*.
        settings = []

        def put(key, value, convert):
            if value is not None:
                settings.append((key, str(convert(value))))

        put("queue_capacity", queue_capacity, lambda v: _uint(v, "queue_capacity", _SIZE_MAX))
        put("backpressure", backpressure, _policy_name)
        put("block_timeout_ms", block_timeout, lambda v: _ms(v, "block_timeout"))
        put("max_in_flight", max_in_flight, lambda v: _uint(v, "max_in_flight", _SIZE_MAX))
        put("connect_timeout_ms", connect_timeout, lambda v: _ms(v, "connect_timeout"))
        put("request_timeout_ms", request_timeout, lambda v: _ms(v, "request_timeout"))
        put("delivery_timeout_ms", delivery_timeout, lambda v: _ms(v, "delivery_timeout"))
        put("shutdown_timeout_ms", shutdown_timeout, lambda v: _ms(v, "shutdown_timeout"))
        put("ca_file", ca_file, str)
        put("danger_accept_invalid_certs", danger_accept_invalid_certs, _flag)
        if spool_dir is not None:
            # The durable spool: accepted events are on disk before publish returns and are
            # replayed by the next process on the same directory.
            put("spool", spool_dir, str)
            put("spool_sync", spool_sync, _policy_name)
            put("spool_sync_interval_ms", spool_sync_interval, lambda v: _ms(v, "spool_sync_interval"))
            # 0 is the library's default here, as it was before these went by name.
            put("spool_max_bytes", spool_max_bytes or None, lambda v: _uint(v, "spool_max_bytes"))
            put("spool_max_age_ms", spool_max_age or None, lambda v: _ms(v, "spool_max_age"))
        put("breaker_failure_threshold", breaker_failure_threshold,
            lambda v: _uint(v, "breaker_failure_threshold", 2**32 - 1))
        put("breaker_cooldown_ms", breaker_cooldown, lambda v: _ms(v, "breaker_cooldown"))
        put("breaker_cooldown_max_ms", breaker_cooldown_max, lambda v: _ms(v, "breaker_cooldown_max"))
        put("breaker_open_policy", breaker_open_policy, _policy_name)
        rules = [_conflate_rule(r) for r in (conflate or [])]
        encoded_rules = [(_b(r.event), _b(r.channel), _b(r.key), _ms(r.window, "window")) for r in rules]
        encoded = [(_b(k), _b(v)) for k, v in settings]
        config = ctypes.c_void_p()
        app._handle.call(lambda p: _check(n.config_new(p, _b(endpoints[0]), ctypes.byref(config))))
        try:
            for extra in endpoints[1:]:
                _check(n.config_add_endpoint(config, _b(extra)))
            for key, value in encoded:
                _check(n.config_set(config, key, value))
            for event, channel, key, window_ms in encoded_rules:
                _check(n.config_add_conflate_rule(config, event, channel, key, window_ms))
            ptr = ctypes.c_void_p()
            _check(n.client_new(config, ctypes.byref(ptr)))
            self._handle = _Handle(ptr, n.client_free, "Client")
        finally:
            n.config_free(config)

    def close(self) -> None:
        """Waits for calls in progress on other threads, flushes for the shutdown timeout, then
        frees the client (idempotent). Call it (or use a `with` block): only close() flushes."""
        handle = self.__dict__.get("_handle")
        if handle is not None:
            handle.close()

    def __del__(self) -> None:
        # A finalizer must not wait on the network (it runs wherever the last reference goes,
        # holding up that thread, or at interpreter exit): stop the engine without flushing,
        # then free. What is still pending is abandoned, counted and logged by the library.
        handle = self.__dict__.get("_handle")
        if handle is not None:
            handle.close(_free_client_without_flushing)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> bool:
        self.close()
        return False

    def publish(self, channels: Channels, event: str, data: Data, socket_id: Optional[str] = None) -> str:
        """Queues an event; returns "queued" or "dropped" (drop-newest policy, counted)."""
        buf = _EventBuffer(channels, event, data, socket_id)
        accepted = ctypes.c_uint32()
        _check(self._handle.call(n.client_publish, ctypes.byref(buf.event), ctypes.byref(accepted)))
        return "dropped" if accepted.value == 1 else "queued"

    def publish_batch(self, events: Sequence[Tuple[Any, ...]]) -> str:
        """Validates every (channels, event, data[, socket_id]) first, then queues them all."""
        buffers = [_EventBuffer(*e) for e in events]
        array = (n.Event * len(buffers))(*[b.event for b in buffers])
        accepted = ctypes.c_uint32()
        _check(self._handle.call(n.client_publish_batch, array, len(buffers), ctypes.byref(accepted)))
        return "dropped" if accepted.value == 1 else "queued"

    def publish_confirmed(
        self,
        channels: Channels,
        event: str,
        data: Data,
        timeout: float = 5.0,
        socket_id: Optional[str] = None,
        info: Optional[str] = None,
    ) -> Dict[str, Dict[str, Any]]:
        """Queues an event and waits for the server's acknowledgement of every channel.

        `info` is the Pusher trigger attribute list, comma-separated (e.g.
        "subscription_count,user_count"). Returns the per-channel info the server sent back,
        {channel: {attribute: value}}: an empty dict when `info` is None or the server reported
        none. Validation errors raise before anything is queued; on DeliveryTimeout the event
        stays queued and may still be delivered."""
        timeout_ms = _ms(timeout, "timeout")
        with _Message(channels, event, data, socket_id, info) as message:
            out = ctypes.c_void_p()
            _check(self._handle.call(n.client_publish_message_confirmed, message.ptr, timeout_ms, ctypes.byref(out)))
        document = json.loads(_take_string(out.value))
        return dict(document.get("channels") or {})

    def send_to_user(self, user_id: Union[str, int], event: str, data: Data) -> None:
        _check(self._handle.call(n.client_send_to_user, _b(str(user_id)), _b(event), _data_bytes(data)))

    def flush(self, timeout: float = 5.0) -> int:
        """Waits for pending events; returns how many are still pending."""
        pending = ctypes.c_uint64()
        _check(self._handle.call(n.client_flush, _ms(timeout, "timeout"), ctypes.byref(pending)))
        return pending.value

    def shutdown(self, timeout: float = 5.0) -> int:
        """Flushes, then stops the engine; returns how many events were abandoned."""
        abandoned = ctypes.c_uint64()
        _check(self._handle.call(n.client_shutdown, _ms(timeout, "timeout"), ctypes.byref(abandoned)))
        return abandoned.value

    def stats(self) -> Stats:
        """Every statistic, as a Stats (a dict by name). Never blocks."""
        return Stats(_call_json(self._handle, n.client_stats_json))

    def stat(self, name: str) -> int:
        """One counter by name (one of counter_names()); a name the library does not have
        raises PushcastError with code Result.UNKNOWN_STAT."""
        value = ctypes.c_uint64()
        _check(self._handle.call(n.client_stat, _b(name), ctypes.byref(value)))
        return value.value

    def drain_failures(self) -> List[Failure]:
        """Takes the recent failures (events the client gave up on), oldest first: a list of
        Failure (event, channel, error, code, name, at)."""
        return [Failure(record) for record in _call_json(self._handle, n.client_drain_failures)]

    def metrics(self) -> str:
        """Every statistic in the Prometheus text format (counters, queue gauges, the latency
        histogram, each endpoint's circuit state). Never blocks."""
        out = ctypes.c_void_p()
        _check(self._handle.call(n.client_metrics, ctypes.byref(out)))
        return _take_string(out.value)

    def channels(self, filter_by_prefix: Optional[str] = None, info: Optional[str] = None) -> Dict[str, Any]:
        return _call_json(self._handle, n.client_channels, _b(filter_by_prefix), _b(info))

    def channel_info(self, channel: str, info: Optional[str] = None) -> Dict[str, Any]:
        return _call_json(self._handle, n.client_channel_info, _b(channel), _b(info))

    def presence_users(self, channel: str) -> Any:
        return _call_json(self._handle, n.client_presence_users, _b(channel))

    def terminate_user_connections(self, user_id: Union[str, int]) -> None:
        _check(self._handle.call(n.client_terminate, _b(str(user_id))))


def _free_client_without_flushing(ptr: Any) -> None:
    """Stops the engine with no time to flush (queued events are abandoned, counted, logged),
    then frees the client, which then has nothing left to wait for."""
    try:
        n.client_shutdown(ptr, 0, None)
    finally:
        n.client_free(ptr)
