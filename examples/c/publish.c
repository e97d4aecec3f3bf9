/*
 * The smallest libpushcast program: publish one event and wait for the server's answer.
 *   cc publish.c $(pkg-config --cflags --libs pushcast) -o publish
 *   ./publish http://127.0.0.1:6001 12345 app-key app-secret
 */
#include <stdio.h>
#include <string.h>

#include <pushcast.h>

int main(int argc, char **argv) {
    pushcast_app *app = NULL;
    pushcast_config *config = NULL;
    pushcast_client *client = NULL;
    const char *channels[] = {"orders.1"};
    const char *data = "{\"status\":\"shipped\"}";
    pushcast_event event;
    pushcast_result result;

    if (argc != 5) {
        fprintf(stderr, "usage: %s URL APP_ID KEY SECRET\n", argv[0]);
        return 2;
    }
    if (pushcast_app_new(argv[2], argv[3], argv[4], &app) != PUSHCAST_RESULT_OK ||
        pushcast_app_set_profile(app, "sockudo") != PUSHCAST_RESULT_OK ||
        pushcast_config_new(app, argv[1], &config) != PUSHCAST_RESULT_OK ||
        pushcast_client_new(config, &client) != PUSHCAST_RESULT_OK) {
        pushcast_error *error = pushcast_error_last();
        fprintf(stderr, "setup failed: %s\n", pushcast_error_message(error));
        pushcast_error_free(error);
        return 1;
    }
    memset(&event, 0, sizeof event);
    event.channels = channels;
    event.channels_len = 1;
    event.name = "OrderShipped";
    event.data = (const unsigned char *)data;
    event.data_len = strlen(data);
    result = pushcast_client_publish_confirmed(client, &event, 5000);
    if (result != PUSHCAST_RESULT_OK) {
        pushcast_error *error = pushcast_error_last();
        fprintf(stderr, "publish failed (%u, HTTP %u): %s\n", (unsigned)result,
                (unsigned)pushcast_error_http_status(error), pushcast_error_message(error));
        pushcast_error_free(error);
    } else {
        printf("delivered (libpushcast %s)\n", pushcast_version());
    }
    pushcast_client_free(client);
    pushcast_config_free(config);
    pushcast_app_free(app);
    return result == PUSHCAST_RESULT_OK ? 0 : 1;
}
