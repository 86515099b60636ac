//! `cargo xtask fuzz [TARGET] [--seconds N] [-- LIBFUZZER_ARGS]`: seeds the corpus of each cargo-fuzz
//! target (`fuzz/`) from the repository's Telegram fixtures and runs it for N seconds (default 60;
//! every target when none is named). Needs `cargo install cargo-fuzz` and a nightly toolchain
//! (`rustup toolchain install nightly --profile minimal`). See docs/fuzzing.md.

use std::fs;
use std::path::Path;
use std::process::Command;

/// The fuzz targets, as `fuzz/Cargo.toml` names them.
pub const TARGETS: [&str; 4] = ["telegram_update", "search_query", "desktop_export", "telegcrm_export"];
/// Where the Telegram update fixtures live (copied from the shared fixtures with their manifest).
const UPDATE_FIXTURES: &str = "crates/telegcrm-testkit/fixtures/telegram/bot_updates";
/// The real Telegram Desktop exports (`result.json` files), next to the repository like the
/// import tests read them.
const DESKTOP_EXPORTS: &str = "../shared/fixtures/telegram/desktop_export";
/// Telegcrm exports (NDJSON and holons) of those samples, committed.
const TELEGCRM_EXPORTS: &str = "fuzz/seeds/telegcrm_export";
/// Queries and texts that reach the search parser's branches quickly.
const SEARCH_SEEDS: [&str; 10] = [
    "invoice blue",
    "\"next week\" deliv*",
    "e-mail",
    "Un café crème, s'il vous plaît",
    "Счёт на оплату: срочно!",
    "\"unterminated phrase",
    "**** \"\" * \"a\"",
    "ﬁ ligature Ⅻ ①",
    "😂 emoji Лол кек",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
];

/// Runs the command.
pub fn run(args: &[String]) -> Result<(), String> {
    let (ours, libfuzzer) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let mut seconds: u64 = 60;
    let mut targets: Vec<&str> = Vec::new();
    let mut it = ours.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = it.next().and_then(|s| s.parse().ok()).ok_or("--seconds needs a whole number of seconds")?;
            }
            t if TARGETS.contains(&t) => targets.push(t),
            other => return Err(format!("unknown fuzz argument {other:?}; targets: {}", TARGETS.join(", "))),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    let root = crate::root();
    for target in targets {
        let corpus = root.join("fuzz").join("corpus").join(target);
        let seeded = seed(&root, target, &corpus)?;
        eprintln!("xtask: fuzz {target}: {seeded} seeds in {}", corpus.display());
        crate::run(
            &format!("cargo +nightly fuzz run {target} for {seconds} s"),
            Command::new("cargo")
                .current_dir(&root)
                .env_remove("RUSTUP_TOOLCHAIN")
                .env_remove("CARGO")
                .args(["+nightly", "fuzz", "run", target])
                .arg(&corpus)
                .arg("--")
                .arg(format!("-max_total_time={seconds}"))
                .args(libfuzzer),
        )?;
    }
    Ok(())
}

/// Copies every file of `dir` (`.json` and `.ndjson`) into `corpus`; returns how many.
fn copy_seeds(dir: &Path, corpus: &Path) -> Result<usize, String> {
    let mut n = 0;
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "json" || x == "ndjson") {
            let to = corpus.join(format!("seed-{}", entry.file_name().to_string_lossy()));
            fs::copy(&path, &to).map_err(|e| format!("cannot copy {} to {}: {e}", path.display(), to.display()))?;
            n += 1;
        }
    }
    Ok(n)
}

/// Writes the target's seeds into its corpus directory (kept across runs); returns how many.
fn seed(root: &Path, target: &str, corpus: &Path) -> Result<usize, String> {
    fs::create_dir_all(corpus).map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
    match target {
        "desktop_export" => return copy_seeds(&root.join(DESKTOP_EXPORTS), corpus),
        "telegcrm_export" => return copy_seeds(&root.join(TELEGCRM_EXPORTS), corpus),
        _ => {}
    }
    // Both other targets read text: the updates are good seeds for the search parser too.
    let mut n = copy_seeds(&root.join(UPDATE_FIXTURES), corpus)?;
    if target == "search_query" {
        for (i, text) in SEARCH_SEEDS.iter().enumerate() {
            let to = corpus.join(format!("seed-query-{i}"));
            fs::write(&to, text).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
            n += 1;
        }
    }
    Ok(n)
}
