// Package pushcast publishes events to Pusher-protocol servers (Pusher Channels, Sockudo,
// Soketi, Laravel Reverb) through libpushcast, the C API of the pushcast Rust library
// (include/pushcast.h). Everything (signing, validation, batching, retries, backpressure)
// happens in the library; this package is a thin, memory-safe cgo layer over it.
//
// # Usage
//
//	app, err := pushcast.NewApp("12345", "app-key", "app-secret")
//	if err != nil { ... }
//	defer app.Close()
//	_ = app.SetProfile("sockudo")
//	client, err := pushcast.NewClient(app, pushcast.Config{Endpoints: []string{"http://127.0.0.1:6001"}})
//	if err != nil { ... }
//	defer client.Close() // flushes pending events for Config.ShutdownTimeout
//	_, err = client.Publish([]string{"orders.1"}, "OrderShipped", []byte(`{"status":"shipped"}`), "")
//
// # Resources
//
// An App and a Client own C resources: call Close when done. A finalizer frees them if they
// are garbage-collected unclosed, but only as a safety net: its timing is unpredictable, and
// an unclosed Client may keep undelivered events (and its I/O thread) alive until then.
// A Client keeps its own copy of the App, so the App may be closed right after NewClient.
//
// # Contexts
//
// The blocking calls have context variants: PublishConfirmedContext and
// PublishConfirmedInfoContext (wait until the context's deadline), FlushContext, ShutdownContext and CloseContext (flush until the context
// ends, in slices of at most 100 ms, so a cancellation is noticed within that). A C call
// cannot be interrupted midway: PublishConfirmedContext with a context that has no deadline
// waits until the event is resolved (bounded by Config.DeliveryTimeout), whatever happens to
// the context meanwhile.
//
// # Errors
//
// Failing calls return a *Error carrying the library's Result code, the HTTP status of a
// server refusal (0 otherwise) and the library's message. IsQueueFull, IsValidation,
// IsTimeout, IsCircuitOpen and IsInternal classify them, errors.Is matches the typed errors
// (ErrCircuitOpen, ErrQueueFull, ...), and errors.As gives the *Error itself. A Result's String
// is the library's own name for it ("CIRCUIT_OPEN"); Results lists every code. A Backpressure
// that is none of the constants is refused by the library (ResultInvalidConfig).
//
// # Concurrency
//
// Every Client method may be called from any number of goroutines. App's auth and webhook
// methods may too; its setters are serialized by the App itself.
//
// # Installing
//
// The module path is github.com/pushcast/pushcast/bindings/go (the package is named
// pushcast): `go get github.com/pushcast/pushcast/bindings/go`, then
//
//	import pushcast "github.com/pushcast/pushcast/bindings/go"
//
// Outside this repository, install the C library first (scripts/install-c PREFIX, or the
// Debian package) and build with `-tags pushcast_pkgconfig`, so that cgo takes its flags from
// pushcast.pc; scripts/test-go builds and runs such a consumer module.
//
// # Building and linking
//
// By default the package compiles against ../../include/pushcast.h and links
// ../../target/debug/libpushcast.so of this repository (build it with
// `cargo build -p pushcast`), with an rpath so tests and programs run without
// LD_LIBRARY_PATH. For an installed library (scripts/install-c PREFIX), either build with
// `-tags pushcast_pkgconfig` (flags from pkg-config's pushcast.pc; set PKG_CONFIG_PATH to
// PREFIX/lib/pkgconfig if needed) or add flags through the environment:
//
//	CGO_CFLAGS="-IPREFIX/include" CGO_LDFLAGS="-LPREFIX/lib -Wl,-rpath,PREFIX/lib" go build
package pushcast
