//! The `leaksoak` binary: parses the command line and hands it to the library.

use clap::Parser;
use std::process::ExitCode;

/// Counts live heap bytes for the `self-heap` memory source; a thin wrapper over the system allocator.
#[global_allocator]
static ALLOC: leaksoak::memory::CountingAlloc = leaksoak::memory::CountingAlloc::new();

fn main() -> ExitCode {
    let cli = leaksoak::cli::Cli::parse();
    leaksoak::commands::dispatch(cli.command)
}
