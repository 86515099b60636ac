//! `telegcrm import telegram-export PATH [--owner AVATAR] [--me ID] [--timezone TZ]`: a Telegram
//! Desktop export into the configured store (docs/import.md).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use indicatif::{ProgressBar, ProgressStyle};
use telegcrm_domain::AvatarId;
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

fn options(config: &Config, args: &Args) -> Result<Options, String> {
    let owner = match &args.owner {
        Some(text) => text.parse::<AvatarId>().map_err(|e| format!("--owner: {e}"))?,
        None => config.owner_avatar_id.ok_or("no owner: pass --owner AVATAR_ID or set TELEGCRM_OWNER_AVATAR_ID")?,
    };
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
}

impl Shown {
    /// The bar's length comes with the first progress report (the export's size).
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            let style = ProgressStyle::with_template("{bar:40.cyan/blue} {bytes}/{total_bytes} {msg} ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Self { bar, started: Instant::now(), last_line: Instant::now() }
    }

    fn rate(&self, messages: u64) -> u64 {
        let secs = self.started.elapsed().as_secs_f64();
        if secs > 0.0 { (messages as f64 / secs) as u64 } else { 0 }
    }

    fn update(&mut self, p: Progress) {
        let rate = self.rate(p.messages);
        match &self.bar {
            Some(bar) => {
                bar.set_length(p.total_bytes);
                bar.set_position(p.bytes_read);
                bar.set_message(format!("{} messages, {rate}/s", p.messages));
            }
            None if self.last_line.elapsed() >= Duration::from_secs(5) => {
                self.last_line = Instant::now();
                let percent = (p.bytes_read * 100).checked_div(p.total_bytes).unwrap_or(0);
                eprintln!("telegcrm import: {percent}% of the export read, {} messages, {rate} messages/s", p.messages);
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
    let options = match options(config, &args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("telegcrm import: {e}");
            return ExitCode::from(2);
        }
    };
    let service = match crate::cli_service(config).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut shown = Shown::new();
    let started = Instant::now();
    let result = import_telegram_export(&service, &args.path, &options, &mut |p| shown.update(p)).await;
    shown.finish();
    match result {
        Ok(summary) => {
            // The summary is the command's output, for people and scripts.
            #[allow(clippy::print_stdout)]
            for line in summary_lines(&summary, started.elapsed().as_secs_f64()) {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("telegcrm import: {e}");
            eprintln!("telegcrm import: what was stored stays; run the same command again to continue");
            ExitCode::from(2)
        }
    }
}
