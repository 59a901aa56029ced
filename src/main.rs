//! The `leaksoak` binary: parses the command line and hands it to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = leaksoak::cli::Cli::parse();
    leaksoak::commands::dispatch(cli.command)
}
