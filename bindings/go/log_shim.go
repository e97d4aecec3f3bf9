package pushcast

/*
#include "pushcast.h"

// goPushcastLog is exported by log.go; its Go signature cannot say `const`.
extern void goPushcastLog(pushcast_log_level level, char *message, void *user_data);

// Installs goPushcastLog as the library's log callback (on != 0) or restores standard error.
pushcast_result pushcast_go_set_log_callback(int on) {
	return pushcast_set_log_callback(on ? (pushcast_log_callback)goPushcastLog : NULL, NULL);
}
*/
import "C"
