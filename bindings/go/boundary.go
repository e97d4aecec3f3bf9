package pushcast

/*
#include <stdlib.h>
#include "pushcast.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"time"
	"unsafe"
)

// call runs one library call and, when it fails, takes the detailed error it recorded.
//
// The library records errors per OS thread, and a goroutine may move between threads between
// two cgo calls: the goroutine is locked to its thread from the call to pushcast_error_last().
func call(f func() C.pushcast_result) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rc := f()
	if rc == C.PUSHCAST_RESULT_OK {
		return nil
	}
	return lastError(Result(rc))
}

// lastError builds an *Error from the calling thread's pushcast_error_last() (and frees it).
// The caller must be locked to the thread of the failed call.
func lastError(rc Result) error {
	e := C.pushcast_error_last()
	if e == nil {
		return &Error{Code: rc, Message: rc.String()}
	}
	defer C.pushcast_error_free(e)
	return &Error{
		Code:       rc,
		HTTPStatus: int(C.pushcast_error_http_status(e)),
		Message:    C.GoString(C.pushcast_error_message(e)),
	}
}

// takeString copies a string returned by the library and frees the original.
func takeString(s *C.char) string {
	if s == nil {
		return ""
	}
	defer C.pushcast_string_free(s)
	return C.GoString(s)
}

// checkNUL refuses strings that cannot cross the C boundary: the library takes NUL-terminated
// strings, and C.CString would silently cut one at its first NUL byte.
func checkNUL(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return &Error{
			Code:    ResultInvalidUTF8,
			Message: fmt.Sprintf("%s contains a NUL byte, which a C string cannot carry", what),
		}
	}
	return nil
}

// cMemory collects C allocations made for one call, freed together afterwards.
// Everything handed to the library lives in C memory, so no Go pointer is ever stored in
// memory the library reads (the cgo pointer rules).
type cMemory struct {
	ptrs []unsafe.Pointer
}

func (m *cMemory) free() {
	for _, p := range m.ptrs {
		C.free(p)
	}
	m.ptrs = nil
}

func (m *cMemory) track(p unsafe.Pointer) unsafe.Pointer {
	m.ptrs = append(m.ptrs, p)
	return p
}

// str copies s into C memory (checked for NUL bytes).
func (m *cMemory) str(what, s string) (*C.char, error) {
	if err := checkNUL(what, s); err != nil {
		return nil, err
	}
	return (*C.char)(m.track(unsafe.Pointer(C.CString(s)))), nil
}

// optStr is str, with "" meaning absent (NULL).
func (m *cMemory) optStr(what, s string) (*C.char, error) {
	if s == "" {
		return nil, nil
	}
	return m.str(what, s)
}

// ptrStr is str, with nil meaning absent (NULL).
func (m *cMemory) ptrStr(what string, s *string) (*C.char, error) {
	if s == nil {
		return nil, nil
	}
	return m.str(what, *s)
}

// alloc returns n zeroed bytes of C memory (at least 1).
func (m *cMemory) alloc(n uintptr) unsafe.Pointer {
	if n == 0 {
		n = 1
	}
	return m.track(C.calloc(1, C.size_t(n)))
}

// fillEvent describes one event in *ev, with every pointer into C memory owned by m.
func (m *cMemory) fillEvent(ev *C.pushcast_event, channels []string, name string, data []byte, socketID string) error {
	*ev = C.pushcast_event{}
	if n := len(channels); n > 0 {
		arr := m.alloc(uintptr(n) * unsafe.Sizeof((*C.char)(nil)))
		slots := unsafe.Slice((**C.char)(arr), n)
		for i, ch := range channels {
			cs, err := m.str("channel name", ch)
			if err != nil {
				return err
			}
			slots[i] = cs
		}
		ev.channels = (**C.char)(arr)
		ev.channels_len = C.size_t(n)
	}
	cname, err := m.str("event name", name)
	if err != nil {
		return err
	}
	ev.name = cname
	if len(data) > 0 {
		ev.data = (*C.uint8_t)(m.track(C.CBytes(data)))
		ev.data_len = C.size_t(len(data))
	}
	ev.socket_id, err = m.optStr("socket id", socketID)
	return err
}

// message builds a pushcast_message (event name, channels in order, data, info when not
// empty). The caller frees a non-nil message with pushcast_message_free, also when an error
// is returned. The builder checks only what it stores; publishing validates the rest.
func (m *cMemory) message(channels []string, name string, data []byte, info string) (*C.pushcast_message, error) {
	cname, err := m.str("event name", name)
	if err != nil {
		return nil, err
	}
	var msg *C.pushcast_message
	if err := call(func() C.pushcast_result { return C.pushcast_message_new(cname, &msg) }); err != nil {
		return nil, err
	}
	for _, ch := range channels {
		cch, err := m.str("channel name", ch)
		if err != nil {
			return msg, err
		}
		if err := call(func() C.pushcast_result { return C.pushcast_message_add_channel(msg, cch) }); err != nil {
			return msg, err
		}
	}
	if len(data) > 0 {
		// A Go pointer passed as an argument (not stored): allowed by the cgo rules; the
		// library copies the bytes.
		cdata := (*C.uint8_t)(unsafe.Pointer(&data[0]))
		if err := call(func() C.pushcast_result { return C.pushcast_message_set_data(msg, cdata, C.size_t(len(data))) }); err != nil {
			return msg, err
		}
	}
	cinfo, err := m.optStr("info", info)
	if err != nil {
		return msg, err
	}
	if cinfo != nil {
		if err := call(func() C.pushcast_result { return C.pushcast_message_set_info(msg, cinfo) }); err != nil {
			return msg, err
		}
	}
	return msg, nil
}

// millis converts a duration to whole milliseconds for the C API: negative becomes 0, and a
// positive duration under a millisecond becomes 1 (so it never turns into "no time at all").
func millis(d time.Duration) C.uint64_t {
	if d <= 0 {
		return 0
	}
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 {
		ms++
	}
	return C.uint64_t(ms)
}

// Version is the version of the linked libpushcast.
func Version() string {
	return C.GoString(C.pushcast_version())
}
