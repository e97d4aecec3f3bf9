"""pytest tests of the Python binding: golden auth vectors, typed errors, queue full, and a real
publish to sockudo (SOCKUDO_URL, started by scripts/test-python)."""

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import pushcast

HEADER = Path(__file__).resolve().parents[3] / "include" / "pushcast.h"

GOLDEN = pushcast.App("1", "thisisaauthkey", "thisisasecret")


def server_url():
    url = os.environ.get("SOCKUDO_URL")
    if not url:
        if os.environ.get("PUSHCAST_REQUIRE_SERVER") == "1":
            pytest.fail("SOCKUDO_URL is not set: run scripts/test-python")
        pytest.skip("no server (SOCKUDO_URL unset)")
    return url


def test_version():
    assert pushcast.version()


def test_private_channel_golden_vector():
    auth = GOLDEN.authorize_channel("1.1", "testing_pusher-php")
    assert auth == {"auth": "thisisaauthkey:751ccc12aeaa79d46f7c199bced5fa47527d3480b51fe61a0bd10438241bd52d"}


def test_presence_golden_vector_over_given_channel_data():
    auth = GOLDEN.authorize_channel("45055.28877557", "-azAZ9_=@,.;", '{"user_id": "123"}')
    assert auth["auth"].endswith("3b3f1dcc4d7d2f95dd10ed05562397b3287b102d4cccfacbf30eed2f1ffa3d69")


def test_presence_auth_signs_the_channel_data_it_returns():
    auth = GOLDEN.authorize_presence_channel("1.2", "presence-chat", 7, {"name": "José/x"})
    assert json.loads(auth["channel_data"]) == {"user_id": "7", "user_info": {"name": "José/x"}}
    expected = hmac.new(b"thisisasecret", ("1.2:presence-chat:" + auth["channel_data"]).encode(), hashlib.sha256)
    assert auth["auth"] == "thisisaauthkey:" + expected.hexdigest()


def test_user_sign_in_golden_vector():
    auth = GOLDEN.authenticate_user("12345.6789", {"id": "123"})
    assert auth["auth"].endswith("fc713f433deb729d0d96f9e26ef054285cbc3e833ebe840b93722a2fa16a6a18")
    assert auth["user_data"] == '{"id":"123"}'


def test_encrypted_channel_shared_secret():
    app = pushcast.App("1", "k", "s", master_key_base64=base64.b64encode(b"a" * 32).decode())
    auth = app.authorize_channel("1.1", "private-encrypted-channel-a")
    assert auth["shared_secret"] == "Rp+wpkNpL89qhqco1JkIG31AVXyU8PUVJBr1B2MvdoA="


def test_webhook_good_and_tampered():
    body = b'{"time_ms":1,"events":[{"name":"channel_occupied","channel":"x"}]}'
    sig = hmac.new(b"thisisasecret", body, hashlib.sha256).hexdigest()
    hook = GOLDEN.verify_webhook({"X-Pusher-Key": "thisisaauthkey", "X-Pusher-Signature": sig}, body)
    assert hook["events"][0]["channel"] == "x"
    with pytest.raises(pushcast.WebhookError):
        GOLDEN.verify_webhook({"X-Pusher-Key": "thisisaauthkey", "X-Pusher-Signature": sig}, body + b" ")
    with pytest.raises(pushcast.WebhookError):  # a year-old webhook outside a 5-minute window
        GOLDEN.verify_webhook({"X-Pusher-Key": "thisisaauthkey", "X-Pusher-Signature": sig}, body, max_age=300)


def test_bad_input_is_a_typed_error_before_the_network():
    app = pushcast.App("12345", "k", "s")
    with pushcast.Client(app, "http://127.0.0.1:1") as client:
        with pytest.raises(pushcast.ValidationError) as err:
            client.publish(["bad channel"], "e", {})
        assert "bad channel" in err.value.message and err.value.code == 1000
        assert client.stats()["enqueued"] == 0
    with pytest.raises(pushcast.ConfigError):
        pushcast.App("1", "k", "s", profile="nope")


def test_queue_full_under_fail_fast():
    app = pushcast.App("12345", "k", "s")
    client = pushcast.Client(app, "http://127.0.0.1:1", queue_capacity=2, shutdown_timeout=0.1)
    client.publish("q", "e", {})
    client.publish("q", "e", {})
    with pytest.raises(pushcast.QueueFullError):
        client.publish("q", "e", {})
    assert client.stats()["rejected_queue_full"] == 1
    assert client.shutdown(0.1) == 2
    client.close()


def test_real_publish_and_queries():
    url = server_url()
    app = pushcast.App("12345", "app-key", "app-secret", profile="sockudo", limits={"max_events_per_batch": 100})
    with pushcast.Client(app, url) as client:
        for i in range(200):
            assert client.publish(["py-feed"], "Tick", {"seq": i}) == "queued"
        client.publish_batch([(["py-feed"], "Tick", {"seq": 200}), ("py-feed", "Tick", "{\"seq\":201}")])
        client.publish_confirmed(["py-feed"], "Tick", {"seq": 202}, timeout=10)
        assert client.flush(10) == 0
        stats = client.stats()
        assert (stats["enqueued"], stats["delivered"], stats["failed"]) == (203, 203, 0)
        assert "channels" in client.channels()
        client.send_to_user("42", "Hello", {})
        assert client.flush(10) == 0


def test_server_refusal_carries_the_status():
    url = server_url()
    app = pushcast.App("12345", "app-key", "wrong-secret", profile="sockudo")
    with pushcast.Client(app, url) as client:
        with pytest.raises(pushcast.ApiError) as err:
            client.publish_confirmed(["py-feed"], "Tick", {}, timeout=10)
        assert err.value.http_status == 401
        failures = client.drain_failures()
        assert len(failures) == 1 and failures[0]["channel"] == "py-feed" and failures[0]["code"] == 4000
        check_failure_record(failures[0], "py-feed", "Tick", pushcast.Result.API_ERROR)


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_publish_confirmed_returns_the_channel_info():
    # Nobody subscribes to py-info-nobody: sockudo reports a subscription_count of 0, and with
    # it (unasked) an acknowledgement_id, a UUID per channel. Without info: no channel info.
    url = server_url()
    app = pushcast.App("12345", "app-key", "app-secret", profile="sockudo")
    with pushcast.Client(app, url) as client:
        channels = client.publish_confirmed(
            ["py-info-nobody"], "Info", {"n": 1}, timeout=10, info="subscription_count"
        )
        assert isinstance(channels, dict) and set(channels) == {"py-info-nobody"}, channels
        info = channels["py-info-nobody"]
        assert set(info) == {"subscription_count", "acknowledgement_id"}, info
        assert info["subscription_count"] == 0 and type(info["subscription_count"]) is int, info
        assert UUID.match(info["acknowledgement_id"]), info
        assert client.publish_confirmed("py-info-nobody", "Info", {}, timeout=10) == {}
        assert client.publish_confirmed("py-info-nobody", "Info", {}, 10, None, None) == {}
        stats = client.stats()
        assert (stats["enqueued"], stats["delivered"], stats["failed"]) == (3, 3, 0)


def test_publish_confirmed_with_info_refuses_bad_input_before_the_queue():
    app = pushcast.App("12345", "k", "s")
    with pushcast.Client(app, "http://127.0.0.1:1", shutdown_timeout=0) as client:
        with pytest.raises(pushcast.ValidationError) as err:
            client.publish_confirmed(["bad channel"], "e", {}, timeout=1, info="subscription_count")
        assert err.value.code == pushcast.Result.INVALID_CHANNEL and "bad channel" in err.value.message
        with pytest.raises(pushcast.ValidationError) as err:
            client.publish_confirmed([], "e", {}, timeout=1, info="subscription_count")
        assert err.value.code == pushcast.Result.NO_CHANNELS
        with pytest.raises(pushcast.PushcastError) as err:  # a boundary code, as before
            client.publish_confirmed("c", "e", b'"\xff"', timeout=1)
        assert err.value.code == pushcast.Result.INVALID_UTF8
        with pytest.raises(pushcast.ValidationError) as err:
            client.publish_confirmed("c", "e", {}, timeout=1, socket_id="nope")
        assert err.value.code == pushcast.Result.INVALID_SOCKET_ID
        with pytest.raises(pushcast.ConfigError):  # the library's word on an empty list
            client.publish_confirmed("c", "e", {}, timeout=1, info="")
        with pytest.raises(ValueError):
            client.publish_confirmed("c", "e", {}, timeout=-1, info="subscription_count")
        assert client.stats()["enqueued"] == 0


def check_failure_record(failure, channel, event, code):
    """The fields every binding's failure record has: the library's message, its code with the
    library's name, and a recent time (pushcast_client_drain_failures reports "at")."""
    assert isinstance(failure, pushcast.Failure)
    assert (failure.channel, failure.event, failure.code, failure.name) == (channel, event, code, code.name)
    assert failure.code is code and failure.error and failure.error == failure["error"]
    assert failure.at is not None and time.time() - 3600 < failure.at <= time.time() + 60
    assert set(failure) == {"event", "channel", "error", "code", "name", "at"}


def test_failure_record_fields():
    # pushcast_client_drain_failures's JSON, with and without the time ("at", seconds).
    failure = pushcast.Failure({"event": "Paid", "channel": "orders.1", "error": "server said no",
                                "code": 4000, "at": 1767225600.25})
    assert failure == {"event": "Paid", "channel": "orders.1", "error": "server said no",
                       "code": 4000, "name": "API_ERROR", "at": 1767225600.25}
    assert failure.code is pushcast.Result.API_ERROR and failure.at == 1767225600.25
    untimed = pushcast.Failure({"event": "E", "channel": "c", "error": "m", "code": 5002})
    assert (untimed.code, untimed.name, untimed.at) == (pushcast.Result.TRANSPORT, "TRANSPORT", None)
    # A number the loaded library does not assign stays a number, named as the library names it.
    unknown = pushcast.Failure({"event": "E", "channel": "c", "error": "m", "code": 5999})
    assert unknown.code == 5999 and not isinstance(unknown.code, pushcast.Result)
    assert unknown.name == "UNKNOWN"


def test_spool_keeps_events_for_the_next_client(tmp_path):
    url = server_url()
    app = pushcast.App("12345", "app-key", "app-secret", profile="sockudo")
    # Names are the library's to check (pushcast_config_set): its error names the setting.
    with pytest.raises(pushcast.ConfigError, match="spool_sync"):
        pushcast.Client(app, url, spool_dir=tmp_path, spool_sync="sometimes")
    with pytest.raises(pushcast.ConfigError, match="backpressure"):
        pushcast.Client(app, url, backpressure="sometimes")
    with pytest.raises(pushcast.ConfigError):
        pushcast.Client(app, url, spool_dir=tmp_path, spool_sync="interval", spool_sync_interval=0)
    unreachable = pushcast.Client(app, "http://127.0.0.1:1", spool_dir=tmp_path, spool_sync="none")
    for i in range(30):
        assert unreachable.publish("py-spool", "Tick", {"seq": i}) == "queued"
    # Left in the spool at shutdown, not lost: the next client on the directory replays them.
    assert unreachable.shutdown(0.1) == 30
    unreachable.close()
    with pushcast.Client(app, url, spool_dir=tmp_path, spool_sync="every_event") as client:
        client.publish("py-spool", "Tick", {"seq": 30})
        assert client.flush(20) == 0
        stats = client.stats()
        assert (stats["enqueued"], stats["delivered"], stats["failed"]) == (1, 31, 0)
    blocked = tmp_path / "file"
    blocked.write_text("x")
    with pushcast.Client(app, url, spool_dir=blocked) as client:
        with pytest.raises(pushcast.SpoolError):
            client.publish("py-spool", "Tick", {})


def run_isolated(script, timeout=120):
    """Runs `script` in a fresh interpreter with the same library and binding, so that a crash
    (abort, SIGSEGV) fails this test instead of killing pytest. Returns its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True, text=True, timeout=timeout, env=dict(os.environ),
    )
    assert done.returncode == 0, (
        f"exit {done.returncode}\nstdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    )
    return done.stdout


def test_close_racing_calls_never_frees_a_handle_in_use():
    # ctypes releases the GIL during each library call: close() on one thread used to free the
    # handle under another thread's call (malloc(): mismatching next->prev_size, abort).
    out = run_isolated("""
        import threading, time
        import pushcast

        Closed = getattr(pushcast, "ClosedError", type("NoClosedError", (Exception,), {}))
        failures = []

        def hammer(obj, call, start, tally):
            start.wait()
            while True:
                try:
                    call(obj)
                    tally.append("ok")
                except Closed:
                    tally.append("closed")
                    return
                except BaseException as e:  # anything else is a failure of the test
                    failures.append(repr(e))
                    return

        def race(make, call, rounds):
            calls = 0
            for r in range(rounds):
                obj = make(r)
                start = threading.Barrier(5)
                tallies = [[] for _ in range(4)]
                threads = [threading.Thread(target=hammer, args=(obj, call, start, t)) for t in tallies]
                for t in threads:
                    t.start()
                start.wait()
                time.sleep(0.003 * (r % 7))  # 0 to 18 ms of calls before close()
                obj.close()
                for t in threads:
                    t.join(60)
                    if t.is_alive():
                        failures.append(f"round {r}: a caller hangs after close()")
                # Every thread ended on the closed error, nothing else.
                if not all(t and t[-1] == "closed" for t in tallies):
                    failures.append(f"round {r}: threads ended on {[t[-1:] for t in tallies]}")
                obj.close()  # idempotent
                calls += sum(t.count("ok") for t in tallies)
            return calls

        def client(r):
            c = pushcast.Client(app, "http://127.0.0.1:1", queue_capacity=10_000_000, shutdown_timeout=0,
                                connect_timeout=0.05, delivery_timeout=0.1)
            if r % 2:
                c.publish(["race"], "e", {})  # the engine starts here, not during the race
            return c

        app = pushcast.App("12345", "k", "s")
        published = race(client, lambda c: c.publish(["race"], "e", {"x": 1}), 40)
        authorized = race(
            lambda r: pushcast.App("12345", "k", "s"),
            lambda a: a.authorize_channel("1.1", "private-race"),
            40,
        )
        assert not failures, failures[:5]
        print("ok", published, authorized)
    """)
    _, published, authorized = out.split()
    assert int(published) > 100 and int(authorized) > 100, out  # the calls did overlap close()


def test_use_after_close_is_a_clear_error():
    app = pushcast.App("12345", "k", "s")
    client = pushcast.Client(app, "http://127.0.0.1:1", shutdown_timeout=0)
    client.close()
    with pytest.raises(pushcast.ClosedError, match="Client is closed") as err:
        client.publish("c", "e", {})
    assert isinstance(err.value, pushcast.ShutDownError) and err.value.code == 5003
    for call in (client.stats, client.flush, client.drain_failures, lambda: client.publish_batch([("c", "e", {})])):
        with pytest.raises(pushcast.ClosedError):
            call()
    app.close()
    with pytest.raises(pushcast.ClosedError, match="App is closed"):
        app.authorize_channel("1.1", "private-x")
    with pytest.raises(pushcast.ClosedError):
        pushcast.Client(app, "http://127.0.0.1:1")


def test_integers_outside_their_c_type_are_refused_not_wrapped():
    # ctypes wraps -1 into 2**64 - 1 without a word: a queue of 18 quintillion events, or a
    # flush that waits 584 million years.
    app = pushcast.App("12345", "k", "s")
    for kwargs in (
        {"queue_capacity": -1},
        {"queue_capacity": 2**64},
        {"max_in_flight": -1},
        {"block_timeout": -0.5},
        {"delivery_timeout": float("nan")},
        {"shutdown_timeout": float("inf")},
        {"spool_dir": "/nonexistent", "spool_max_bytes": -1},
        {"spool_dir": "/nonexistent", "spool_max_bytes": 2**64},
    ):
        with pytest.raises(ValueError):
            pushcast.Client(app, "http://127.0.0.1:1", **kwargs)
    with pytest.raises(ValueError):
        pushcast.App("1", "k", "s", limits={"max_body_bytes": -1})
    with pytest.raises(TypeError):
        pushcast.Client(app, "http://127.0.0.1:1", queue_capacity=1.5)
    with pushcast.Client(app, "http://127.0.0.1:1", shutdown_timeout=0) as client:
        for call in (
            lambda: client.flush(-1),
            lambda: client.shutdown(-1),
            lambda: client.publish_confirmed("c", "e", {}, timeout=-1),
        ):
            with pytest.raises(ValueError):
                call()
        assert client.flush(0.0004) == 0
        assert client.stats()["enqueued"] == 0


def test_enumerations_take_names_and_the_library_refuses_raw_numbers():
    app = pushcast.App("12345", "k", "s")
    # A policy that is not a name is the library's to refuse, as an unknown name is: its own
    # ConfigError, naming the setting.
    for kwargs, key in (
        ({"backpressure": 4}, "backpressure"),
        ({"backpressure": True}, "backpressure"),
        ({"spool_dir": "/nonexistent", "spool_sync": 3}, "spool_sync"),
        ({"breaker_open_policy": 1}, "breaker_open_policy"),
    ):
        with pytest.raises(pushcast.ConfigError, match=key) as err:
            pushcast.Client(app, "http://127.0.0.1:1", **kwargs)
        assert err.value.code == pushcast.Result.INVALID_CONFIG
    # Underneath, the library checks the numbers itself (this crashed the process before).
    out = run_isolated("""
        import ctypes
        import pushcast
        from pushcast import _native as n

        app = pushcast.App("12345", "k", "s")
        config = ctypes.c_void_p()
        handle = getattr(app._handle, "_ptr", app._handle)  # the raw pointer, before or after _Handle
        n.config_new(handle, b"http://127.0.0.1:1", ctypes.byref(config))
        for value in (4, 1000, 2**32 - 1):
            for name, call in (
                ("queue", lambda: n.config_set_queue(config, 10, value, 0, 4)),
                ("spool", lambda: n.config_set_spool(config, b"/nonexistent", value, 10, 0, 0)),
            ):
                try:
                    pushcast._check(call())
                    print("accepted", name, value)
                except pushcast.ConfigError as e:
                    print("refused", name, value, e.message)
        n.config_free(config)
    """)
    lines = out.splitlines()
    assert len(lines) == 6 and all(line.startswith("refused ") for line in lines), out
    assert "PUSHCAST_BACKPRESSURE_DROP_OLDEST" in lines[0] and "PUSHCAST_SPOOL_SYNC_EVERY_EVENT" in lines[1], out


def header_result_codes():
    codes = dict(
        (name, int(number))
        for name, number in re.findall(r"^\s*PUSHCAST_RESULT_([A-Z0-9_]+) = ([0-9]+),", HEADER.read_text(), re.M)
    )
    assert len(codes) >= 30, f"only {len(codes)} result codes in {HEADER}: has its format changed?"
    return codes


def test_result_codes_come_from_the_library_and_match_the_header():
    # pushcast.Result is built at import from the library's own list: the header (which C
    # programs compile against) must name exactly the same codes, with the same names.
    assert {code.name: code.value for code in pushcast.Result} == header_result_codes()
    assert list(pushcast.Result) == sorted(pushcast.Result)
    # Every code with a class of its own still exists under that name.
    assert set(pushcast._CLASS_OF_NAME) <= set(pushcast.Result.__members__)
    assert pushcast.QueueFullError(5000, "x").name == "QUEUE_FULL"
    assert pushcast.PushcastError(5999, "x").name == "UNKNOWN"


def test_every_result_code_of_the_header_has_its_error_class():
    # Each code maps to the class of its family, and every code past the boundary family
    # (0-4) to a more precise class than PushcastError: a code added to the library cannot be
    # forgotten here again (CIRCUIT_OPEN was).
    codes = sorted(header_result_codes().items(), key=lambda item: item[1])
    generic = [f"{name} ({code})" for name, code in codes if code >= 1000 and pushcast._error_class(code) is pushcast.PushcastError]
    assert not generic, f"codes that only get the generic PushcastError: {generic}"
    families = {
        1: "ValidationError", 2: "ConfigError", 3: "WebhookError", 4: "ApiError", 5: "DeliveryError",
    }
    for name, code in codes:
        if code == 0:
            continue
        cls = pushcast._error_class(code)
        if code < 1000:
            assert cls is pushcast.PushcastError, name
        else:
            assert issubclass(cls, getattr(pushcast, families[code // 1000])), (name, cls)
    assert set(pushcast._CLASS_OF_CODE) == set(header_result_codes().values()) - {0}
    assert pushcast._error_class(pushcast.Result.INTERNAL) is pushcast.InternalError
    assert issubclass(pushcast.InternalError, pushcast.DeliveryError)
    # A code newer than this binding still gets its family's class.
    assert pushcast._error_class(5999) is pushcast.DeliveryError
    assert pushcast._error_class(1999) is pushcast.ValidationError
    assert pushcast._error_class(7) is pushcast.PushcastError


def test_stats_report_exactly_the_clients_counters():
    # Issue 17: the counter names Python reports are the client's own (StatsSnapshot::counters,
    # listed by the library), none added, none missing, in the library's order.
    names = pushcast.counter_names()
    assert len(names) >= 26 and len(set(names)) == len(names)
    assert {"enqueued", "delivered", "conflated", "spool_errors", "split_batches"} <= set(names)
    app = pushcast.App("12345", "k", "s")
    with pushcast.Client(app, "http://127.0.0.1:1", queue_capacity=1, shutdown_timeout=0.1) as client:
        stats = client.stats()
        assert list(stats.counters) == names
        extras = {"latency_p50_us", "latency_p99_us", "last_error", "circuits"}
        assert set(stats) - extras == set(names)
        assert stats.circuits == [{"endpoint": "http://127.0.0.1:1", "state": "closed"}]
        assert stats.last_error is None and stats.latency_p50 is None and stats["latency_p50_us"] == 0
        assert all(client.stat(name) == 0 for name in names)
        client.publish("q", "e", {})
        with pytest.raises(pushcast.QueueFullError):
            client.publish("q", "e", {})
        assert client.stat("rejected_queue_full") == 1 == client.stats()["rejected_queue_full"]
        with pytest.raises(pushcast.PushcastError) as err:
            client.stat("latency_p50_us")
        assert err.value.code == pushcast.Result.UNKNOWN_STAT and "latency_p50_us" in err.value.message


def test_library_messages_go_to_the_pushcast_logger(caplog):
    # Certificate checks off: the engine says so when it starts, from its own thread, and the
    # message reaches Python's logging ("pushcast" logger, WARNING) instead of stderr.
    app = pushcast.App("12345", "k", "s")
    with caplog.at_level(logging.WARNING, logger="pushcast"):
        client = pushcast.Client(app, "https://127.0.0.1:1", danger_accept_invalid_certs=True, shutdown_timeout=0.1)
        client.publish("log", "e", {})
        deadline = time.monotonic() + 10
        while not any("certificate" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
            time.sleep(0.01)
        client.close()
    warnings = [r for r in caplog.records if r.name == "pushcast" and "certificate" in r.getMessage()]
    assert warnings and all(r.levelno == logging.WARNING for r in warnings), caplog.records


def wait_for(what, done, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_breaker_opens_and_fails_fast_with_circuit_open():
    app = pushcast.App("12345", "k", "s")
    # Port 1 refuses connections: one failure opens the circuit for a minute, and the
    # fail-fast policy then refuses publishes with the typed error.
    client = pushcast.Client(
        app, "http://127.0.0.1:1", shutdown_timeout=0.1,
        breaker_failure_threshold=1, breaker_cooldown=60, breaker_cooldown_max=60,
        breaker_open_policy="fail_fast",
    )
    try:
        assert client.publish("py-breaker", "Tick", {"i": 1}) == "queued"
        wait_for("the circuit to open", lambda: client.stat("breaker_opened") == 1)
        with pytest.raises(pushcast.CircuitOpenError) as err:
            client.publish("py-breaker", "Tick", {"i": 2})
        assert err.value.code == pushcast.Result.CIRCUIT_OPEN and isinstance(err.value, pushcast.DeliveryError)
        stats = client.stats()
        assert (stats["enqueued"], stats["rejected_circuit_open"]) == (1, 1)
        assert stats.circuits == [{"endpoint": "http://127.0.0.1:1", "state": "open"}]
        assert 'pushcast_circuit_state{endpoint="http://127.0.0.1:1",state="open"} 1\n' in client.metrics()
    finally:
        assert client.shutdown(0.1) == 1
        client.close()


def test_breaker_and_conflation_settings_are_checked_by_the_library():
    app = pushcast.App("12345", "k", "s")
    with pytest.raises(pushcast.ConfigError, match="breaker_open_policy"):
        pushcast.Client(app, "http://127.0.0.1:1", breaker_open_policy="sometimes")
    with pytest.raises(pushcast.ConfigError):  # cool-down longer than its maximum
        pushcast.Client(app, "http://127.0.0.1:1", breaker_cooldown=5, breaker_cooldown_max=0.01)
    with pytest.raises(pushcast.ConfigError):  # neither an event nor a channel pattern
        pushcast.Client(app, "http://127.0.0.1:1", conflate=[pushcast.ConflateRule(key="id", window=1)])
    with pytest.raises(ValueError):
        pushcast.Client(app, "http://127.0.0.1:1", breaker_failure_threshold=-1)
    with pytest.raises(TypeError):
        pushcast.ConflateRule(event="E")  # no window
    with pytest.raises(TypeError):
        pushcast.Client(app, "http://127.0.0.1:1", conflate=[{"event": "E", "kee": "id", "window": 1}])
    # 0 turns the breaker off: a refused connection then never opens a circuit.
    with pushcast.Client(app, "http://127.0.0.1:1", breaker_failure_threshold=0, shutdown_timeout=0.1) as client:
        assert "pushcast_conflated_total 0\n" in client.metrics()


def test_conflation_replaces_a_queued_event():
    app = pushcast.App("12345", "k", "s")
    # The circuit opens on the first failure and stays open (queue policy): later events wait
    # in the queue, where a newer one with the same key replaces the older. One lane, held by
    # Head: with more, py-other-1's first event could reach a free lane before the second was
    # published, and never be replaced (the race failed the Go twin of this test once in CI).
    client = pushcast.Client(
        app, "http://127.0.0.1:1", shutdown_timeout=0.1, max_in_flight=1,
        breaker_failure_threshold=1, breaker_cooldown=60, breaker_cooldown_max=60, breaker_open_policy="queue",
        conflate=[pushcast.ConflateRule(event="Rooms*", key="room", window=60),
                  {"channel": "py-other-*", "window": 60}],
    )
    try:
        client.publish("py-rooms", "Head", {})
        wait_for("the circuit to open", lambda: client.stat("breaker_opened") == 1)
        client.publish("py-rooms", "RoomsUpdated", {"room": 1, "v": 1})
        client.publish("py-rooms", "RoomsUpdated", {"room": 2, "v": 1})
        client.publish("py-rooms", "RoomsUpdated", {"room": 1, "v": 2})
        wait_for("one event conflated", lambda: client.stat("conflated") == 1)
        client.publish("py-other-1", "Anything", {})
        client.publish("py-other-1", "Anything", {})
        wait_for("two events conflated", lambda: client.stat("conflated") == 2)
        assert client.stat("enqueued") == 6
        assert "\npushcast_conflated_total 2\n" in client.metrics()
    finally:
        assert client.shutdown(0.1) == 4  # Head, room 2, room 1 v2, one Anything
        client.close()


def test_metrics_after_a_real_delivery():
    url = server_url()
    app = pushcast.App("12345", "app-key", "app-secret", profile="sockudo")
    with pushcast.Client(app, url) as client:
        assert "\npushcast_enqueued_total 0\n" in client.metrics()
        client.publish_confirmed("py-metrics", "Tick", {}, timeout=10)
        text = client.metrics()
        assert isinstance(text, str)
        assert "# TYPE pushcast_delivered_total counter\n" in text
        assert "\npushcast_delivered_total 1\n" in text
        assert "# TYPE pushcast_publish_latency_seconds histogram\n" in text


def test_a_collected_client_is_freed_without_flushing():
    # The finalizer stops the engine with no time to flush: an unreachable server and a long
    # shutdown timeout would otherwise hold the collecting thread for the whole timeout.
    out = run_isolated(
        """
        import gc, time, pushcast
        app = pushcast.App("12345", "k", "s")
        client = pushcast.Client(app, "http://127.0.0.1:1", shutdown_timeout=30, breaker_failure_threshold=0)
        for i in range(5):
            client.publish("py-del", "Tick", {"i": i})
        start = time.monotonic()
        del client
        gc.collect()
        print(round(time.monotonic() - start, 3))
        """
    )
    assert float(out.strip().splitlines()[-1]) < 5.0, out


def test_the_package_is_typed():
    assert (Path(pushcast.__file__).parent / "py.typed").is_file()
    hints = pushcast.Client.__init__.__annotations__
    assert hints["breaker_open_policy"] and hints["conflate"] and pushcast.Client.metrics.__annotations__["return"]
    confirmed = pushcast.Client.publish_confirmed.__annotations__
    assert confirmed["info"] == "Optional[str]" and confirmed["return"] == "Dict[str, Dict[str, Any]]"
