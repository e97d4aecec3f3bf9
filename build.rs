//! Generates include/pushcast.h from the FFI sources with a pinned cbindgen.
//!
//! The header is committed; scripts/check-header rebuilds and fails on any difference, so the
//! header C users compile against is always the one the library exports.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=crates/pushcast-ffi/src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
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
