//! Fuzz target: lotta::fuzzing::study_toml on arbitrary bytes (no panic, no hang).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lotta::fuzzing::study_toml(data);
});
