//! `--export`: `telegcrm export` and `telegcrm import telegcrm-export` at scale. A generated
//! Telegram Desktop export of `--messages` messages is imported (as `--import` does), exported as
//! NDJSON, restored into a second, empty store of the same kind, and exported again; the two
//! exports must be the same bytes.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use telegcrm_domain::ports::Store;
use telegcrm_domain::{AvatarId, CrmService};
use telegcrm_export::{ExportSummary, Format, RestoreOptions, RestoreSummary, WriteSink, export, restore};

/// What the run measured.
pub struct Figures {
    /// Messages imported to start with.
    pub messages: u64,
    /// The first export.
    pub export: ExportSummary,
    /// Seconds the first export took.
    pub export_seconds: f64,
    /// The restore.
    pub restore: RestoreSummary,
    /// Seconds the restore took.
    pub restore_seconds: f64,
    /// Whether the export of the restored store is the same bytes.
    pub identical: bool,
    /// The process's peak RSS during the first export (from the RSS it started at).
    pub export_peak_rss: Option<u64>,
    /// The process's peak RSS during the restore.
    pub restore_peak_rss: Option<u64>,
}

/// The peak RSS since the last reset, when it can be reset (Linux).
fn phase_peak(reset: bool) -> Option<u64> {
    if reset { crate::peak_rss_bytes() } else { None }
}

async fn export_to(service: &CrmService, owner: AvatarId, path: &Path) -> Result<ExportSummary, Box<dyn std::error::Error>> {
    let mut sink = WriteSink(std::io::BufWriter::new(std::fs::File::create(path)?));
    let summary = export(service, owner, Format::Ndjson, &mut sink).await?;
    std::io::Write::flush(&mut sink.0)?;
    Ok(summary)
}

/// Whether two files hold the same bytes, read a chunk at a time (an export is hundreds of MB).
fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    if std::fs::metadata(a)?.len() != std::fs::metadata(b)?.len() {
        return Ok(false);
    }
    let (mut a, mut b) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    let (mut x, mut y) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = a.read(&mut x)?;
        if n == 0 {
            return Ok(true);
        }
        b.read_exact(&mut y[..n])?;
        if x[..n] != y[..n] {
            return Ok(false);
        }
    }
}

/// Imports a generated export into `source`, then exports, restores into `target`, exports again.
pub async fn run(
    source: Arc<dyn Store>,
    target: Arc<dyn Store>,
    scratch: &Path,
    messages: usize,
    seed: u64,
) -> Result<Figures, Box<dyn std::error::Error>> {
    let imported = crate::import::run(source.clone(), scratch, messages, seed).await?;
    let owner = imported.owner;
    let source = CrmService::new(source);
    let first = scratch.join("first.ndjson");
    let reset = crate::reset_peak_rss();
    let t = Instant::now();
    let export = export_to(&source, owner, &first).await?;
    let export_seconds = t.elapsed().as_secs_f64();
    let export_peak_rss = phase_peak(reset);
    eprintln!("exported {} records ({:.0} MB) in {export_seconds:.1}s", export.records.total(), export.bytes as f64 / 1e6);

    let target = CrmService::new(target);
    let reset = crate::reset_peak_rss();
    let t = Instant::now();
    let restored = restore(&target, &first, RestoreOptions::default(), &mut |_| {}).await?;
    let restore_seconds = t.elapsed().as_secs_f64();
    let restore_peak_rss = phase_peak(reset);
    eprintln!("restored {} records in {restore_seconds:.1}s", restored.report.restored);

    let second = scratch.join("second.ndjson");
    export_to(&target, owner, &second).await?;
    let identical = same_bytes(&first, &second)?;
    std::fs::remove_file(&first)?;
    std::fs::remove_file(&second)?;
    Ok(Figures {
        messages: imported.stored,
        export,
        export_seconds,
        restore: restored,
        restore_seconds,
        identical,
        export_peak_rss,
        restore_peak_rss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_generated_store_exports_restores_and_exports_the_same_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let source: Arc<dyn Store> = Arc::new(telegcrm_store_memory::MemoryStore::new());
        let target: Arc<dyn Store> = Arc::new(telegcrm_store_memory::MemoryStore::new());
        let figures = run(source, target, dir.path(), 1_500, 7).await.expect("run");
        assert_eq!(figures.export.records.messages, 1_500);
        assert_eq!(figures.restore.report.restored, figures.export.records.total());
        assert!(figures.identical);
    }
}
