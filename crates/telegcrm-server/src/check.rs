//! `telegcrm check [--repair] [--retry-parked] [--discard-parked ID]`: the store answers, its
//! counters agree with its messages, and no Telegram update waits parked.

use std::process::ExitCode;

use telegcrm_domain::ParkedUpdate;
use telegcrm_domain::service::{CHECK_LISTS_PARKED, CheckReport};
use telegcrm_telegram::{RetrySummary, TelegramIngest};

use crate::config::Config;

/// What the command was asked to do.
#[derive(Debug, Default)]
pub struct Options {
    /// Write recounted counters.
    pub repair: bool,
    /// Replay the parked updates first.
    pub retry_parked: bool,
    /// Parked updates to forget first.
    pub discard_parked: Vec<i64>,
}

/// Runs the command: its report on stdout, errors on stderr; exit 0 (all well), 1 (counters
/// differ without `--repair`, or updates stay parked), 2 (an error).
pub async fn run(config: &Config, options: Options) -> ExitCode {
    let service = match crate::cli_service(config).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Err(e) = service.ping().await {
        eprintln!("telegcrm: TELEGCRM_STORE: the store does not answer: {e}");
        return ExitCode::from(2);
    }
    let mut out = Vec::new();
    for &id in &options.discard_parked {
        match service.discard_parked(id).await {
            Ok(()) => out.push(format!("discarded parked update {id}")),
            Err(e) => {
                eprintln!("telegcrm: check --discard-parked {id}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if options.retry_parked {
        // Decoding a parked update needs what polling needs: the owner of the bot's chats, and
        // the bot's id (from the token) to tell its own messages.
        let bot_id = config.telegram_bot_token.as_ref().and_then(|t| telegcrm_telegram::api::bot_id_from_token(t.expose()));
        let ingest = TelegramIngest::new(service.clone(), config.owner_avatar_id, bot_id);
        match ingest.retry_all_parked().await {
            Ok(summary) => out.extend(retry_lines(&summary)),
            Err(e) => {
                eprintln!("telegcrm: check --retry-parked: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let report = match service.check(options.repair).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("telegcrm: check: {e}");
            return ExitCode::from(2);
        }
    };
    out.extend(report_lines(&report));
    // The report is the command's output, for people and scripts.
    #[allow(clippy::print_stdout)]
    for line in out {
        println!("{line}");
    }
    let counters_differ = !report.differences.is_empty() && !report.repaired;
    if counters_differ || report.parked > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn retry_lines(s: &RetrySummary) -> Vec<String> {
    let mut lines: Vec<String> = s.stored.iter().map(|id| format!("parked update {id}: replayed and stored")).collect();
    lines.extend(s.refused.iter().map(|(id, e)| format!("parked update {id}: refused again: {e}")));
    lines.extend(s.unreadable.iter().map(|(id, e)| format!("parked update {id}: cannot be replayed: {e}")));
    lines.push(format!(
        "retried parked updates: {} stored, {} refused again, {} cannot be replayed",
        s.stored.len(),
        s.refused.len(),
        s.unreadable.len()
    ));
    lines
}

fn parked_line(p: &ParkedUpdate) -> String {
    let cut = if p.raw_truncated { ", raw JSON cut at 1 MiB" } else { "" };
    format!(
        "parked update {}: {} attempts, first {}, last {}{cut}: {}",
        p.update_id,
        p.attempts,
        p.first_attempt_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        p.last_attempt_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        p.error
    )
}

fn report_lines(report: &CheckReport) -> Vec<String> {
    let mut lines: Vec<String> = report.differences.iter().map(ToString::to_string).collect();
    lines.extend(report.parked_listed.iter().map(parked_line));
    if report.parked > report.parked_listed.len() as u64 {
        lines.push(format!(
            "… and {} more parked updates (the {CHECK_LISTS_PARKED} lowest ids are listed)",
            report.parked - report.parked_listed.len() as u64
        ));
    }
    let counters = match (report.differences.len(), report.repaired) {
        (0, _) => "all counters agree with the messages".to_owned(),
        (n, true) => format!("{n} differences, repaired"),
        (n, false) => format!("{n} differences (run `telegcrm check --repair` to write the recounted values)"),
    };
    lines.push(format!(
        "checked {} conversations, {} contacts, {} messages: {counters}",
        report.conversations, report.contacts, report.messages
    ));
    if report.parked > 0 {
        lines.push(format!(
            "{} parked updates: Telegram updates the store refused, kept with their raw JSON \
             (`telegcrm check --retry-parked` replays them once the cause is fixed, `--discard-parked <id>` forgets one)",
            report.parked
        ));
    }
    if report.parked_dropped > 0 {
        lines.push(format!("{} refused updates were dropped because the parked updates were at their cap", report.parked_dropped));
    }
    lines
}
