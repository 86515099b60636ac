//! Project automation: `cargo xtask <command>`. Plain Rust and std only, so it builds in seconds.
//!
//! - `cargo xtask test`  — formatting check, clippy with warnings denied, then every test of the
//!   workspace, with the services tests need (FerretDB for the Mongo store) installed and started,
//!   then schemathesis against the server (docs/schemathesis.md).
//! - `cargo xtask bench [ARGS]` — the storage benchmark (`telegcrm-bench`), release build;
//!   `--import` measures the history import instead, `--export` the export and its restore
//!   (docs/benchmarks.md).
//! - `cargo xtask bench-http [--conversations C] [--messages M] [--connections N] [--seconds S]
//!   [--requests R]` — the REST inbox and the dashboard's inbox and conversation pages: the
//!   release server with the embedded store, seeded through the webhook; server time, `wrk`
//!   (Debian package `wrk`) under load, and the cold first-page weight (docs/benchmarks.md).
//! - `cargo xtask schemathesis` — only the schemathesis step of `test`.
//! - `cargo xtask fuzz [TARGET] [--seconds N] [-- LIBFUZZER_ARGS]` — the cargo-fuzz targets of
//!   `fuzz/`, their corpus seeded from the Telegram fixtures (docs/fuzzing.md).

// A command-line tool: printing results is its job.
#![allow(clippy::print_stdout)]

mod bench_http;
mod ferretdb;
mod fuzz;
mod schemathesis;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("bench-http") => bench_http::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("schemathesis") => schemathesis::run(),
        _ => {
            eprintln!(
                "usage: cargo xtask <test [-- CARGO_TEST_ARGS] | schemathesis | bench [BENCH_ARGS] | bench-http [--conversations C] [--messages M] [--connections N] [--seconds S] [--requests R] | fuzz [TARGET] [--seconds N]>"
            );
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

pub(crate) fn root() -> PathBuf {
    // xtask lives one level below the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

pub(crate) fn run(what: &str, cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask: {what}");
    let status = cmd.status().map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{what} failed ({status})")) }
}

fn test(extra: &[String]) -> Result<(), String> {
    run("cargo fmt --check", cargo().args(["fmt", "--all", "--", "--check"]))?;
    run("cargo clippy", cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    let mut cmd = cargo();
    cmd.args(["test", "--workspace"]).args(extra.iter().skip_while(|a| *a == "--"));
    // The Mongo store's tests need a Mongo-wire server: FerretDB, unless MONGODB_URI names one.
    let _ferretdb = mongo_server(&mut cmd)?;
    run("cargo test", &mut cmd)?;
    schemathesis::run()
}

fn bench(extra: &[String]) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.args(["run", "--release", "--quiet", "-p", "telegcrm-bench", "--"]).args(extra);
    let wants_mongo = extra.windows(2).any(|w| w[0] == "--store" && w[1] == "mongo") || extra.iter().any(|a| a == "--store=mongo");
    let _ferretdb = if wants_mongo { mongo_server(&mut cmd)? } else { None };
    run("benchmark", &mut cmd)
}

/// Points `cmd` at a Mongo-wire server: MONGODB_URI when set, else a FerretDB started for it.
fn mongo_server(cmd: &mut Command) -> Result<Option<ferretdb::FerretDb>, String> {
    if let Ok(uri) = env::var("MONGODB_URI")
        && !uri.trim().is_empty()
    {
        eprintln!("xtask: using MONGODB_URI from the environment");
        return Ok(None);
    }
    let target = env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let binary = ferretdb::ensure_installed(&target)?;
    let data = target.join("tmp").join(format!("ferretdb-{}", std::process::id()));
    let server = ferretdb::start(&binary, &data)?;
    eprintln!("xtask: FerretDB listening at {}", server.uri());
    cmd.env("MONGODB_URI", server.uri());
    Ok(Some(server))
}
