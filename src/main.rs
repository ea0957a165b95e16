//! The `hemato` command line: a thin layer over the library (argument parsing, file names,
//! progress and messages). Each subcommand lives in its own file under `src/cli/`.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: it maps its arenas with transparent huge pages,
/// so the whole-image buffers of a run (about 100 MB at 4 MP) are faulted in 2 MiB pages rather
/// than 4 KiB ones (`hemato measure` on the 4 MP mosaic: 25,600 page faults down to 280) and
/// the random accesses of the watershed miss the TLB less. Measured in
/// docs/performance-notes.md; the library leaves the choice of allocator to its users.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let arguments = cli::Arguments::parse();
    match cli::run(arguments) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", cli::message(&error));
            ExitCode::FAILURE
        }
    }
}
