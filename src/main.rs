//! The `lotta` binary: parse the command line, run the command, map errors to exit codes
//! (0 ok, 1 data or spec error, 2 usage error).

use clap::Parser;

mod cli;

fn main() {
    let args = cli::Cli::parse();
    std::process::exit(cli::run(args));
}

// A fast allocator that keeps freed memory for reuse: the estimators allocate large matrices
// repeatedly, and returning them to the kernel each time costs page faults.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
