//go:build !pushcast_pkgconfig

package pushcast

// Default link setup: the library built in this repository by `cargo build -p pushcast`
// (target/debug/libpushcast.so), found at run time through an rpath.
//
// For an installed library (scripts/install-c PREFIX), build with the pushcast_pkgconfig tag
// (see cgo_pkgconfig.go) or extend these flags from the environment, e.g.
//
//	CGO_CFLAGS="-I/usr/local/include" CGO_LDFLAGS="-L/usr/local/lib -Wl,-rpath,/usr/local/lib" go build
//
// (the environment's flags are added to these; directories that do not exist are ignored).

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/debug -Wl,-rpath,${SRCDIR}/../../target/debug -lpushcast -lpthread -ldl -lm
*/
import "C"
