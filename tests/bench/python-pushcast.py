"""pushcast from Python in scripts/bench-all: the ctypes binding over libpushcast's C ABI
(bindings/python), so this measures the C ABI as another language sees it."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../bindings/python"))
import common  # noqa: E402
import pushcast  # noqa: E402

a = common.args()
# The test kit's sockudo takes batches of 100 (the sockudo profile assumes its default 10): the
# same limit as the Rust and PHP publishers.
app = pushcast.App(common.APP_ID, common.KEY, common.SECRET, profile="sockudo",
                   limits={"max_events_per_batch": 100})
client = pushcast.Client(
    app, [a.url], queue_capacity=100_000, backpressure="block", block_timeout=60.0,
    ca_file=a.ca_file,
)
client.publish(["bench-warmup"], "Warm", "{}")  # starting the engine is not a publish cost
client.flush(10.0)
warm = client.stats()


def publish(channel, data):
    # The caller hands over JSON text, as it would from a web framework's serializer.
    client.publish([channel], "Tick", json.dumps(data, separators=(",", ":")))


def finish():
    pending = client.flush(300.0)
    stats = client.stats()
    return {
        "acknowledged": stats["delivered"] - warm["delivered"],
        "failed": stats["failed"] - warm["failed"],
        "pending": pending,
    }


common.run("pushcast-python-c-abi", publish, a, finish)
client.close()
