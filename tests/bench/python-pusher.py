"""pusher-http-python (PyPI `pusher`) in scripts/bench-all: one blocking, signed HTTP POST per
event, as its users call it."""

import sys
from urllib.parse import urlparse

import pusher

sys.path.insert(0, __import__("os").path.dirname(__file__))
import common  # noqa: E402

a = common.args()
url = urlparse(a.url)
client = pusher.Pusher(
    app_id=common.APP_ID, key=common.KEY, secret=common.SECRET,
    host=url.hostname, port=url.port, ssl=url.scheme == "https",
)
acknowledged = 0


def publish(channel, data):
    global acknowledged
    client.trigger(channel, "Tick", data)
    acknowledged += 1


common.run("pusher-http-python", publish, a, lambda: {"acknowledged": acknowledged})
