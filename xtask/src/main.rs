//! Project automation: `cargo xtask <command>`. Plain Rust and std only, so it builds in seconds.
//!
//! - `cargo xtask test`  — formatting check, clippy with warnings denied, then every test of the
//!   workspace, with the services tests need (FerretDB for the Mongo store) installed and started.
//! - `cargo xtask bench [ARGS]` — the storage benchmark (`telegcrm-bench`), release build.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("bench") => bench(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <test [-- CARGO_TEST_ARGS] | bench [BENCH_ARGS]>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    // xtask lives one level below the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

fn run(what: &str, cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask: {what}");
    let status = cmd.status().map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{what} failed ({status})")) }
}

fn test(extra: &[String]) -> Result<(), String> {
    run("cargo fmt --check", cargo().args(["fmt", "--all", "--", "--check"]))?;
    run("cargo clippy", cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    let mut cmd = cargo();
    cmd.args(["test", "--workspace"]).args(extra.iter().skip_while(|a| *a == "--"));
    run("cargo test", &mut cmd)
}

fn bench(extra: &[String]) -> Result<(), String> {
    run("benchmark", cargo().args(["run", "--release", "--quiet", "-p", "telegcrm-bench", "--"]).args(extra))
}
