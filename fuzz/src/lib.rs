//! Fuzzing support for pushcast: the checks every target runs, the input generators, and the
//! C ABI harness. The targets themselves are in fuzz_targets/; scripts/fuzz runs them.

pub mod checks;
pub mod ffi;
pub mod ffi_config;
pub mod gen;
