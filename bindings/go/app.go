package pushcast

/*
#include <stdlib.h>
#include "pushcast.h"
*/
import "C"

import (
	"runtime"
	"sort"
	"sync"
	"time"
	"unsafe"
)

// App is one Pusher app: credentials, server profile and optional end-to-end encryption
// master key (a pushcast_app). Its auth and webhook methods may be called from several
// goroutines at once; the setters are serialized. Call Close when done.
type App struct {
	mu  sync.RWMutex
	ptr *C.pushcast_app
}

func closedApp() error {
	return &Error{Code: ResultNullArgument, Message: "the App is closed"}
}

// NewApp creates an app with the strict server profile.
func NewApp(appID, key, secret string) (*App, error) {
	var m cMemory
	defer m.free()
	cid, err := m.str("app id", appID)
	if err != nil {
		return nil, err
	}
	ckey, err := m.str("key", key)
	if err != nil {
		return nil, err
	}
	csecret, err := m.str("secret", secret)
	if err != nil {
		return nil, err
	}
	var ptr *C.pushcast_app
	if err := call(func() C.pushcast_result { return C.pushcast_app_new(cid, ckey, csecret, &ptr) }); err != nil {
		return nil, err
	}
	a := &App{ptr: ptr}
	runtime.SetFinalizer(a, (*App).Close)
	return a, nil
}

// Close frees the app. Idempotent. Clients made from it keep working (they hold a copy).
func (a *App) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ptr != nil {
		C.pushcast_app_free(a.ptr)
		a.ptr = nil
	}
	runtime.SetFinalizer(a, nil)
}

// set runs a setter under the exclusive lock.
func (a *App) set(f func(*C.pushcast_app) C.pushcast_result) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ptr == nil {
		return closedApp()
	}
	return call(func() C.pushcast_result { return f(a.ptr) })
}

// read runs a const function under the shared lock and returns the JSON it wrote.
func (a *App) read(f func(*C.pushcast_app, **C.char) C.pushcast_result) (string, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.ptr == nil {
		return "", closedApp()
	}
	var out *C.char
	if err := call(func() C.pushcast_result { return f(a.ptr, &out) }); err != nil {
		return "", err
	}
	return takeString(out), nil
}

// SetProfile sets the server profile by name: "strict" (the default), "pusher", "reverb",
// "sockudo", "soketi" or "custom".
func (a *App) SetProfile(name string) error {
	var m cMemory
	defer m.free()
	cname, err := m.str("profile name", name)
	if err != nil {
		return err
	}
	return a.set(func(p *C.pushcast_app) C.pushcast_result { return C.pushcast_app_set_profile(p, cname) })
}

// SetLimit overrides one limit of the profile: "max_events_per_batch",
// "max_channel_name_len", "max_event_name_len", "max_channels_per_event",
// "max_event_data_bytes", "max_body_bytes", "max_request_bytes". 0 means unlimited.
func (a *App) SetLimit(name string, value int) error {
	if value < 0 {
		return &Error{Code: ResultInvalidConfig, Message: "a limit cannot be negative"}
	}
	var m cMemory
	defer m.free()
	cname, err := m.str("limit name", name)
	if err != nil {
		return err
	}
	return a.set(func(p *C.pushcast_app) C.pushcast_result {
		return C.pushcast_app_set_limit(p, cname, C.size_t(value))
	})
}

// SetMasterKeyBase64 enables end-to-end encrypted channels with a base64 32-byte master key.
func (a *App) SetMasterKeyBase64(key string) error {
	var m cMemory
	defer m.free()
	ckey, err := m.str("master key", key)
	if err != nil {
		return err
	}
	return a.set(func(p *C.pushcast_app) C.pushcast_result { return C.pushcast_app_set_master_key_base64(p, ckey) })
}

// AuthorizeChannel authorizes a subscription and returns the JSON answer of
// /broadcasting/auth ({"auth": .., ["channel_data": ..], ["shared_secret": ..]}).
// channelData (nil for private channels) is an already-encoded presence payload, signed as
// given.
func (a *App) AuthorizeChannel(socketID, channel string, channelData *string) (string, error) {
	var m cMemory
	defer m.free()
	csocket, err := m.str("socket id", socketID)
	if err != nil {
		return "", err
	}
	cchannel, err := m.str("channel", channel)
	if err != nil {
		return "", err
	}
	cdata, err := m.ptrStr("channel data", channelData)
	if err != nil {
		return "", err
	}
	return a.read(func(p *C.pushcast_app, out **C.char) C.pushcast_result {
		return C.pushcast_app_authorize_channel(p, csocket, cchannel, cdata, out)
	})
}

// AuthorizePresenceChannel authorizes a presence subscription for userID with optional
// userInfoJSON (a JSON object, or nil) and returns the auth JSON, with its channel_data.
func (a *App) AuthorizePresenceChannel(socketID, channel, userID string, userInfoJSON *string) (string, error) {
	var m cMemory
	defer m.free()
	csocket, err := m.str("socket id", socketID)
	if err != nil {
		return "", err
	}
	cchannel, err := m.str("channel", channel)
	if err != nil {
		return "", err
	}
	cuser, err := m.str("user id", userID)
	if err != nil {
		return "", err
	}
	cinfo, err := m.ptrStr("user info", userInfoJSON)
	if err != nil {
		return "", err
	}
	return a.read(func(p *C.pushcast_app, out **C.char) C.pushcast_result {
		return C.pushcast_app_authorize_presence_channel(p, csocket, cchannel, cuser, cinfo, out)
	})
}

// AuthenticateUser authenticates a user for pusher:signin: signs the already-encoded
// userDataJSON (a JSON object with a non-empty string "id") and returns
// {"auth": .., "user_data": ..}.
func (a *App) AuthenticateUser(socketID, userDataJSON string) (string, error) {
	var m cMemory
	defer m.free()
	csocket, err := m.str("socket id", socketID)
	if err != nil {
		return "", err
	}
	cdata, err := m.str("user data", userDataJSON)
	if err != nil {
		return "", err
	}
	return a.read(func(p *C.pushcast_app, out **C.char) C.pushcast_result {
		return C.pushcast_app_authenticate_user(p, csocket, cdata, out)
	})
}

// VerifyWebhook verifies a webhook (X-Pusher-Key, and X-Pusher-Signature over the raw body)
// and returns its JSON ({"time_ms", "events"}, encrypted client events decrypted). Header
// names may have any case. maxAge > 0 also rejects webhooks whose time_ms is further than
// that from now. A rejected webhook gives an *Error with ResultWebhookRejected.
func (a *App) VerifyWebhook(headers map[string]string, body []byte, maxAge time.Duration) (string, error) {
	var m cMemory
	defer m.free()
	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic order
	var hdrs *C.pushcast_header
	if n := len(names); n > 0 {
		arr := m.alloc(uintptr(n) * unsafe.Sizeof(C.pushcast_header{}))
		slots := unsafe.Slice((*C.pushcast_header)(arr), n)
		for i, name := range names {
			cname, err := m.str("header name", name)
			if err != nil {
				return "", err
			}
			cvalue, err := m.str("header value", headers[name])
			if err != nil {
				return "", err
			}
			slots[i] = C.pushcast_header{name: cname, value: cvalue}
		}
		hdrs = (*C.pushcast_header)(arr)
	}
	var cbody *C.uint8_t
	if len(body) > 0 {
		// A []byte holds no Go pointers, so it may be passed for the duration of the call.
		cbody = (*C.uint8_t)(unsafe.Pointer(&body[0]))
	}
	out, err := a.read(func(p *C.pushcast_app, out **C.char) C.pushcast_result {
		return C.pushcast_app_verify_webhook(p, hdrs, C.size_t(len(names)), cbody, C.size_t(len(body)), millis(maxAge), out)
	})
	runtime.KeepAlive(body)
	return out, err
}
