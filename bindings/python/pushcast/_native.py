"""ctypes declarations of include/pushcast.h, and where libpushcast is found.

The library is looked up, in order: the one bundled in the package (pushcast/libpushcast.so,
what an installed wheel carries: scripts/build-wheel), $PUSHCAST_LIB (a path), the repository's
target/release and target/debug (for a checkout), then the system's library path (an installed
libpushcast). `library_path` is what was loaded: a path, or the system's name for it.
"""

import ctypes
import ctypes.util
import os
from pathlib import Path

c_char_p = ctypes.c_char_p
c_size_t = ctypes.c_size_t
c_uint64 = ctypes.c_uint64
c_uint32 = ctypes.c_uint32


BUNDLED = Path(__file__).resolve().with_name("libpushcast.so")


def _find_library():
    if BUNDLED.is_file():
        return str(BUNDLED)
    explicit = os.environ.get("PUSHCAST_LIB")
    if explicit:
        return explicit
    repo = Path(__file__).resolve().parents[3]
    for profile in ("release", "debug"):
        candidate = repo / "target" / profile / "libpushcast.so"
        if candidate.exists():
            return str(candidate)
    found = ctypes.util.find_library("pushcast")
    if found:
        return found
    raise OSError(
        "libpushcast not found: set PUSHCAST_LIB, build it (cargo build -p pushcast), "
        "or install it (scripts/install-c)"
    )


library_path = _find_library()
lib = ctypes.CDLL(library_path)


class Event(ctypes.Structure):
    """pushcast_event. `data` is `const uint8_t *` in C, declared c_char_p here: ctypes then
    points it at a bytes object in place (no copy; the struct keeps the object alive), and
    `data_len` says where it ends, NUL bytes included."""

    _fields_ = [
        ("channels", ctypes.POINTER(c_char_p)),
        ("channels_len", c_size_t),
        ("name", c_char_p),
        ("data", c_char_p),
        ("data_len", c_size_t),
        ("socket_id", c_char_p),
    ]


class Header(ctypes.Structure):
    """pushcast_header."""

    _fields_ = [("name", c_char_p), ("value", c_char_p)]


def _declare(name, argtypes, restype=c_uint32):
    fn = getattr(lib, name)
    fn.argtypes = argtypes
    fn.restype = restype
    return fn


P = ctypes.c_void_p
OUT_P = ctypes.POINTER(ctypes.c_void_p)
OUT_STR = ctypes.POINTER(ctypes.c_void_p)  # char **, read as an address to free later

version = _declare("pushcast_version", [], c_char_p)
error_last = _declare("pushcast_error_last", [], P)
error_code = _declare("pushcast_error_code", [P], c_uint32)
error_http_status = _declare("pushcast_error_http_status", [P], ctypes.c_uint16)
error_message = _declare("pushcast_error_message", [P], c_char_p)
error_free = _declare("pushcast_error_free", [P], None)
string_free = _declare("pushcast_string_free", [P], None)
result_name = _declare("pushcast_result_name", [c_uint32], c_char_p)
result_count = _declare("pushcast_result_count", [], c_size_t)
result_code_at = _declare("pushcast_result_code_at", [c_size_t], c_uint32)


def result_codes():
    """Every result code the loaded library assigns, as {name: number}, ascending: read from the
    library itself, so this binding copies no number of include/pushcast.h."""
    codes = {}
    for index in range(result_count()):
        code = result_code_at(index)
        codes[result_name(code).decode("ascii")] = code
    return codes



def counter_names():
    """The client's counter names, in the library's order, read from the library itself
    (pushcast_stats_counter_count/_name): this binding copies none of them."""
    return [stats_counter_name(i).decode("ascii") for i in range(stats_counter_count())]


app_new = _declare("pushcast_app_new", [c_char_p, c_char_p, c_char_p, OUT_P])
app_set_profile = _declare("pushcast_app_set_profile", [P, c_char_p])
app_set_limit = _declare("pushcast_app_set_limit", [P, c_char_p, c_size_t])
app_set_master_key = _declare("pushcast_app_set_master_key_base64", [P, c_char_p])
app_free = _declare("pushcast_app_free", [P], None)
app_authorize_channel = _declare("pushcast_app_authorize_channel", [P, c_char_p, c_char_p, c_char_p, OUT_STR])
app_authorize_presence = _declare(
    "pushcast_app_authorize_presence_channel", [P, c_char_p, c_char_p, c_char_p, c_char_p, OUT_STR]
)
app_authenticate_user = _declare("pushcast_app_authenticate_user", [P, c_char_p, c_char_p, OUT_STR])
app_verify_webhook = _declare(
    "pushcast_app_verify_webhook",
    [P, ctypes.POINTER(Header), c_size_t, ctypes.c_char_p, c_size_t, c_uint64, OUT_STR],
)

config_new = _declare("pushcast_config_new", [P, c_char_p, OUT_P])
config_add_endpoint = _declare("pushcast_config_add_endpoint", [P, c_char_p])
config_set = _declare("pushcast_config_set", [P, c_char_p, c_char_p])
config_set_queue = _declare("pushcast_config_set_queue", [P, c_size_t, c_uint32, c_uint64, c_size_t])
config_set_timeouts = _declare("pushcast_config_set_timeouts", [P, c_uint64, c_uint64, c_uint64, c_uint64])
config_set_tls = _declare("pushcast_config_set_tls", [P, c_char_p, ctypes.c_bool])
config_set_spool = _declare("pushcast_config_set_spool", [P, c_char_p, c_uint32, c_uint64, c_uint64, c_uint64])
config_free = _declare("pushcast_config_free", [P], None)

client_new = _declare("pushcast_client_new", [P, OUT_P])
client_free = _declare("pushcast_client_free", [P], None)
client_publish = _declare("pushcast_client_publish", [P, ctypes.POINTER(Event), ctypes.POINTER(c_uint32)])
client_publish_batch = _declare(
    "pushcast_client_publish_batch", [P, ctypes.POINTER(Event), c_size_t, ctypes.POINTER(c_uint32)]
)
client_send_to_user = _declare("pushcast_client_send_to_user", [P, c_char_p, c_char_p, c_char_p])
client_flush = _declare("pushcast_client_flush", [P, c_uint64, ctypes.POINTER(c_uint64)])
client_shutdown = _declare("pushcast_client_shutdown", [P, c_uint64, ctypes.POINTER(c_uint64)])
client_stats_json = _declare("pushcast_client_stats_json", [P, OUT_STR])
client_stat = _declare("pushcast_client_stat", [P, c_char_p, ctypes.POINTER(c_uint64)])
stats_counter_count = _declare("pushcast_stats_counter_count", [], c_size_t)
stats_counter_name = _declare("pushcast_stats_counter_name", [c_size_t], c_char_p)
# void (*pushcast_log_callback)(pushcast_log_level, const char *message, void *user_data)
LOG_CALLBACK = ctypes.CFUNCTYPE(None, c_uint32, c_char_p, ctypes.c_void_p)
set_log_callback = _declare("pushcast_set_log_callback", [LOG_CALLBACK, ctypes.c_void_p])
LOG_LEVEL_ERROR = 3  # PUSHCAST_LOG_LEVEL_ERROR (syslog LOG_ERR)
client_metrics = _declare("pushcast_client_metrics", [P, OUT_STR])
config_add_conflate_rule = _declare(
    "pushcast_config_add_conflate_rule", [P, c_char_p, c_char_p, c_char_p, c_uint64]
)
client_drain_failures = _declare("pushcast_client_drain_failures", [P, OUT_STR])
client_channels = _declare("pushcast_client_channels", [P, c_char_p, c_char_p, OUT_STR])
client_channel_info = _declare("pushcast_client_channel_info", [P, c_char_p, c_char_p, OUT_STR])
client_presence_users = _declare("pushcast_client_presence_users", [P, c_char_p, OUT_STR])
client_terminate = _declare("pushcast_client_terminate_user_connections", [P, c_char_p])

# The message builder (pushcast_message_*): one event with the options the pushcast_event
# struct lacks, such as the trigger `info` attribute list.
message_new = _declare("pushcast_message_new", [c_char_p, OUT_P])
message_add_channel = _declare("pushcast_message_add_channel", [P, c_char_p])
message_set_data = _declare("pushcast_message_set_data", [P, c_char_p, c_size_t])
message_set_socket_id = _declare("pushcast_message_set_socket_id", [P, c_char_p])
message_set_info = _declare("pushcast_message_set_info", [P, c_char_p])
message_set_correlation_id = _declare("pushcast_message_set_correlation_id", [P, c_uint64])
message_free = _declare("pushcast_message_free", [P], None)
client_publish_message = _declare("pushcast_client_publish_message", [P, P, ctypes.POINTER(c_uint32)])
client_publish_message_confirmed = _declare(
    "pushcast_client_publish_message_confirmed", [P, P, c_uint64, OUT_STR]
)
