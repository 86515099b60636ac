//! `telegcrm export [--owner AVATAR] [--format ndjson|holons|csv] [--table T] [--out FILE]`:
//! an owner's data out of the configured store (docs/export.md).

use std::path::PathBuf;
use std::process::ExitCode;

use telegcrm_export::{ExportSummary, Format, WriteSink, export};

use crate::config::Config;

/// What the command was given.
#[derive(Debug)]
pub struct Args {
    /// `--owner`.
    pub owner: Option<String>,
    /// `--format`.
    pub format: String,
    /// `--table`.
    pub table: Option<String>,
    /// `--out`; standard output when absent.
    pub out: Option<PathBuf>,
}

fn summary_line(s: &ExportSummary, format: Format, to: &str) -> String {
    let r = &s.records;
    format!(
        "exported {} contacts, {} conversations, {} messages, {} follow-ups as {format} ({:.1} MB) to {to}",
        r.contacts,
        r.conversations,
        r.messages,
        r.followups,
        s.bytes as f64 / 1e6
    )
}

/// Runs the command: the export on stdout or in `--out` (written to `FILE.partial`, renamed when
/// complete, so a failed export leaves no half file), the summary on stderr; exit 0, or 2 on an
/// error.
pub async fn run(config: &Config, args: Args) -> ExitCode {
    let checked = crate::import::owner(config, args.owner.as_deref())
        .and_then(|owner| Format::parse(&args.format, args.table.as_deref()).map(|f| (owner, f)).map_err(|e| format!("--{e}")));
    let ((owner, format), service) = match crate::import::prepare("export", config, checked).await {
        Ok(p) => p,
        Err(code) => return code,
    };
    let result = match &args.out {
        None => export(&service, owner, format, &mut WriteSink(std::io::stdout()))
            .await
            .map(|s| (s, "standard output".to_owned()))
            .map_err(|e| e.to_string()),
        Some(path) => {
            let partial = path.with_extension(match path.extension() {
                Some(ext) => format!("{}.partial", ext.to_string_lossy()),
                None => "partial".to_owned(),
            });
            let written = match std::fs::File::create(&partial) {
                Ok(file) => {
                    let mut sink = WriteSink(std::io::BufWriter::new(file));
                    let done = export(&service, owner, format, &mut sink).await.map_err(|e| e.to_string());
                    let flushed = std::io::Write::flush(&mut sink.0).map_err(|e| format!("writing {}: {e}", partial.display()));
                    done.and_then(|s| flushed.map(|()| s)).and_then(|s| {
                        std::fs::rename(&partial, path).map(|()| s).map_err(|e| format!("renaming to {}: {e}", path.display()))
                    })
                }
                Err(e) => Err(format!("cannot create {}: {e}", partial.display())),
            };
            if written.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            written.map(|s| (s, path.display().to_string()))
        }
    };
    match result {
        Ok((summary, to)) => {
            eprintln!("telegcrm export: {}", summary_line(&summary, format, &to));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("telegcrm export: {e}");
            ExitCode::from(2)
        }
    }
}
