package pushcast

/*
#include "pushcast.h"

// Defined in log_shim.go: a file with //export may declare C functions but not define them.
pushcast_result pushcast_go_set_log_callback(int on);
*/
import "C"

import (
	"strconv"
	"sync"
	"unsafe"
)

// LogLevel is how important a library message is (pushcast_log_level: the syslog severities).
type LogLevel uint32

// Log levels, mirroring the PUSHCAST_LOG_LEVEL_* values of pushcast.h.
const (
	LogError   LogLevel = C.PUSHCAST_LOG_LEVEL_ERROR   // something is broken: an engine thread stopped
	LogWarning LogLevel = C.PUSHCAST_LOG_LEVEL_WARNING // something may be wrong: an unsafe setting, a thread left running
)

// String is "error" or "warning" ("level N" for a level newer than this binding).
func (l LogLevel) String() string {
	switch l {
	case LogError:
		return "error"
	case LogWarning:
		return "warning"
	}
	return "level " + strconv.FormatUint(uint64(l), 10)
}

var (
	logMu      sync.RWMutex
	logHandler func(LogLevel, string)
)

// SetLogHandler sends the library's own messages (an engine thread that failed, certificate
// checks turned off, a thread left running at shutdown, a failed pthread_atfork) to handler,
// for the whole process, instead of standard error; nil restores standard error (the default:
// the library only speaks when something is wrong). To silence it, pass a handler that does
// nothing.
//
// The handler is called from the library's own threads, possibly from several at once: it must
// be safe for concurrent use, return promptly, and must not call Client.Flush, Shutdown, Close
// or SetLogHandler.
func SetLogHandler(handler func(level LogLevel, message string)) error {
	logMu.Lock()
	logHandler = handler
	logMu.Unlock()
	on := C.int(0)
	if handler != nil {
		on = 1
	}
	return call(func() C.pushcast_result { return C.pushcast_go_set_log_callback(on) })
}

//export goPushcastLog
func goPushcastLog(level C.pushcast_log_level, message *C.char, _ unsafe.Pointer) {
	logMu.RLock()
	handler := logHandler
	logMu.RUnlock()
	if handler != nil {
		handler(LogLevel(level), C.GoString(message))
	}
}
