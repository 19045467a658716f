//! A hint to the processor to start reading the memory of a value that will soon be read at
//! random (`prefetcht0`). Unlike a read, it does not hold up the instructions after it until the
//! memory arrives, so the reads for rows still to come are in flight while the rows before them
//! are made and written (`assign`'s ledger of ten million rows, docs/scale.md).

/// Start reading the cache line of `value`, if any. Never changes what a program computes.
#[inline(always)]
pub fn prefetch<T>(value: Option<&T>) {
    #[cfg(target_arch = "x86_64")]
    if let Some(value) = value {
        let address: *const T = value;
        // SAFETY: `prefetcht0` is only a hint: it never faults, even on an invalid address,
        // and reads or writes nothing the program can see. The address is that of a live
        // reference.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(address.cast())
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
