//! Fuzz target: lotta::fuzzing::csv on arbitrary bytes (no panic, no hang).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lotta::fuzzing::csv(data);
});
