//go:build pushcast_pkgconfig

package pushcast

// Link setup for an installed library: `go build -tags pushcast_pkgconfig` asks pkg-config
// for the flags of pushcast.pc (installed by scripts/install-c PREFIX). Set PKG_CONFIG_PATH
// to PREFIX/lib/pkgconfig when PREFIX is not a system location, and make the library findable
// at run time (ldconfig, LD_LIBRARY_PATH, or CGO_LDFLAGS="-Wl,-rpath,PREFIX/lib").

/*
#cgo pkg-config: pushcast
#cgo LDFLAGS: -lpthread -ldl -lm
*/
import "C"
