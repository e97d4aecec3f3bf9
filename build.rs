//! Generates include/pushcast.h from the FFI sources with a pinned cbindgen.
//!
//! The header is committed; scripts/check-header rebuilds and fails on any difference, so the
//! header C users compile against is always the one the library exports.
//!
//! With `PUSHCAST_SONAME=1` (set by scripts/install-c, which scripts/package-deb uses) the
//! shared library is linked with the SONAME `libpushcast.so.<ABI_MAJOR>`, as installed
//! libraries are. In-tree builds stay without one: the repository's C tests and the Go binding
//! link `-L target/debug -lpushcast`, and a SONAME would make them look for a
//! `libpushcast.so.0` that exists only where the library is installed.

use std::path::PathBuf;

/// The C ABI's major version: the `0` of `libpushcast.so.0`. Raise it with any change that
/// breaks programs compiled against the previous header (a removed or changed function, a
/// renumbered result code), so that they keep finding the library they were built for.
const ABI_MAJOR: u32 = 0;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=crates/pushcast-ffi/src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=PUSHCAST_SONAME");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux && std::env::var("PUSHCAST_SONAME").is_ok_and(|v| v == "1") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libpushcast.so.{ABI_MAJOR}");
    }
    let config = match cbindgen::Config::from_file(root.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            println!("cargo:warning=cbindgen.toml: {e}");
            std::process::exit(1);
        }
    };
    let generated = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("crates/pushcast-ffi/src/lib.rs"))
        .generate();
    match generated {
        Ok(bindings) => {
            bindings.write_to_file(root.join("include/pushcast.h"));
        }
        Err(e) => {
            println!("cargo:warning=cannot generate include/pushcast.h: {e}");
            std::process::exit(1);
        }
    }
}
