//! `telegcrm import telegram-export PATH [--owner AVATAR] [--me ID] [--timezone TZ]`: a Telegram
//! Desktop export into the configured store (docs/import.md); `telegcrm import telegcrm-export
//! FILE [--owner AVATAR]`: a Telegcrm export back (docs/export.md).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use indicatif::{ProgressBar, ProgressStyle};
use telegcrm_domain::{AvatarId, CrmService};
use telegcrm_export::{RestoreOptions, RestoreProgress, RestoreSummary, restore};
use telegcrm_import::{Options, Progress, Summary, import_telegram_export};

use crate::config::Config;

/// What the command was given.
#[derive(Debug)]
pub struct Args {
    /// `result.json`, or the export's folder.
    pub path: PathBuf,
    /// `--owner`.
    pub owner: Option<String>,
    /// `--me`.
    pub me: Option<i64>,
    /// `--timezone`.
    pub timezone: Option<String>,
}

/// What a command on the store needs before it starts: its checked arguments, and the service
/// over the configured store. On failure the error is printed and the exit code (2) returned.
pub(crate) async fn prepare<T>(command: &str, config: &Config, checked: Result<T, String>) -> Result<(T, CrmService), ExitCode> {
    let checked = checked.map_err(|e| {
        eprintln!("telegcrm {command}: {e}");
        ExitCode::from(2)
    })?;
    Ok((checked, crate::cli_service(config).await?))
}

/// `--owner`, or the configured owner.
pub(crate) fn owner(config: &Config, given: Option<&str>) -> Result<AvatarId, String> {
    match given {
        Some(text) => text.parse::<AvatarId>().map_err(|e| format!("--owner: {e}")),
        None => config.owner_avatar_id.ok_or_else(|| "no owner: pass --owner AVATAR_ID or set TELEGCRM_OWNER_AVATAR_ID".to_owned()),
    }
}

fn options(config: &Config, args: &Args) -> Result<Options, String> {
    let owner = owner(config, args.owner.as_deref())?;
    let timezone = match &args.timezone {
        Some(name) => Some(
            name.parse::<Tz>()
                .map_err(|_| format!("--timezone: {name:?} is not a time zone (an IANA name such as Europe/Berlin, or UTC)"))?,
        ),
        None => None,
    };
    Ok(Options { owner, me: args.me, timezone })
}

/// Shows progress: a bar with rate and ETA on a terminal, a plain line every few seconds
/// otherwise (logs, CI).
struct Shown {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
    /// What is counted: "messages", "records".
    noun: &'static str,
}

impl Shown {
    /// The bar's length comes with the first progress report (the export's size).
    fn new(noun: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            let style = ProgressStyle::with_template("{bar:40.cyan/blue} {bytes}/{total_bytes} {msg} ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Self { bar, started: Instant::now(), last_line: Instant::now(), noun }
    }

    fn rate(&self, messages: u64) -> u64 {
        let secs = self.started.elapsed().as_secs_f64();
        if secs > 0.0 { (messages as f64 / secs) as u64 } else { 0 }
    }

    fn update(&mut self, p: Progress) {
        let (count, noun) = (p.messages, self.noun);
        let rate = self.rate(count);
        match &self.bar {
            Some(bar) => {
                bar.set_length(p.total_bytes);
                bar.set_position(p.bytes_read);
                bar.set_message(format!("{count} {noun}, {rate}/s"));
            }
            None if self.last_line.elapsed() >= Duration::from_secs(5) => {
                self.last_line = Instant::now();
                let percent = (p.bytes_read * 100).checked_div(p.total_bytes).unwrap_or(0);
                eprintln!("telegcrm import: {percent}% of the export read, {count} {noun}, {rate} {noun}/s");
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn summary_lines(s: &Summary, seconds: f64) -> Vec<String> {
    let rate = if seconds > 0.0 { ((s.stored + s.already_stored) as f64 / seconds) as u64 } else { 0 };
    let mut lines = vec![format!(
        "imported {} chats: {} messages read, {} stored, {} already stored, {} contacts; {:.1} MB in {seconds:.1} s ({rate} messages/s)",
        s.chats,
        s.messages_read,
        s.stored,
        s.already_stored,
        s.contacts,
        s.bytes as f64 / 1e6
    )];
    lines.extend(s.skipped.iter().map(|(reason, n)| format!("skipped {n}: {reason}")));
    lines
}

/// Runs the command: the summary on stdout, progress and errors on stderr; exit 0, or 2 on an
/// error (what was stored stays; running again continues).
pub async fn run(config: &Config, args: Args) -> ExitCode {
    let (options, service) = match prepare("import", config, options(config, &args)).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut shown = Shown::new("messages");
    let started = Instant::now();
    let result = import_telegram_export(&service, &args.path, &options, &mut |p| shown.update(p)).await;
    shown.finish();
    conclude(result.map(|summary| (summary_lines(&summary, started.elapsed().as_secs_f64()), ExitCode::SUCCESS)).map_err(|e| e.to_string()))
}

/// What `telegcrm import telegcrm-export` was given.
#[derive(Debug)]
pub struct RestoreArgs {
    /// The export file.
    pub path: PathBuf,
    /// `--owner`.
    pub owner: Option<String>,
}

fn restore_lines(s: &RestoreSummary, seconds: f64) -> Vec<String> {
    let r = &s.report;
    let rate = if seconds > 0.0 { ((r.restored + r.already_stored + r.conflicts) as f64 / seconds) as u64 } else { 0 };
    let mut lines = vec![format!(
        "restored {} records from a {} export ({} contacts, {} conversations, {} messages, {} follow-ups read): {} stored, {} already stored; {:.1} MB in {seconds:.1} s ({rate} records/s)",
        s.read.total(),
        s.format,
        s.read.contacts,
        s.read.conversations,
        s.read.messages,
        s.read.followups,
        r.restored,
        r.already_stored,
        s.bytes as f64 / 1e6,
    )];
    if r.conflicts > 0 {
        lines.push(format!(
            "{} records not restored: the store holds other records for the same chat, Telegram user, message or follow-up (restore into an empty store)",
            r.conflicts
        ));
    }
    lines
}

/// Runs `telegcrm import telegcrm-export`: the summary on stdout; exit 0, 1 when records
/// conflicted with what the store holds, 2 on an error (what was stored stays; run again).
pub async fn run_restore(config: &Config, args: RestoreArgs) -> ExitCode {
    let given = args.owner.as_deref().map(|o| o.parse::<AvatarId>().map_err(|e| format!("--owner: {e}"))).transpose();
    let (owner, service) = match prepare("import", config, given).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut shown = Shown::new("records");
    let started = Instant::now();
    let mut report = |p: RestoreProgress| {
        shown.update(Progress { bytes_read: p.bytes_read, total_bytes: p.total_bytes, messages: p.records });
    };
    let result = restore(&service, &args.path, RestoreOptions { owner }, &mut report).await;
    shown.finish();
    conclude(
        result
            .map(|summary| {
                let code = if summary.report.conflicts > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS };
                (restore_lines(&summary, started.elapsed().as_secs_f64()), code)
            })
            .map_err(|e| e.to_string()),
    )
}

/// Ends an import: its summary on stdout and its exit code, or the error on stderr and exit 2
/// (what was stored stays; running the same command again continues).
fn conclude(result: Result<(Vec<String>, ExitCode), String>) -> ExitCode {
    match result {
        Ok((lines, code)) => {
            // The summary is the command's output, for people and scripts.
            #[allow(clippy::print_stdout)]
            for line in lines {
                println!("{line}");
            }
            code
        }
        Err(e) => {
            eprintln!("telegcrm import: {e}");
            eprintln!("telegcrm import: what was stored stays; run the same command again to continue");
            ExitCode::from(2)
        }
    }
}
