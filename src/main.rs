//! The `lotta` binary: parse the command line, run the command, map errors to exit codes
//! (0 ok, 1 data or spec error, 2 usage error).

use clap::Parser;

mod cli;

fn main() {
    let args = cli::Cli::parse();
    // `assign` and `verify` hold their large vectors for one pass each and free them in
    // turn (the sorted ids, 240 MB at ten million, before the plan's vectors): kept, the
    // freed memory was not reused and counted in the peak, 880 MB instead of 680 at ten million;
    // handed back after mimalloc's default delay of 10 ms, it was often still held when the
    // plan's vectors were made, 735 MB instead of 595 (docs/scale.md), so they hand it back at
    // once.
    if matches!(
        args.command,
        cli::Command::Assign(_) | cli::Command::Verify(_)
    ) {
        purge_freed_memory_at_once();
    } else {
        keep_freed_memory();
    }
    cli::terminal::install_interrupt_handler();
    std::process::exit(cli::run(args));
}

// A fast allocator that keeps freed memory for reuse: the estimators allocate large matrices
// repeatedly, and returning them to the kernel each time costs page faults.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (`mimalloc.h`, enum `mi_option_e`, the same position in
/// mimalloc 2 and 3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Hand freed memory back to the kernel as soon as it is freed (a purge delay of 0 ms).
fn purge_freed_memory_at_once() {
    // SAFETY: as in `keep_freed_memory`; 0 = purge without delay.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}

/// Never hand freed memory back to the kernel while lotta runs: by default mimalloc purges it
/// after 10 ms, and the next model's design matrix then faults every page in again (zeroed by the
/// kernel). A run of `lotta estimate` on a million rows spent half its time there. lotta is a
/// short-lived command; its peak memory is unchanged.
fn keep_freed_memory() {
    // SAFETY: mi_option_set only stores an option value; any value is valid for this option
    // (-1 = never purge) and it may be called at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}
