//! `docs/cli.md` is the `--help` text of every subcommand, so the reference cannot drift from
//! the program. When a flag changes, regenerate the page with
//!
//!     HEMATO_BLESS=1 cargo test --release --test cli_reference
//!
//! and review the diff.

use std::path::Path;
use std::process::Command;

const INTRODUCTION: &str = "\
# Command-line reference

Every subcommand of `hemato`, in pipeline order, exactly as `hemato SUBCOMMAND --help` prints it.
This page is generated from the program (`HEMATO_BLESS=1 cargo test --release --test
cli_reference`) and a test fails when it differs from the program's help, so it is always
current. The pages beside it explain each step: [architecture](architecture.md),
[color](color.md), [threshold](threshold.md), [binary](binary.md),
[segmentation](segmentation.md), [measurements](measurements.md),
[classification](classification.md).
";

fn help(arguments: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_hemato"))
        .args(arguments)
        .env("COLUMNS", "100")
        .output()
        .expect("hemato runs");
    assert!(output.status.success(), "hemato {arguments:?} failed");
    String::from_utf8(output.stdout).expect("help is UTF-8")
}

/// The subcommand names in the order `hemato --help` lists them.
fn subcommands(overview: &str) -> Vec<String> {
    overview
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

fn reference() -> String {
    let overview = help(&["--help"]);
    let mut page = format!("{INTRODUCTION}\n## hemato\n\n```text\n{overview}```\n");
    for name in subcommands(&overview) {
        let text = help(&[&name, "--help"]);
        page.push_str(&format!("\n## hemato {name}\n\n```text\n{text}```\n"));
    }
    page
}

#[test]
fn the_cli_reference_is_the_programs_help() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md");
    let expected = reference();
    if std::env::var_os("HEMATO_BLESS").is_some() {
        std::fs::write(&path, &expected).expect("docs/cli.md written");
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/cli.md differs from the program's --help; regenerate it with \
         HEMATO_BLESS=1 cargo test --release --test cli_reference"
    );
}

#[test]
fn every_subcommand_is_listed() {
    let names = subcommands(&help(&["--help"]));
    for expected in ["deconvolve", "threshold", "segment", "measure", "train"] {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} missing from {names:?}"
        );
    }
}
