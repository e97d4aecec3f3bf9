/*
 * C tests of libpushcast, through include/pushcast.h only.
 *
 * Run by scripts/test-c (which starts a real sockudo and a pusher-js subscriber) under
 * AddressSanitizer + UndefinedBehaviorSanitizer, valgrind, and ThreadSanitizer.
 * Usage: test_pushcast ENDPOINT_URL [TEST_NAME]
 * Prints one line per test and, last, "c tests=N failed=F".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pushcast.h"

/* The counters these tests read, each by name through pushcast_client_stat() (the library has
 * no fixed stats struct: counters are named, so new ones need no ABI change). */
typedef struct {
    uint64_t enqueued, delivered, failed, rejected_queue_full, requests_sent;
} test_stats;

static pushcast_result read_stats(const pushcast_client *client, test_stats *s) {
    static const char *const names[] = {"enqueued", "delivered", "failed", "rejected_queue_full", "requests_sent"};
    uint64_t *const fields[] = {&s->enqueued, &s->delivered, &s->failed, &s->rejected_queue_full, &s->requests_sent};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        pushcast_result r = pushcast_client_stat(client, names[i], fields[i]);
        if (r != PUSHCAST_RESULT_OK) {
            return r;
        }
    }
    return PUSHCAST_RESULT_OK;
}

static int failures_in_test;
static const char *endpoint;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "  CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            failures_in_test++;                                                       \
        }                                                                             \
    } while (0)

#define CHECK_RESULT(call, expected)                                                   \
    do {                                                                               \
        pushcast_result got_ = (call);                                                 \
        if (got_ != (expected)) {                                                      \
            pushcast_error *e_ = pushcast_error_last();                                \
            fprintf(stderr, "  %s:%d: %s gave %u, expected %u (%s)\n", __FILE__, __LINE__, \
                    #call, (unsigned)got_, (unsigned)(expected), pushcast_error_message(e_)); \
            pushcast_error_free(e_);                                                   \
            failures_in_test++;                                                        \
        }                                                                              \
    } while (0)

#define OK(call) CHECK_RESULT(call, PUSHCAST_RESULT_OK)

/* A call that must fail with `expected` and leave an error object whose message holds both
 * `word1` and `word2` (the argument's name, and what it accepts). */
#define CHECK_REFUSED(call, expected, word1, word2)                                            \
    do {                                                                                       \
        pushcast_result got_ = (call);                                                         \
        pushcast_error *e_ = pushcast_error_last();                                            \
        const char *m_ = pushcast_error_message(e_);                                           \
        if (got_ != (expected) || e_ == NULL || pushcast_error_code(e_) != (expected) ||       \
            strstr(m_, (word1)) == NULL || strstr(m_, (word2)) == NULL) {                      \
            fprintf(stderr, "  %s:%d: %s gave %u (%s), expected %u naming %s and %s\n",       \
                    __FILE__, __LINE__, #call, (unsigned)got_, m_, (unsigned)(expected),       \
                    (word1), (word2));                                                         \
            failures_in_test++;                                                                \
        }                                                                                      \
        pushcast_error_free(e_);                                                               \
    } while (0)

static pushcast_app *test_app(const char *secret) {
    pushcast_app *app = NULL;
    OK(pushcast_app_new("12345", "app-key", secret, &app));
    OK(pushcast_app_set_profile(app, "sockudo"));
    OK(pushcast_app_set_limit(app, "max_events_per_batch", 100));
    OK(pushcast_app_set_limit(app, "max_channel_name_len", 200));
    return app;
}

static pushcast_client *test_client(const char *url, size_t capacity, pushcast_backpressure policy) {
    pushcast_app *app = test_app("app-secret");
    pushcast_config *config = NULL;
    pushcast_client *client = NULL;
    OK(pushcast_config_new(app, url, &config));
    OK(pushcast_config_set_queue(config, capacity, policy, 100, 4));
    OK(pushcast_client_new(config, &client));
    pushcast_config_free(config);
    pushcast_app_free(app);
    return client;
}

static pushcast_result publish_one(pushcast_client *client, const char *channel, const char *name,
                                   const char *data) {
    const char *channels[1];
    pushcast_event event;
    channels[0] = channel;
    memset(&event, 0, sizeof event);
    event.channels = channels;
    event.channels_len = 1;
    event.name = name;
    event.data = (const uint8_t *)data;
    event.data_len = strlen(data);
    return pushcast_client_publish(client, &event, NULL);
}

static void test_version(void) {
    const char *v = pushcast_version();
    CHECK(v != NULL && strlen(v) > 0);
}

/* The codes listed at run time are the header's constants, ascending, each with its name
 * (the constant without PUSHCAST_RESULT_); any other number is named "UNKNOWN". */
static void test_result_names(void) {
    static const struct {
        uint32_t code;
        const char *name;
    } some[] = {
        {PUSHCAST_RESULT_OK, "OK"},
        {PUSHCAST_RESULT_PANIC, "PANIC"},
        {PUSHCAST_RESULT_UNKNOWN, "UNKNOWN"},
        {PUSHCAST_RESULT_UNKNOWN_STAT, "UNKNOWN_STAT"},
        {PUSHCAST_RESULT_INVALID_CHANNEL, "INVALID_CHANNEL"},
        {PUSHCAST_RESULT_INVALID_CONFIG, "INVALID_CONFIG"},
        {PUSHCAST_RESULT_DECRYPTION_FAILED, "DECRYPTION_FAILED"},
        {PUSHCAST_RESULT_API_ERROR, "API_ERROR"},
        {PUSHCAST_RESULT_QUEUE_FULL, "QUEUE_FULL"},
        {PUSHCAST_RESULT_CIRCUIT_OPEN, "CIRCUIT_OPEN"},
        {PUSHCAST_RESULT_ENGINE_FAILED, "ENGINE_FAILED"},
        {PUSHCAST_RESULT_INTERNAL, "INTERNAL"},
    };
    static const uint32_t unassigned[] = {6, 999, 1014, 5009, UINT32_MAX};
    size_t count = pushcast_result_count(), i, found = 0;
    uint32_t previous = 0;
    CHECK(count >= 35);
    for (i = 0; i < count; i++) {
        uint32_t code = pushcast_result_code_at(i);
        const char *name = pushcast_result_name(code);
        CHECK(i == 0 ? code == PUSHCAST_RESULT_OK : code > previous);
        CHECK(name != NULL && strlen(name) > 0);
        CHECK(code == PUSHCAST_RESULT_UNKNOWN || strcmp(name, "UNKNOWN") != 0);
        previous = code;
    }
    CHECK(pushcast_result_code_at(count) == UINT32_MAX);
    CHECK(pushcast_result_code_at(SIZE_MAX) == UINT32_MAX);
    for (i = 0; i < sizeof some / sizeof some[0]; i++) {
        size_t j;
        CHECK(strcmp(pushcast_result_name(some[i].code), some[i].name) == 0);
        for (j = 0; j < count; j++) {
            found += pushcast_result_code_at(j) == some[i].code;
        }
    }
    CHECK(found == sizeof some / sizeof some[0]);
    for (i = 0; i < sizeof unassigned / sizeof unassigned[0]; i++) {
        CHECK(strcmp(pushcast_result_name(unassigned[i]), "UNKNOWN") == 0);
    }
}

static void test_null_arguments(void) {
    pushcast_app *app = test_app("app-secret");
    pushcast_app *app_out = (pushcast_app *)0x1;
    pushcast_config *config = NULL;
    pushcast_client *client = NULL;
    char *json = (char *)0x1;
    pushcast_event event;
    pushcast_error *error;

    CHECK_RESULT(pushcast_app_new(NULL, "k", "s", &app_out), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK(app_out == (pushcast_app *)0x1); /* out-parameters are written only on success */
    CHECK_RESULT(pushcast_app_new("1", NULL, "s", &app_out), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_new("1", "k", NULL, &app_out), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_new("1", "k", "s", NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_set_profile(NULL, "pusher"), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_set_profile(app, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_set_limit(NULL, "max_body_bytes", 1), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_set_master_key_base64(app, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_authorize_channel(NULL, "1.1", "private-a", NULL, &json), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_authorize_channel(app, NULL, "private-a", NULL, &json), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_authorize_channel(app, "1.1", NULL, NULL, &json), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_authorize_channel(app, "1.1", "private-a", NULL, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_authorize_presence_channel(app, "1.1", "presence-a", NULL, NULL, &json), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_authenticate_user(app, "1.1", NULL, &json), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_verify_webhook(app, NULL, 1, (const uint8_t *)"{}", 2, 0, &json), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_app_verify_webhook(app, NULL, 0, NULL, 5, 0, &json), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK(json == (char *)0x1);
    CHECK_RESULT(pushcast_config_new(NULL, "http://127.0.0.1:1", &config), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_config_new(app, NULL, &config), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_config_add_endpoint(NULL, "http://x"), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_config_set_queue(NULL, 1, PUSHCAST_BACKPRESSURE_FAIL_FAST, 0, 1), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_config_set_timeouts(NULL, 1, 1, 1, 1), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_config_set_tls(NULL, NULL, false), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_new(NULL, &client), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK(client == NULL);

    memset(&event, 0, sizeof event);
    CHECK_RESULT(pushcast_client_publish(NULL, &event, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    OK(pushcast_config_new(app, "http://127.0.0.1:1", &config));
    OK(pushcast_client_new(config, &client));
    CHECK_RESULT(pushcast_client_publish(client, NULL, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    event.channels_len = 1; /* channels NULL with a length */
    event.name = "e";
    CHECK_RESULT(pushcast_client_publish(client, &event, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_publish_batch(client, NULL, 2, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_publish_confirmed(client, NULL, 10), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_send_to_user(client, NULL, "e", "{}"), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_flush(NULL, 1, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_shutdown(NULL, 1, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_drain_failures(client, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_channels(client, NULL, NULL, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_channel_info(client, NULL, NULL, &json), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_presence_users(client, NULL, &json), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_terminate_user_connections(client, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);

    error = pushcast_error_last();
    CHECK(error != NULL);
    CHECK(pushcast_error_code(error) == PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK(strstr(pushcast_error_message(error), "user_id") != NULL);
    pushcast_error_free(error);
    CHECK(pushcast_error_last() == NULL); /* taking it clears it */
    CHECK(pushcast_error_code(NULL) == PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK(pushcast_error_http_status(NULL) == 0);
    CHECK(strcmp(pushcast_error_message(NULL), "") == 0);

    /* Every _free accepts NULL. */
    pushcast_app_free(NULL);
    pushcast_config_free(NULL);
    pushcast_client_free(NULL);
    pushcast_error_free(NULL);
    pushcast_string_free(NULL);

    pushcast_client_free(client);
    pushcast_config_free(config);
    pushcast_app_free(app);
}

static void test_bad_utf8(void) {
    pushcast_app *app = NULL;
    pushcast_client *client;
    const char bad[] = {'k', (char)0xff, (char)0xfe, 0};
    CHECK_RESULT(pushcast_app_new("1", bad, "s", &app), PUSHCAST_RESULT_INVALID_UTF8);
    CHECK(app == NULL);
    client = test_client("http://127.0.0.1:1", 10, PUSHCAST_BACKPRESSURE_FAIL_FAST);
    CHECK_RESULT(publish_one(client, "c", bad, "{}"), PUSHCAST_RESULT_INVALID_UTF8);
    CHECK_RESULT(publish_one(client, "c", "e", bad), PUSHCAST_RESULT_INVALID_UTF8);
    pushcast_client_free(client);
}

static void test_invalid_input_is_typed(void) {
    pushcast_client *client = test_client("http://127.0.0.1:1", 10, PUSHCAST_BACKPRESSURE_FAIL_FAST);
    pushcast_error *error;
    test_stats stats;
    pushcast_app *app = NULL;
    pushcast_config *config = NULL;

    CHECK_RESULT(publish_one(client, "bad channel", "e", "{}"), PUSHCAST_RESULT_INVALID_CHANNEL);
    error = pushcast_error_last();
    CHECK(strstr(pushcast_error_message(error), "bad channel") != NULL);
    CHECK(pushcast_error_http_status(error) == 0);
    pushcast_error_free(error);
    CHECK_RESULT(publish_one(client, "c", "pusher:internal", "{}"), PUSHCAST_RESULT_INVALID_EVENT_NAME);
    CHECK_RESULT(publish_one(client, "private-encrypted-x", "e", "{}"), PUSHCAST_RESULT_MISSING_MASTER_KEY);
    OK(read_stats(client, &stats));
    CHECK(stats.enqueued == 0 && stats.requests_sent == 0); /* nothing reached the network */

    OK(pushcast_app_new("1", "k", "s", &app));
    CHECK_RESULT(pushcast_app_set_profile(app, "nope"), PUSHCAST_RESULT_INVALID_CONFIG);
    CHECK_RESULT(pushcast_app_set_master_key_base64(app, "c2hvcnQ="), PUSHCAST_RESULT_INVALID_CONFIG);
    CHECK_RESULT(pushcast_config_new(app, "ftp://x", &config), PUSHCAST_RESULT_OK);
    CHECK_RESULT(pushcast_client_new(config, &client), PUSHCAST_RESULT_INVALID_CONFIG);
    pushcast_config_free(config);
    pushcast_app_free(app);
    pushcast_client_free(client);
}

static void test_auth_and_webhooks(void) {
    pushcast_app *app = NULL;
    char *json = NULL;
    pushcast_header headers[2];
    const char *body = "{\"time_ms\":1,\"events\":[{\"name\":\"channel_occupied\",\"channel\":\"x\"}]}";
    /* Golden vectors from shared/protocol.md. */
    OK(pushcast_app_new("1", "thisisaauthkey", "thisisasecret", &app));
    OK(pushcast_app_authorize_channel(app, "1.1", "testing_pusher-php", NULL, &json));
    CHECK(json && strstr(json, "751ccc12aeaa79d46f7c199bced5fa47527d3480b51fe61a0bd10438241bd52d"));
    pushcast_string_free(json);
    OK(pushcast_app_authorize_channel(app, "45055.28877557", "-azAZ9_=@,.;", "{\"user_id\": \"123\"}", &json));
    CHECK(json && strstr(json, "3b3f1dcc4d7d2f95dd10ed05562397b3287b102d4cccfacbf30eed2f1ffa3d69"));
    pushcast_string_free(json);
    OK(pushcast_app_authenticate_user(app, "12345.6789", "{\"id\":\"123\"}", &json));
    CHECK(json && strstr(json, "fc713f433deb729d0d96f9e26ef054285cbc3e833ebe840b93722a2fa16a6a18"));
    pushcast_string_free(json);
    OK(pushcast_app_authorize_presence_channel(app, "1.2", "presence-chat", "7", "{\"name\":\"Ada\"}", &json));
    CHECK(json && strstr(json, "\"channel_data\":\"{\\\"user_id\\\":\\\"7\\\",\\\"user_info\\\":{\\\"name\\\":\\\"Ada\\\"}}\""));
    pushcast_string_free(json);
    OK(pushcast_app_set_master_key_base64(app, "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="));
    OK(pushcast_app_authorize_channel(app, "1.1", "private-encrypted-channel-a", NULL, &json));
    CHECK(json && strstr(json, "Rp+wpkNpL89qhqco1JkIG31AVXyU8PUVJBr1B2MvdoA="));
    pushcast_string_free(json);

    /* Webhook: HMAC-SHA256("thisisasecret", body), computed by the library itself through auth
     * would be circular; so check a tampered body is rejected and a wrong key too. */
    headers[0].name = "x-pusher-key";
    headers[0].value = "thisisaauthkey";
    headers[1].name = "X-Pusher-Signature";
    headers[1].value = "0000000000000000000000000000000000000000000000000000000000000000";
    json = NULL;
    CHECK_RESULT(pushcast_app_verify_webhook(app, headers, 2, (const uint8_t *)body, strlen(body), 0, &json),
                 PUSHCAST_RESULT_WEBHOOK_REJECTED);
    CHECK(json == NULL);
    headers[1].value = "zz";
    CHECK_RESULT(pushcast_app_verify_webhook(app, headers, 2, (const uint8_t *)body, strlen(body), 0, &json),
                 PUSHCAST_RESULT_WEBHOOK_REJECTED);
    pushcast_app_free(app);
}

static void test_webhook_accepts_a_good_signature(void) {
    /* Signature of the body below under secret "thisisasecret", from Python's hmac module:
     * python3 -c 'import hmac,hashlib;print(hmac.new(b"thisisasecret",b"{\"time_ms\":1,\"events\":[]}",hashlib.sha256).hexdigest())' */
    const char *body = "{\"time_ms\":1,\"events\":[]}";
    pushcast_app *app = NULL;
    pushcast_header headers[2];
    char *json = NULL;
    OK(pushcast_app_new("1", "thisisaauthkey", "thisisasecret", &app));
    headers[0].name = "X-Pusher-Key";
    headers[0].value = "thisisaauthkey";
    headers[1].name = "X-Pusher-Signature";
    headers[1].value = getenv("PUSHCAST_TEST_WEBHOOK_SIGNATURE");
    CHECK(headers[1].value != NULL);
    if (headers[1].value) {
        OK(pushcast_app_verify_webhook(app, headers, 2, (const uint8_t *)body, strlen(body), 0, &json));
        CHECK(json && strstr(json, "\"time_ms\":1"));
        pushcast_string_free(json);
        /* A year-old webhook fails the freshness window. */
        CHECK_RESULT(pushcast_app_verify_webhook(app, headers, 2, (const uint8_t *)body, strlen(body), 300000, &json),
                     PUSHCAST_RESULT_WEBHOOK_REJECTED);
    }
    pushcast_app_free(app);
}

static void test_queue_full(void) {
    /* Port 1 refuses connections: events stay pending, retrying, until shutdown. */
    pushcast_client *client = test_client("http://127.0.0.1:1", 2, PUSHCAST_BACKPRESSURE_FAIL_FAST);
    test_stats stats;
    uint64_t abandoned = 0;
    char *failures = NULL;
    OK(publish_one(client, "q", "e", "{}"));
    OK(publish_one(client, "q", "e", "{}"));
    CHECK_RESULT(publish_one(client, "q", "e", "{}"), PUSHCAST_RESULT_QUEUE_FULL);
    OK(read_stats(client, &stats));
    CHECK(stats.rejected_queue_full == 1 && stats.enqueued == 2);
    OK(pushcast_client_drain_failures(client, &failures));
    CHECK(failures && strcmp(failures, "[]") == 0);
    pushcast_string_free(failures);
    OK(pushcast_client_shutdown(client, 100, &abandoned));
    CHECK(abandoned == 2);
    OK(read_stats(client, &stats)); /* engine gone: zeros */
    CHECK(stats.enqueued == 0);
    pushcast_client_free(client);
}

/* The counter names in a stats JSON document's "counters" object, in order, as one string
 * "a,b,c," (the object holds names and plain integers only). NULL if there is none. */
static char *json_counter_names(const char *json) {
    const char *p = json ? strstr(json, "\"counters\":{") : NULL;
    char *names;
    size_t len = 0;
    if (p == NULL) {
        return NULL;
    }
    names = calloc(strlen(p) + 1, 1);
    if (names == NULL) {
        return NULL;
    }
    p += strlen("\"counters\":{");
    while (*p == '"') {
        const char *end = strchr(p + 1, '"');
        if (end == NULL) {
            break;
        }
        memcpy(names + len, p + 1, (size_t)(end - p - 1));
        len += (size_t)(end - p - 1);
        names[len++] = ',';
        p = end + 1;
        while (*p != '\0' && *p != ',' && *p != '}') {
            p++;
        }
        if (*p == ',') {
            p++;
        }
    }
    return names;
}

/* The library's own counter list (pushcast_stats_counter_name), as "a,b,c,". */
static char *listed_counter_names(void) {
    size_t i, count = pushcast_stats_counter_count(), len = 0;
    char *names = calloc(count * 64 + 1, 1);
    if (names == NULL) {
        return NULL;
    }
    for (i = 0; i < count; i++) {
        const char *name = pushcast_stats_counter_name(i);
        if (name == NULL || strlen(name) >= 63) {
            free(names);
            return NULL;
        }
        memcpy(names + len, name, strlen(name));
        len += strlen(name);
        names[len++] = ',';
    }
    return names;
}

/* Issue 17's check for C: the counters the JSON reports are exactly the client's own list
 * (StatsSnapshot::counters, through pushcast_stats_counter_name), each readable by name; the
 * JSON carries the latencies, the last error and each endpoint's circuit. */
static void test_stats_names(void) {
    pushcast_client *client = test_client("http://127.0.0.1:1", 10, PUSHCAST_BACKPRESSURE_FAIL_FAST);
    char *json = NULL, *from_json, *listed;
    uint64_t value = 99;
    size_t i;
    CHECK(pushcast_stats_counter_count() >= 26);
    CHECK(pushcast_stats_counter_name(pushcast_stats_counter_count()) == NULL);
    OK(pushcast_client_stats_json(client, &json));
    from_json = json_counter_names(json);
    listed = listed_counter_names();
    CHECK(from_json != NULL && listed != NULL && strcmp(from_json, listed) == 0);
    if (from_json && listed && strcmp(from_json, listed) != 0) {
        fprintf(stderr, "  JSON counters: %s\n  library list:  %s\n", from_json, listed);
    }
    CHECK(json && strstr(json, "\"latency_p50_us\":null") && strstr(json, "\"last_error\":null"));
    CHECK(json && strstr(json, "\"circuits\":[{\"endpoint\":\"http://127.0.0.1:1\",\"state\":\"closed\"}]"));
    for (i = 0; i < pushcast_stats_counter_count(); i++) {
        value = 99;
        OK(pushcast_client_stat(client, pushcast_stats_counter_name(i), &value));
        CHECK(value == 0);
    }
    value = 7;
    CHECK_REFUSED(pushcast_client_stat(client, "no_such_counter", &value), PUSHCAST_RESULT_UNKNOWN_STAT,
                  "no_such_counter", "statistic");
    CHECK(value == 7);
    CHECK(strcmp(pushcast_result_name(PUSHCAST_RESULT_UNKNOWN_STAT), "UNKNOWN_STAT") == 0);
    CHECK_RESULT(pushcast_client_stat(client, NULL, &value), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_stat(client, "delivered", NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_stat(NULL, "delivered", &value), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_stats_json(client, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_stats_json(NULL, &json), PUSHCAST_RESULT_NULL_ARGUMENT);

    /* Counters move: a queue-full refusal shows in the JSON and by name. */
    OK(pushcast_client_shutdown(client, 0, NULL));
    pushcast_client_free(client);
    client = test_client("http://127.0.0.1:1", 1, PUSHCAST_BACKPRESSURE_FAIL_FAST);
    OK(publish_one(client, "q", "e", "{}"));
    CHECK_RESULT(publish_one(client, "q", "e", "{}"), PUSHCAST_RESULT_QUEUE_FULL);
    OK(pushcast_client_stat(client, "rejected_queue_full", &value));
    CHECK(value == 1);
    pushcast_string_free(json);
    json = NULL;
    OK(pushcast_client_stats_json(client, &json));
    CHECK(json && strstr(json, "\"rejected_queue_full\":1,") && strstr(json, "\"enqueued\":1,"));
    OK(pushcast_client_shutdown(client, 0, NULL));
    pushcast_client_free(client);
    pushcast_string_free(json);
    free(from_json);
    free(listed);
}

/* What the log callback collected, under its own lock (engine threads call it). */
struct log_seen {
    pthread_mutex_t lock;
    int warnings_about_certificates;
    int other_levels;
};

static void collect_log(pushcast_log_level level, const char *message, void *user_data) {
    struct log_seen *seen = user_data;
    pthread_mutex_lock(&seen->lock);
    if (level == PUSHCAST_LOG_LEVEL_WARNING && strstr(message, "certificate") != NULL) {
        seen->warnings_about_certificates++;
    } else if (level != PUSHCAST_LOG_LEVEL_WARNING && level != PUSHCAST_LOG_LEVEL_ERROR) {
        seen->other_levels++;
    }
    pthread_mutex_unlock(&seen->lock);
}

static int certificate_warnings(struct log_seen *seen) {
    int n;
    pthread_mutex_lock(&seen->lock);
    n = seen->warnings_about_certificates;
    pthread_mutex_unlock(&seen->lock);
    return n;
}

/* A library message (certificate checks off, said by the engine's thread when it starts) goes
 * to the callback with its level and user data instead of standard error, and stops when the
 * callback is removed. */
static void test_log_callback(void) {
    static struct log_seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
    pushcast_app *app = test_app("app-secret");
    pushcast_config *config = NULL;
    pushcast_client *client = NULL;
    int tries, before;
    OK(pushcast_set_log_callback(collect_log, &seen));
    OK(pushcast_config_new(app, "https://127.0.0.1:1", &config));
    OK(pushcast_config_set_timeouts(config, 100, 100, 100, 100));
    OK(pushcast_config_set_tls(config, NULL, true));
    OK(pushcast_client_new(config, &client));
    OK(publish_one(client, "log", "e", "{}"));
    for (tries = 0; tries < 1000 && certificate_warnings(&seen) == 0; tries++) {
        usleep(10000);
    }
    CHECK(certificate_warnings(&seen) == 1);
    pushcast_client_free(client);

    OK(pushcast_set_log_callback(NULL, NULL));
    before = certificate_warnings(&seen);
    OK(pushcast_client_new(config, &client));
    OK(publish_one(client, "log", "e", "{}"));
    pushcast_client_free(client); /* the engine has started and stopped: its warning is out */
    CHECK(certificate_warnings(&seen) == before);
    CHECK(seen.other_levels == 0);
    pushcast_config_free(config);
    pushcast_app_free(app);
}

/* Polls the metrics text until it holds `line` (a whole line), up to 10 s. */
static int metrics_reach(pushcast_client *client, const char *line) {
    int tries;
    for (tries = 0; tries < 1000; tries++) {
        char *text = NULL;
        int found;
        OK(pushcast_client_metrics(client, &text));
        found = text != NULL && strstr(text, line) != NULL;
        pushcast_string_free(text);
        if (found) {
            return 1;
        }
        usleep(10000);
    }
    fprintf(stderr, "  metrics never showed: %s", line);
    return 0;
}

static void test_breaker_conflation_and_metrics(void) {
    pushcast_app *app = test_app("app-secret");
    pushcast_config *config = NULL;
    pushcast_client *client = NULL;
    uint64_t pending = 99;
    /* A conflation rule needs an event or a channel pattern: refused when the client is built. */
    OK(pushcast_config_new(app, "http://127.0.0.1:1", &config));
    OK(pushcast_config_add_conflate_rule(config, NULL, NULL, "id", 1000));
    CHECK_RESULT(pushcast_client_new(config, &client), PUSHCAST_RESULT_INVALID_CONFIG);
    pushcast_config_free(config);

    /* Port 1 refuses connections: one failure opens the circuit for a minute, and the
     * fail-fast policy then refuses publishes with a typed result. */
    OK(pushcast_config_new(app, "http://127.0.0.1:1", &config));
    OK(pushcast_config_set_breaker(config, 1, 60000, 60000, PUSHCAST_BREAKER_POLICY_FAIL_FAST));
    OK(pushcast_config_add_conflate_rule(config, "Rooms*", NULL, "room", 1000));
    OK(pushcast_client_new(config, &client));
    pushcast_config_free(config);
    OK(publish_one(client, "rooms", "RoomsUpdated", "{\"room\":1}"));
    CHECK(metrics_reach(client, "\npushcast_breaker_opened_total 1\n"));
    CHECK_RESULT(publish_one(client, "rooms", "RoomsUpdated", "{\"room\":1}"),
                 PUSHCAST_RESULT_CIRCUIT_OPEN);
    CHECK(metrics_reach(client, "\npushcast_rejected_circuit_open_total 1\n"));
    CHECK(metrics_reach(client,
                        "\npushcast_circuit_state{endpoint=\"http://127.0.0.1:1\",state=\"open\"} 1\n"));
    {
        char *json = NULL;
        OK(pushcast_client_stats_json(client, &json));
        CHECK(json && strstr(json, "{\"endpoint\":\"http://127.0.0.1:1\",\"state\":\"open\"}"));
        CHECK(json && strstr(json, "\"breaker_opened\":1,") && strstr(json, "\"last_error\":\""));
        pushcast_string_free(json);
    }
    OK(pushcast_client_shutdown(client, 100, &pending));
    CHECK(pending == 1);
    pushcast_client_free(client);

    /* A real delivery shows in the counters and the latency histogram. */
    OK(pushcast_config_new(app, endpoint, &config));
    OK(pushcast_client_new(config, &client));
    pushcast_config_free(config);
    CHECK(metrics_reach(client, "\npushcast_enqueued_total 0\n"));
    OK(publish_one(client, "c-metrics", "e", "{}"));
    OK(pushcast_client_flush(client, 10000, &pending));
    CHECK(pending == 0);
    CHECK(metrics_reach(client, "\npushcast_delivered_total 1\n"));
    CHECK(metrics_reach(client, "\npushcast_publish_latency_seconds_count 1\n"));
    CHECK(metrics_reach(client, "# TYPE pushcast_publish_latency_seconds histogram\n"));
    CHECK_RESULT(pushcast_client_metrics(client, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    pushcast_client_free(client);
    pushcast_app_free(app);
}

/* The durable spool: events published while the server cannot be reached stay on disk when
 * the client goes away, and the next client on the same directory replays them. */
static void test_spool(void) {
    pushcast_app *app = test_app("app-secret");
    pushcast_config *config = NULL;
    pushcast_client *client = NULL;
    uint64_t pending = 99;
    char dir[] = "/tmp/pushcast-c-spool-XXXXXX";
    char file[64];
    FILE *f;
    int i;
    CHECK(mkdtemp(dir) != NULL);

    OK(pushcast_config_new(app, "http://127.0.0.1:1", &config));
    CHECK_RESULT(pushcast_config_set_spool(NULL, dir, PUSHCAST_SPOOL_SYNC_NONE, 0, 0, 0),
                 PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_config_set_spool(config, NULL, PUSHCAST_SPOOL_SYNC_NONE, 0, 0, 0),
                 PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_config_set_spool(config, dir, PUSHCAST_SPOOL_SYNC_INTERVAL, 0, 0, 0),
                 PUSHCAST_RESULT_INVALID_CONFIG);
    OK(pushcast_config_set_spool(config, dir, PUSHCAST_SPOOL_SYNC_INTERVAL, 20, 0, 0));
    OK(pushcast_client_new(config, &client));
    pushcast_config_free(config);
    for (i = 0; i < 50; i++) {
        OK(publish_one(client, "c-spool", "e", "{\"spooled\":true}"));
    }
    CHECK(metrics_reach(client, "\npushcast_spool_rows 50\n"));
    OK(pushcast_client_shutdown(client, 100, &pending));
    CHECK(pending == 50); /* left in the spool, not lost: the next client replays them */
    pushcast_client_free(client);

    OK(pushcast_config_new(app, endpoint, &config));
    OK(pushcast_config_set_spool(config, dir, PUSHCAST_SPOOL_SYNC_EVERY_EVENT, 0, 0, 0));
    OK(pushcast_client_new(config, &client));
    pushcast_config_free(config);
    OK(publish_one(client, "c-spool", "e", "{\"spooled\":false}"));
    OK(pushcast_client_flush(client, 20000, &pending));
    CHECK(pending == 0);
    CHECK(metrics_reach(client, "\npushcast_spool_replayed_total 50\n"));
    CHECK(metrics_reach(client, "\npushcast_delivered_total 51\n"));
    CHECK(metrics_reach(client, "\npushcast_spool_rows 0\n"));
    pushcast_client_free(client);

    /* A spool directory that is a file: a typed result at first use. */
    snprintf(file, sizeof file, "%s/file", dir);
    f = fopen(file, "w");
    CHECK(f != NULL);
    if (f != NULL) {
        fclose(f);
    }
    OK(pushcast_config_new(app, endpoint, &config));
    OK(pushcast_config_set_spool(config, file, PUSHCAST_SPOOL_SYNC_NONE, 0, 0, 0));
    OK(pushcast_client_new(config, &client));
    pushcast_config_free(config);
    CHECK_RESULT(publish_one(client, "c-spool", "e", "{}"), PUSHCAST_RESULT_SPOOL);
    pushcast_client_free(client);
    pushcast_app_free(app);
}

/* Whether a directory holds anything besides . and .. */
static int dir_is_empty(const char *path) {
    DIR *d = opendir(path);
    struct dirent *entry;
    int empty = 1;
    if (d == NULL) {
        return 0;
    }
    while ((entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
            empty = 0;
        }
    }
    closedir(d);
    return empty;
}

/* Enumerations cross the boundary as uint32_t: a value outside its enum is
 * PUSHCAST_RESULT_INVALID_CONFIG naming the argument and the accepted values (never undefined
 * behaviour), and the refused call leaves the config as it was; every value inside is taken. */
/* pushcast_config_set: settings by name as text, errors naming the key, nothing applied on a
 * refusal, the old Go spelling of a policy still taken. */
static void test_config_set(void) {
    pushcast_app *app = NULL;
    pushcast_config *config = NULL;
    pushcast_client *client = NULL;
    uint64_t pending = 99;
    OK(pushcast_app_new("1", "k", "s", &app));
    OK(pushcast_config_new(app, "http://127.0.0.1:1", &config));
    CHECK_RESULT(pushcast_config_set(NULL, "queue_capacity", "1"), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_config_set(config, NULL, "1"), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_config_set(config, "queue_capacity", NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_REFUSED(pushcast_config_set(config, "usetls", "1"), PUSHCAST_RESULT_INVALID_CONFIG,
                  "usetls", "queue_capacity");
    CHECK_REFUSED(pushcast_config_set(config, "queue_capacity", "-1"), PUSHCAST_RESULT_INVALID_CONFIG,
                  "queue_capacity", "whole number");
    CHECK_REFUSED(pushcast_config_set(config, "backpressure", "sometimes"), PUSHCAST_RESULT_INVALID_CONFIG,
                  "backpressure", "drop_oldest");
    CHECK_REFUSED(pushcast_config_set(config, "spool_sync", "none"), PUSHCAST_RESULT_INVALID_CONFIG,
                  "spool_sync", "spool");
    OK(pushcast_config_set(config, "block_timeout_ms", "5"));
    OK(pushcast_config_set(config, "backpressure", "fail-fast"));
    OK(pushcast_config_set(config, "backpressure", "block"));
    OK(pushcast_config_set(config, "queue_capacity", "1"));
    OK(pushcast_config_set(config, "shutdown_timeout_ms", "0"));
    OK(pushcast_client_new(config, &client));
    pushcast_config_free(config);
    OK(publish_one(client, "c-config-set", "e", "{}"));
    /* The queue holds one event and the block policy waits 5 ms for room, then refuses. */
    CHECK_RESULT(publish_one(client, "c-config-set", "e", "{}"), PUSHCAST_RESULT_QUEUE_FULL);
    OK(pushcast_client_shutdown(client, 0, &pending));
    pushcast_client_free(client);
    pushcast_app_free(app);
}

static void test_out_of_range_enums(void) {
    static const uint32_t values[] = {0, 1, 2, 3, 4, 5, 1000, 0x7fffffffu, 0x80000000u, UINT32_MAX};
    pushcast_app *app = test_app("app-secret");
    pushcast_config *config = NULL;
    pushcast_client *client = NULL;
    uint64_t pending = 99;
    char dir[] = "/tmp/pushcast-c-enums-XXXXXX";
    size_t i;
    CHECK(mkdtemp(dir) != NULL);

    OK(pushcast_config_new(app, "http://127.0.0.1:1", &config));
    OK(pushcast_config_set_timeouts(config, 50, 50, 200, 50));
    for (i = 0; i < sizeof values / sizeof values[0]; i++) {
        uint32_t v = values[i];
        /* Each refused call also carries a setting pushcast_client_new() would refuse (a zero
         * cool-down, a zero capacity) or a spool directory: none of it may be applied. */
        if (v > PUSHCAST_BREAKER_POLICY_SPOOL) {
            CHECK_REFUSED(pushcast_config_set_breaker(config, 1, 0, 0, v), PUSHCAST_RESULT_INVALID_CONFIG,
                          "policy", "PUSHCAST_BREAKER_POLICY_SPOOL");
        }
        if (v > PUSHCAST_SPOOL_SYNC_EVERY_EVENT) {
            CHECK_REFUSED(pushcast_config_set_spool(config, dir, v, 10, 1, 1), PUSHCAST_RESULT_INVALID_CONFIG,
                          "sync", "PUSHCAST_SPOOL_SYNC_EVERY_EVENT");
        }
        if (v > PUSHCAST_BACKPRESSURE_DROP_OLDEST) {
            CHECK_REFUSED(pushcast_config_set_queue(config, 0, v, 100, 0), PUSHCAST_RESULT_INVALID_CONFIG,
                          "policy", "PUSHCAST_BACKPRESSURE_DROP_OLDEST");
        }
    }
    OK(pushcast_client_new(config, &client));
    pushcast_config_free(config);
    OK(publish_one(client, "c-enums", "e", "{}"));
    OK(pushcast_client_shutdown(client, 0, &pending));
    CHECK(dir_is_empty(dir)); /* no spool was opened there */
    pushcast_client_free(client);

    /* Every value inside each enum is accepted. */
    for (i = 0; i < sizeof values / sizeof values[0]; i++) {
        uint32_t v = values[i];
        OK(pushcast_config_new(app, "http://127.0.0.1:1", &config));
        if (v <= PUSHCAST_BACKPRESSURE_DROP_OLDEST) {
            OK(pushcast_config_set_queue(config, 10, v, 100, 4));
        }
        if (v <= PUSHCAST_BREAKER_POLICY_SPOOL) {
            OK(pushcast_config_set_breaker(config, 1, 100, 100, v));
        }
        if (v <= PUSHCAST_SPOOL_SYNC_EVERY_EVENT) {
            OK(pushcast_config_set_spool(config, dir, v, 10, 0, 0));
        }
        OK(pushcast_client_new(config, &client));
        pushcast_config_free(config);
        pushcast_client_free(client);
    }
    rmdir(dir);
    pushcast_app_free(app);
}

/* Lengths larger than any object can be (over PTRDIFF_MAX bytes) are refused with a typed
 * result before any memory is read, and integer arguments at their extremes are taken. */
static void test_integer_extremes(void) {
    pushcast_app *app = test_app("app-secret");
    pushcast_config *config = NULL;
    pushcast_client *client = NULL;
    const char *channels[1] = {"c-extremes"};
    const char *body = "{\"time_ms\":1,\"events\":[]}";
    pushcast_header headers[2];
    pushcast_event event;
    char *json = NULL;
    uint64_t pending = 99;
    size_t huge[2];
    size_t i;
    huge[0] = SIZE_MAX;
    huge[1] = SIZE_MAX / 2 + 1;

    OK(pushcast_config_new(app, "http://127.0.0.1:1", &config));
    OK(pushcast_config_set_timeouts(config, UINT64_MAX, UINT64_MAX, 100, UINT64_MAX));
    OK(pushcast_config_set_breaker(config, UINT32_MAX, UINT64_MAX, UINT64_MAX, PUSHCAST_BREAKER_POLICY_QUEUE));
    OK(pushcast_config_add_conflate_rule(config, "e", NULL, NULL, UINT64_MAX));
    OK(pushcast_config_set_queue(config, SIZE_MAX, PUSHCAST_BACKPRESSURE_BLOCK, UINT64_MAX, 4));
    OK(pushcast_client_new(config, &client));
    pushcast_config_free(config);

    memset(&event, 0, sizeof event);
    event.channels = channels;
    event.channels_len = 1;
    event.name = "e";
    event.data = (const uint8_t *)"{}";
    for (i = 0; i < 2; i++) {
        event.data_len = huge[i];
        CHECK_REFUSED(pushcast_client_publish(client, &event, NULL), PUSHCAST_RESULT_PAYLOAD_TOO_LARGE,
                      "event.data_len", "larger than");
        event.data_len = 2;
        event.channels_len = huge[i];
        CHECK_REFUSED(pushcast_client_publish(client, &event, NULL), PUSHCAST_RESULT_TOO_MANY_CHANNELS,
                      "event.channels_len", "larger than");
        event.channels_len = 1;
        CHECK_REFUSED(pushcast_client_publish_batch(client, &event, huge[i], NULL), PUSHCAST_RESULT_TOO_MANY_EVENTS,
                      "events_len", "larger than");
    }
    /* Extreme timeouts: nothing pending, so these return at once. */
    OK(pushcast_client_flush(client, UINT64_MAX, &pending));
    CHECK(pending == 0);
    OK(pushcast_client_shutdown(client, UINT64_MAX, &pending));
    CHECK(pending == 0);
    /* The event fails (port 1 refuses, 100 ms delivery timeout) long before UINT64_MAX ms. */
    CHECK(pushcast_client_publish_confirmed(client, &event, UINT64_MAX) != PUSHCAST_RESULT_OK);
    OK(pushcast_client_shutdown(client, 0, &pending));
    pushcast_client_free(client);

    headers[0].name = "X-Pusher-Key";
    headers[0].value = "app-key";
    headers[1].name = "X-Pusher-Signature";
    headers[1].value = "00";
    for (i = 0; i < 2; i++) {
        CHECK_REFUSED(pushcast_app_verify_webhook(app, headers, huge[i], (const uint8_t *)body, strlen(body), 0, &json),
                      PUSHCAST_RESULT_WEBHOOK_REJECTED, "headers_len", "larger than");
        CHECK_REFUSED(pushcast_app_verify_webhook(app, headers, 2, (const uint8_t *)body, huge[i], 0, &json),
                      PUSHCAST_RESULT_WEBHOOK_REJECTED, "body_len", "larger than");
    }
    CHECK(json == NULL);
    CHECK_RESULT(pushcast_app_verify_webhook(app, headers, 2, (const uint8_t *)body, strlen(body), UINT64_MAX, &json),
                 PUSHCAST_RESULT_WEBHOOK_REJECTED);
    OK(pushcast_app_set_limit(app, "max_body_bytes", SIZE_MAX));
    pushcast_app_free(app);
}

/* A message built through functions: every new function refuses NULL, nothing is checked
 * until it is published, and publishing validates it exactly as a pushcast_event (typed
 * refusals, nothing queued); a message is copied when published, so it can be freed or reused. */
static void test_message_build(void) {
    pushcast_client *client = test_client("http://127.0.0.1:1", 10, PUSHCAST_BACKPRESSURE_FAIL_FAST);
    pushcast_message *message = (pushcast_message *)0x1;
    pushcast_accepted accepted = PUSHCAST_ACCEPTED_DROPPED;
    test_stats stats;
    char *json = (char *)0x1;
    uint64_t pending = 99;
    const char bad[] = {'c', (char)0xff, 0};

    CHECK_RESULT(pushcast_message_new(NULL, &message), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_message_new("e", NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK(message == (pushcast_message *)0x1);
    CHECK_RESULT(pushcast_message_new(bad, &message), PUSHCAST_RESULT_INVALID_UTF8);
    CHECK_RESULT(pushcast_message_add_channel(NULL, "c"), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_message_set_data(NULL, NULL, 0), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_message_set_socket_id(NULL, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_message_set_info(NULL, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_message_set_correlation_id(NULL, 1), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_publish_message(client, NULL, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_RESULT(pushcast_client_publish_message_confirmed(client, NULL, 10, &json), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK(json == (char *)0x1);
    pushcast_message_free(NULL);

    OK(pushcast_message_new("Built", &message));
    CHECK_RESULT(pushcast_client_publish_message(NULL, message, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_REFUSED(pushcast_client_publish_message(client, message, NULL), PUSHCAST_RESULT_NO_CHANNELS,
                  "channel", "channel");
    CHECK_RESULT(pushcast_message_add_channel(message, NULL), PUSHCAST_RESULT_NULL_ARGUMENT);
    OK(pushcast_message_add_channel(message, "bad channel"));
    CHECK_REFUSED(pushcast_client_publish_message(client, message, NULL), PUSHCAST_RESULT_INVALID_CHANNEL,
                  "bad channel", "channel");
    CHECK_RESULT(pushcast_client_publish_message_confirmed(client, message, 1000, &json),
                 PUSHCAST_RESULT_INVALID_CHANNEL);
    CHECK(json == (char *)0x1);
    pushcast_message_free(message);

    OK(pushcast_message_new("Built", &message));
    OK(pushcast_message_add_channel(message, "c-built-1"));
    OK(pushcast_message_add_channel(message, "c-built-1"));
    CHECK_RESULT(pushcast_client_publish_message(client, message, NULL), PUSHCAST_RESULT_DUPLICATE_CHANNEL);
    pushcast_message_free(message);

    OK(pushcast_message_new("Built", &message));
    OK(pushcast_message_add_channel(message, "c-built-1"));
    OK(pushcast_message_add_channel(message, "c-built-2"));
    CHECK_RESULT(pushcast_message_set_data(message, (const uint8_t *)bad, 2), PUSHCAST_RESULT_INVALID_UTF8);
    CHECK_RESULT(pushcast_message_set_data(message, NULL, 2), PUSHCAST_RESULT_NULL_ARGUMENT);
    CHECK_REFUSED(pushcast_message_set_data(message, (const uint8_t *)"{}", SIZE_MAX),
                  PUSHCAST_RESULT_PAYLOAD_TOO_LARGE, "data_len", "larger than");
    OK(pushcast_message_set_data(message, NULL, 0));
    OK(pushcast_message_set_data(message, (const uint8_t *)"{\"built\":1}", strlen("{\"built\":1}")));
    CHECK_RESULT(pushcast_message_set_socket_id(message, bad), PUSHCAST_RESULT_INVALID_UTF8);
    OK(pushcast_message_set_socket_id(message, "not a socket id"));
    CHECK_RESULT(pushcast_client_publish_message(client, message, NULL), PUSHCAST_RESULT_INVALID_SOCKET_ID);
    OK(pushcast_message_set_socket_id(message, "123.456"));
    OK(pushcast_message_set_socket_id(message, NULL));
    CHECK_RESULT(pushcast_message_set_info(message, bad), PUSHCAST_RESULT_INVALID_UTF8);
    OK(pushcast_message_set_info(message, "subscription_count"));
    OK(pushcast_message_set_info(message, NULL));
    OK(pushcast_message_set_correlation_id(message, UINT64_MAX));
    OK(read_stats(client, &stats));
    CHECK(stats.enqueued == 0); /* every refusal above came before the queue */
    OK(pushcast_client_publish_message(client, message, &accepted));
    CHECK(accepted == PUSHCAST_ACCEPTED_QUEUED);
    OK(pushcast_client_publish_message(client, message, NULL)); /* published again: a copy */
    pushcast_message_free(message);
    OK(read_stats(client, &stats));
    CHECK(stats.enqueued == 4); /* two messages on two channels each */
    OK(pushcast_client_shutdown(client, 0, &pending));
    CHECK(pending == 4);
    pushcast_client_free(client);
}

/* A confirmed message against the real server: the server's per-channel info as the Pusher
 * HTTP API returns it (the pusher-js subscriber on c-feed counts only "Tick" events). */
static void test_message_confirmed_channel_info(void) {
    pushcast_client *client = test_client(endpoint, 100, PUSHCAST_BACKPRESSURE_FAIL_FAST);
    pushcast_message *message = NULL;
    char *json = NULL;
    OK(pushcast_message_new("Info", &message));
    OK(pushcast_message_add_channel(message, "c-feed"));
    OK(pushcast_message_add_channel(message, "c-nobody"));
    OK(pushcast_message_set_data(message, (const uint8_t *)"{}", 2));
    OK(pushcast_message_set_info(message, "subscription_count"));
    OK(pushcast_client_publish_message_confirmed(client, message, 10000, &json));
    CHECK(json && strncmp(json, "{\"channels\":{", strlen("{\"channels\":{")) == 0);
    CHECK(json && strstr(json, "\"c-feed\":{") && strstr(json, "\"subscription_count\":1"));
    if (json && !strstr(json, "\"subscription_count\":1")) {
        fprintf(stderr, "  channels JSON: %s\n", json);
    }
    pushcast_string_free(json);
    json = NULL;
    /* Without info: no channel info, and a NULL out-pointer is allowed. */
    OK(pushcast_message_set_info(message, NULL));
    OK(pushcast_client_publish_message_confirmed(client, message, 10000, &json));
    CHECK(json && strcmp(json, "{\"channels\":{}}") == 0);
    pushcast_string_free(json);
    OK(pushcast_client_publish_message_confirmed(client, message, 10000, NULL));
    pushcast_message_free(message);
    pushcast_client_free(client);
}

/* What the delivery callback saw, copied (the report lives only during the callback), under
 * a lock: engine threads call it. */
#define MAX_REPORTS 16
struct seen_report {
    uint64_t correlation_id;
    pushcast_result result;
    char *event_name;
    char *failed_channel;
    char *error_message;
};
struct delivery_seen {
    pthread_mutex_t lock;
    int count;
    struct seen_report reports[MAX_REPORTS];
};

static char *copy_or_null(const char *s) {
    return s ? strdup(s) : NULL;
}

static void collect_delivery(const pushcast_delivery_report *report, void *user_data) {
    struct delivery_seen *seen = user_data;
    pthread_mutex_lock(&seen->lock);
    if (seen->count < MAX_REPORTS) {
        struct seen_report *r = &seen->reports[seen->count];
        r->correlation_id = report->correlation_id;
        r->result = report->result;
        r->event_name = copy_or_null(report->event_name);
        r->failed_channel = copy_or_null(report->failed_channel);
        r->error_message = copy_or_null(report->error_message);
    }
    seen->count++;
    pthread_mutex_unlock(&seen->lock);
}

/* Waits up to 20 s for `n` reports; returns how many came. */
static int reports_reach(struct delivery_seen *seen, int n) {
    int tries, count = 0;
    for (tries = 0; tries < 2000; tries++) {
        pthread_mutex_lock(&seen->lock);
        count = seen->count;
        pthread_mutex_unlock(&seen->lock);
        if (count >= n) {
            break;
        }
        usleep(10000);
    }
    return count;
}

/* The report with correlation id `id`, or NULL. Call after the reports are in. */
static struct seen_report *report_of(struct delivery_seen *seen, uint64_t id) {
    int i;
    for (i = 0; i < seen->count && i < MAX_REPORTS; i++) {
        if (seen->reports[i].correlation_id == id) {
            return &seen->reports[i];
        }
    }
    return NULL;
}

static void free_reports(struct delivery_seen *seen) {
    int i;
    for (i = 0; i < seen->count && i < MAX_REPORTS; i++) {
        free(seen->reports[i].event_name);
        free(seen->reports[i].failed_channel);
        free(seen->reports[i].error_message);
    }
    seen->count = 0;
}

static pushcast_message *message_to(const char *channel, const char *name, uint64_t id) {
    pushcast_message *message = NULL;
    OK(pushcast_message_new(name, &message));
    OK(pushcast_message_add_channel(message, channel));
    OK(pushcast_message_set_data(message, (const uint8_t *)"{}", 2));
    OK(pushcast_message_set_correlation_id(message, id));
    return message;
}

/* Delivered messages each report once with their correlation id and no error; a message the
 * publish refuses is never reported; without a callback nothing is. */
static void test_delivery_callback_delivered(void) {
    static struct delivery_seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, {{0, 0, NULL, NULL, NULL}}};
    pushcast_app *app = test_app("app-secret");
    pushcast_config *config = NULL;
    pushcast_client *client = NULL;
    pushcast_message *message;
    pushcast_accepted accepted = PUSHCAST_ACCEPTED_DROPPED;
    uint64_t id, pending = 99;
    struct seen_report *r;

    CHECK_RESULT(pushcast_config_set_delivery_callback(NULL, collect_delivery, &seen), PUSHCAST_RESULT_NULL_ARGUMENT);
    OK(pushcast_config_new(app, endpoint, &config));
    OK(pushcast_config_set_delivery_callback(config, collect_delivery, &seen));
    OK(pushcast_client_new(config, &client));
    for (id = 101; id <= 103; id++) {
        message = message_to("c-delivery", "Delivered", id);
        OK(pushcast_client_publish_message(client, message, &accepted));
        CHECK(accepted == PUSHCAST_ACCEPTED_QUEUED);
        pushcast_message_free(message);
    }
    message = message_to("bad channel", "Refused", 104);
    CHECK_RESULT(pushcast_client_publish_message(client, message, NULL), PUSHCAST_RESULT_INVALID_CHANNEL);
    pushcast_message_free(message);
    OK(pushcast_client_flush(client, 10000, &pending));
    CHECK(pending == 0);
    CHECK(reports_reach(&seen, 3) == 3);
    for (id = 101; id <= 103; id++) {
        r = report_of(&seen, id);
        CHECK(r != NULL);
        if (r != NULL) {
            CHECK(r->result == PUSHCAST_RESULT_OK);
            CHECK(r->event_name && strcmp(r->event_name, "Delivered") == 0);
            CHECK(r->failed_channel == NULL && r->error_message == NULL);
        }
    }
    CHECK(report_of(&seen, 104) == NULL);
    pushcast_client_free(client);
    CHECK(seen.count == 3); /* once each, nothing more at free */

    /* The callback removed: publish_message is a plain publish, and reports nothing. */
    OK(pushcast_config_set_delivery_callback(config, NULL, NULL));
    OK(pushcast_client_new(config, &client));
    message = message_to("c-delivery", "Unreported", 105);
    OK(pushcast_client_publish_message(client, message, NULL));
    pushcast_message_free(message);
    OK(pushcast_client_flush(client, 10000, &pending));
    CHECK(pending == 0);
    pushcast_client_free(client);
    CHECK(seen.count == 3);
    free_reports(&seen);
    pushcast_config_free(config);
    pushcast_app_free(app);
}

/* An unreachable endpoint: a message past its delivery timeout reports its failure, code,
 * channel and message; one still pending at shutdown reports PUSHCAST_RESULT_SHUT_DOWN. */
static void test_delivery_callback_failed(void) {
    static struct delivery_seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, {{0, 0, NULL, NULL, NULL}}};
    pushcast_app *app = test_app("app-secret");
    pushcast_config *config = NULL;
    pushcast_client *client = NULL;
    pushcast_message *message;
    uint64_t abandoned = 99;
    struct seen_report *r;

    OK(pushcast_config_new(app, "http://127.0.0.1:1", &config));
    OK(pushcast_config_set_timeouts(config, 50, 50, 200, 0));
    OK(pushcast_config_set_delivery_callback(config, collect_delivery, &seen));
    OK(pushcast_client_new(config, &client));
    message = message_to("c-lost", "Lost", 201);
    OK(pushcast_client_publish_message(client, message, NULL));
    pushcast_message_free(message);
    CHECK(reports_reach(&seen, 1) == 1);
    r = report_of(&seen, 201);
    CHECK(r != NULL);
    if (r != NULL) {
        CHECK(r->result != PUSHCAST_RESULT_OK);
        CHECK(r->event_name && strcmp(r->event_name, "Lost") == 0);
        CHECK(r->failed_channel && strcmp(r->failed_channel, "c-lost") == 0);
        CHECK(r->error_message && strlen(r->error_message) > 0);
    }
    pushcast_client_free(client);

    OK(pushcast_config_set_timeouts(config, 50, 50, 60000, 0));
    OK(pushcast_client_new(config, &client));
    message = message_to("c-abandoned", "Abandoned", 202);
    OK(pushcast_client_publish_message(client, message, NULL));
    pushcast_message_free(message);
    OK(pushcast_client_shutdown(client, 0, &abandoned));
    CHECK(abandoned == 1);
    CHECK(reports_reach(&seen, 2) == 2);
    r = report_of(&seen, 202);
    CHECK(r != NULL);
    if (r != NULL) {
        CHECK(r->result == PUSHCAST_RESULT_SHUT_DOWN);
        CHECK(r->failed_channel && strcmp(r->failed_channel, "c-abandoned") == 0);
        CHECK(r->error_message && strstr(r->error_message, "shut down") != NULL);
    }
    pushcast_client_free(client);
    CHECK(seen.count == 2);
    free_reports(&seen);
    pushcast_config_free(config);
    pushcast_app_free(app);
}

#define REAL_EVENTS 500

static void test_real_publish(void) {
    pushcast_client *client = test_client(endpoint, 10000, PUSHCAST_BACKPRESSURE_FAIL_FAST);
    test_stats stats;
    uint64_t pending = 99;
    char data[64];
    char *json = NULL;
    pushcast_error *error;
    int i;
    /* Queries first: the pusher-js subscriber leaves once it has seen every event. */
    OK(pushcast_client_channel_info(client, "c-feed", "subscription_count", &json));
    CHECK(json && strstr(json, "\"subscription_count\":1"));
    pushcast_string_free(json);
    OK(pushcast_client_channels(client, NULL, NULL, &json));
    CHECK(json && strstr(json, "c-feed"));
    pushcast_string_free(json);
    for (i = 0; i < REAL_EVENTS; i++) {
        snprintf(data, sizeof data, "{\"seq\":%d}", i);
        OK(publish_one(client, "c-feed", "Tick", data));
    }
    OK(pushcast_client_flush(client, 10000, &pending));
    CHECK(pending == 0);
    OK(read_stats(client, &stats));
    CHECK(stats.delivered == REAL_EVENTS && stats.failed == 0);
    {
        /* The fixed struct, the by-name read and the JSON agree. */
        uint64_t delivered = 0;
        char expected[64];
        OK(pushcast_client_stat(client, "delivered", &delivered));
        CHECK(delivered == stats.delivered);
        snprintf(expected, sizeof expected, "\"delivered\":%d,", REAL_EVENTS);
        OK(pushcast_client_stats_json(client, &json));
        CHECK(json && strstr(json, expected) && strstr(json, "\"latency_p50_us\":null") == NULL);
        pushcast_string_free(json);
        json = NULL;
    }
    OK(pushcast_client_send_to_user(client, "42", "Hello", "{}"));
    pushcast_client_free(client);

    /* A server refusal carries its HTTP status. */
    {
        pushcast_app *app = test_app("wrong-secret");
        pushcast_config *config = NULL;
        const char *channels[1] = {"c-other"};
        pushcast_event event;
        OK(pushcast_config_new(app, endpoint, &config));
        OK(pushcast_client_new(config, &client));
        memset(&event, 0, sizeof event);
        event.channels = channels;
        event.channels_len = 1;
        event.name = "x";
        CHECK_RESULT(pushcast_client_publish_confirmed(client, &event, 10000), PUSHCAST_RESULT_API_ERROR);
        error = pushcast_error_last();
        CHECK(pushcast_error_http_status(error) == 401);
        pushcast_error_free(error);
        OK(pushcast_client_drain_failures(client, &json));
        CHECK(json && strstr(json, "\"code\":4000") && strstr(json, "c-other"));
        /* The one failure record: event, channel, error, code and when (seconds since the epoch). */
        CHECK(json && strstr(json, "\"event\":\"x\"") && strstr(json, "\"error\":\""));
        {
            const char *at = json ? strstr(json, "\"at\":") : NULL;
            double when = at ? strtod(at + 5, NULL) : 0.0;
            CHECK(when > (double)time(NULL) - 600.0 && when < (double)time(NULL) + 600.0);
        }
        pushcast_string_free(json);
        pushcast_client_free(client);
        pushcast_config_free(config);
        pushcast_app_free(app);
    }
}

#define THREADS 4
#define PER_THREAD 2500

struct thread_arg {
    pushcast_client *client;
    int index;
    int failures;
};

static void *publisher(void *p) {
    struct thread_arg *arg = p;
    char data[64];
    int i;
    for (i = 0; i < PER_THREAD; i++) {
        snprintf(data, sizeof data, "{\"seq\":%d}", arg->index * PER_THREAD + i);
        if (publish_one(arg->client, "c-threads", "Tick", data) != PUSHCAST_RESULT_OK) {
            arg->failures++;
        }
    }
    return NULL;
}

static void test_threads(void) {
    pushcast_client *client = test_client(endpoint, 100000, PUSHCAST_BACKPRESSURE_BLOCK);
    pthread_t threads[THREADS];
    struct thread_arg args[THREADS];
    test_stats stats;
    uint64_t pending = 99;
    int i;
    for (i = 0; i < THREADS; i++) {
        args[i].client = client;
        args[i].index = i;
        args[i].failures = 0;
        CHECK(pthread_create(&threads[i], NULL, publisher, &args[i]) == 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(args[i].failures == 0);
    }
    OK(pushcast_client_flush(client, 30000, &pending));
    CHECK(pending == 0);
    OK(read_stats(client, &stats));
    CHECK(stats.enqueued == THREADS * PER_THREAD);
    CHECK(stats.delivered == THREADS * PER_THREAD);
    pushcast_client_free(client);
}

static void test_fork(void) {
    pushcast_client *client = test_client(endpoint, 10000, PUSHCAST_BACKPRESSURE_FAIL_FAST);
    test_stats stats;
    uint64_t pending = 99;
    int status = 0;
    pid_t pid;
    int i;
    for (i = 0; i < 50; i++) {
        OK(publish_one(client, "c-fork", "Parent", "{}"));
    }
    pid = fork();
    if (pid == 0) {
        int bad = 0;
        for (i = 0; i < 50; i++) {
            bad |= publish_one(client, "c-fork", "Child", "{}") != PUSHCAST_RESULT_OK;
        }
        bad |= pushcast_client_flush(client, 10000, &pending) != PUSHCAST_RESULT_OK || pending != 0;
        bad |= read_stats(client, &stats) != PUSHCAST_RESULT_OK || stats.delivered != 50 ||
               stats.enqueued != 50;
        _exit(bad ? 3 : 0);
    }
    CHECK(pid > 0);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    OK(pushcast_client_flush(client, 10000, &pending));
    OK(read_stats(client, &stats));
    CHECK(pending == 0 && stats.delivered == 50 && stats.enqueued == 50);
    pushcast_client_free(client);
}

struct test {
    const char *name;
    void (*run)(void);
};

static const struct test tests[] = {
    {"version", test_version},
    {"result_names", test_result_names},
    {"null_arguments", test_null_arguments},
    {"bad_utf8", test_bad_utf8},
    {"invalid_input_is_typed", test_invalid_input_is_typed},
    {"auth_and_webhooks", test_auth_and_webhooks},
    {"webhook_accepts_a_good_signature", test_webhook_accepts_a_good_signature},
    {"queue_full", test_queue_full},
    {"stats_names", test_stats_names},
    {"log_callback", test_log_callback},
    {"breaker_conflation_and_metrics", test_breaker_conflation_and_metrics},
    {"spool", test_spool},
    {"config_set", test_config_set},
    {"out_of_range_enums", test_out_of_range_enums},
    {"integer_extremes", test_integer_extremes},
    {"message_build", test_message_build},
    {"message_confirmed_channel_info", test_message_confirmed_channel_info},
    {"delivery_callback_delivered", test_delivery_callback_delivered},
    {"delivery_callback_failed", test_delivery_callback_failed},
    {"real_publish", test_real_publish},
    {"threads", test_threads},
    {"fork", test_fork},
};

int main(int argc, char **argv) {
    size_t i;
    int run = 0, failed = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s ENDPOINT_URL [TEST_NAME]\n", argv[0]);
        return 2;
    }
    endpoint = argv[1];
    for (i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        const char *skip = getenv("PUSHCAST_TEST_SKIP");
        if (argc > 2 && strcmp(argv[2], tests[i].name) != 0) {
            continue;
        }
        if (skip != NULL && strcmp(skip, tests[i].name) == 0) {
            printf("skip %s\n", tests[i].name);
            continue;
        }
        failures_in_test = 0;
        tests[i].run();
        run++;
        if (failures_in_test) {
            failed++;
        }
        printf("%s %s\n", failures_in_test ? "FAIL" : "ok  ", tests[i].name);
        fflush(stdout);
    }
    printf("c tests=%d failed=%d\n", run, failed);
    return failed ? 1 : 0;
}
