//! The build script of libpushcast (crates/pushcast-ffi, package `pushcast`): generates the C
//! header with a pinned cbindgen, and sets the SONAME of packaged builds.
//!
//! Why it lives at the root and not in crates/pushcast-ffi: the project's layout keeps a
//! `build.rs` at the top level, and docs/c-api.md and docs/install.md point there for
//! `ABI_MAJOR`. The root is a virtual workspace, so this file builds nothing by itself: it is
//! the ffi crate's build script only because crates/pushcast-ffi/Cargo.toml names it
//! (`build = "../../build.rs"`), and it reads nothing outside that crate (its `src/` and its
//! `cbindgen.toml`). The one cost, that `cargo package` could not pack a build script from
//! outside the package, does not apply: libpushcast ships as C packages, never as a crate
//! (`publish = false`).
//!
//! The header is written to `$OUT_DIR/pushcast.h` on every build and nowhere else: an ordinary
//! build never modifies the source tree. include/pushcast.h is the committed copy;
//! scripts/gen-header copies the generated header over it, scripts/check-header (run by
//! scripts/test, so CI) fails when the two differ. Both find the generated file through
//! scripts/lib/built-header.
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
    // crates/pushcast-ffi: paths below are the ffi crate's, wherever this file lives.
    let krate = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        println!("cargo:warning=OUT_DIR is not set: run through cargo");
        std::process::exit(1);
    };
    // Relative to the ffi crate's directory, like every rerun-if-changed path.
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=PUSHCAST_SONAME");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux && std::env::var("PUSHCAST_SONAME").is_ok_and(|v| v == "1") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libpushcast.so.{ABI_MAJOR}");
    }
    let config = match cbindgen::Config::from_file(krate.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            println!("cargo:warning=cbindgen.toml: {e}");
            std::process::exit(1);
        }
    };
    let generated = cbindgen::Builder::new()
        .with_config(config)
        .with_src(krate.join("src/lib.rs"))
        .generate();
    match generated {
        Ok(bindings) => {
            bindings.write_to_file(out_dir.join("pushcast.h"));
        }
        Err(e) => {
            println!("cargo:warning=cannot generate pushcast.h: {e}");
            std::process::exit(1);
        }
    }
}
