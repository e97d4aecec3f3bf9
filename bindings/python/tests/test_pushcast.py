"""pytest tests of the Python binding: golden auth vectors, typed errors, queue full, and a real
publish to sockudo (SOCKUDO_URL, started by scripts/test-python)."""

import base64
import hashlib
import hmac
import json
import os

import pytest

import pushcast

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


def test_spool_keeps_events_for_the_next_client(tmp_path):
    url = server_url()
    app = pushcast.App("12345", "app-key", "app-secret", profile="sockudo")
    with pytest.raises(ValueError):
        pushcast.Client(app, url, spool_dir=tmp_path, spool_sync="sometimes")
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
