//! `telegcrm-bench`: feeds a deterministic corpus through the real ingest path of a store, then
//! measures search, the inbox and the size on disk, next to reference points measured on the
//! same data (raw SQLite insert, raw FTS5 match, a `LIKE` scan). Prints a table, and as its last
//! line one JSON object.

// A command-line tool: its output is the point.
#![allow(clippy::print_stdout)]

mod corpus;
mod export;
mod import;
mod reference;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use telegcrm_domain::ports::{ContactFilter, ConversationFilter, Store};
use telegcrm_domain::search::SearchFilters;
use telegcrm_domain::{ConversationStatus, CrmService, PageRequest, Priority};

use crate::corpus::{Generator, Rng};

/// Which store to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    Sqlite,
    Memory,
    Mongo,
}

/// Benchmarks a Telegcrm store on a generated corpus.
#[derive(Debug, Parser)]
#[command(name = "telegcrm-bench", version)]
struct Args {
    /// The store to measure.
    #[arg(long, value_enum, default_value = "sqlite")]
    store: StoreKind,
    /// How many messages to generate.
    #[arg(long, default_value_t = 100_000)]
    messages: usize,
    /// The corpus seed (the same seed gives the same corpus).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the SQLite database goes (default: a temporary directory, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Measure `telegcrm import telegram-export` instead: a generated Telegram Desktop export of
    /// `--messages` messages imported into the store (SQLite: next to the raw insert of the same
    /// rows).
    #[arg(long)]
    import: bool,
    /// Measure `telegcrm export` and `telegcrm import telegcrm-export` instead: the store filled
    /// by a generated Telegram Desktop export of `--messages` messages, exported as NDJSON,
    /// restored into a second empty store of the same kind and exported again.
    #[arg(long)]
    export: bool,
    /// Mongo connection string, for `--store mongo`.
    #[arg(long, env = "MONGODB_URI", default_value = "mongodb://127.0.0.1:27017")]
    mongo_uri: String,
}

/// One query of the mix.
struct Query {
    kind: &'static str,
    q: String,
    filters: SearchFilters,
}

/// Latencies in milliseconds.
fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let idx = ((p / 100.0) * (s.len() - 1) as f64).round() as usize;
    s[idx.min(s.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Starts a new high-water mark at the current RSS (Linux `clear_refs`), so a phase's peak can be
/// read on its own; whether it could.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(run(args))
}

async fn open(args: &Args, dir: &std::path::Path) -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
    Ok(match args.store {
        StoreKind::Sqlite => {
            let dir = dir.to_path_buf();
            Arc::new(tokio::task::spawn_blocking(move || telegcrm_store_sqlite::SqliteStore::open(&dir)).await??)
        }
        StoreKind::Memory => Arc::new(telegcrm_store_memory::MemoryStore::new()),
        StoreKind::Mongo => {
            // A fresh database per run, so a second run does not find the first one's messages.
            let db = format!("telegcrm_bench_{}_{}", args.seed, std::process::id());
            Arc::new(telegcrm_store_mongo::MongoStore::connect(&args.mongo_uri, &db).await?)
        }
    })
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().join("data"));
    let store = open(&args, &dir).await?;
    if args.import {
        return import_report(&args, store, temp.path(), &dir).await;
    }
    if args.export {
        let target = open(&args, &temp.path().join("restored")).await?;
        return export_report(&args, store, target, temp.path()).await;
    }
    let service = CrmService::new(store.clone());

    // 1. Ingest, in batches of 100 events, one after the other as the poller does.
    let mut generator = Generator::new(args.seed, args.messages);
    let mut ingest_time = Duration::ZERO;
    let mut stored = 0u64;
    let started = Instant::now();
    while generator.remaining() > 0 {
        let batch = generator.next_batch(100);
        let t = Instant::now();
        let report = service.ingest(batch, vec![("bench:offset".into(), stored.to_string())]).await?;
        ingest_time += t.elapsed();
        stored += report.messages_stored;
    }
    let ingest_rate = stored as f64 / ingest_time.as_secs_f64();
    eprintln!("ingested {stored} messages in {:.1}s (with generation {:.1}s)", ingest_time.as_secs_f64(), started.elapsed().as_secs_f64());

    // 2. The query mix.
    let owner = generator.corpus.owner;
    let contacts = store.list_contacts(owner, &ContactFilter::default(), &PageRequest::first(200)?).await?.items;
    let queries = query_mix(&generator, &contacts.iter().map(|c| c.id).collect::<Vec<_>>());
    let page = PageRequest::first(20)?;
    // Warm the caches once, as a running server would have them.
    for q in queries.iter().take(50) {
        service.search_messages(owner, &q.q, &q.filters, &page).await?;
    }
    let mut search_ms = Vec::with_capacity(queries.len());
    let mut by_kind: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for q in &queries {
        let t = Instant::now();
        service.search_messages(owner, &q.q, &q.filters, &page).await?;
        let d = ms(t.elapsed());
        search_ms.push(d);
        let label = format!("{}{}", q.kind, if q.filters == SearchFilters::default() { "" } else { " +filter" });
        by_kind.entry(label).or_default().push(d);
    }

    // 3. The inbox: GET /conversations, first page.
    let mut inbox_ms = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        store.list_conversations(owner, &ConversationFilter::default(), &PageRequest::default()).await?;
        inbox_ms.push(ms(t.elapsed()));
    }

    // 4. Reference points on the same data (SQLite only), size and memory.
    let refs = if args.store == StoreKind::Sqlite {
        let file = dir.join(telegcrm_store_sqlite::FILE_NAME);
        let texts: Vec<&str> = queries.iter().map(|q| q.q.as_str()).collect();
        Some(reference::measure(&file, &texts)?)
    } else {
        None
    };
    let db_bytes = if args.store == StoreKind::Sqlite { Some(dir_bytes(&dir)) } else { None };
    let peak_rss = peak_rss_bytes();
    drop(service);
    drop(store);

    // 5. Report.
    let (p50, p99) = (percentile(&search_ms, 50.0), percentile(&search_ms, 99.0));
    let inbox_p99 = percentile(&inbox_ms, 99.0);
    println!("Telegcrm store benchmark — store {:?}, {} messages, seed {}", args.store, stored, args.seed);
    println!("{:<34} {:>14}", "measure", "value");
    println!("{:<34} {:>14.0}", "ingest (msgs/s)", ingest_rate);
    if let Some(r) = &refs {
        println!("{:<34} {:>14.0}", "raw insert, same rows (msgs/s)", r.raw_insert_rate);
        println!("{:<34} {:>13.0}%", "ingest / raw insert", 100.0 * ingest_rate / r.raw_insert_rate);
    }
    println!("{:<34} {:>14.3}", "search p50 (ms)", p50);
    println!("{:<34} {:>14.3}", "search p99 (ms)", p99);
    for (kind, samples) in &by_kind {
        println!("  {:<32} {:>6.3} / {:>6.3}", format!("{kind} p50/p99"), percentile(samples, 50.0), percentile(samples, 99.0));
    }
    if let Some(r) = &refs {
        println!("{:<34} {:>14.3}", "raw FTS5 MATCH p50 (ms)", percentile(&r.fts_ms, 50.0));
        println!("{:<34} {:>14.3}", "raw FTS5 MATCH p99 (ms)", percentile(&r.fts_ms, 99.0));
        println!("{:<34} {:>14.2}", "search p50 / raw FTS5 p50", p50 / percentile(&r.fts_ms, 50.0));
        println!("{:<34} {:>14.3}", "LIKE '%word%' scan p50 (ms)", percentile(&r.like_ms, 50.0));
        println!("{:<34} {:>14.1}", "LIKE p50 / search p50", percentile(&r.like_ms, 50.0) / p50);
        // Per kind: the LIKE scan stops at the 20th hit, so it is quick for common words and
        // reads the whole table for rare ones.
        for (k, kind) in KINDS.iter().enumerate() {
            let like: Vec<f64> = r.like_ms.iter().zip(&r.like_kind).filter(|(_, i)| **i == k).map(|(m, _)| *m).collect();
            let ours: Vec<f64> = search_ms.iter().enumerate().filter(|(i, _)| i % KINDS.len() == k).map(|(_, m)| *m).collect();
            println!(
                "  {:<32} {:>6.3} / {:>6.3} ({:.1}x)",
                format!("LIKE / search p50, {kind}"),
                percentile(&like, 50.0),
                percentile(&ours, 50.0),
                percentile(&like, 50.0) / percentile(&ours, 50.0)
            );
        }
    }
    println!("{:<34} {:>14.3}", "inbox first page p99 (ms)", inbox_p99);
    if let Some(b) = db_bytes {
        println!("{:<34} {:>14.1}", "database on disk (MiB)", b as f64 / 1_048_576.0);
    }
    if let Some(r) = peak_rss {
        println!("{:<34} {:>14.1}", "peak RSS (MiB)", r as f64 / 1_048_576.0);
    }
    let json = serde_json::json!({
        "store": format!("{:?}", args.store).to_lowercase(),
        "messages": stored,
        "ingest_msgs_per_s": ingest_rate.round(),
        "raw_insert_msgs_per_s": refs.as_ref().map(|r| r.raw_insert_rate.round()),
        "search_p50_ms": p50,
        "search_p99_ms": p99,
        "raw_fts_p50_ms": refs.as_ref().map(|r| percentile(&r.fts_ms, 50.0)),
        "like_scan_p50_ms": refs.as_ref().map(|r| percentile(&r.like_ms, 50.0)),
        "list_conversations_p99_ms": inbox_p99,
        "db_bytes": db_bytes,
        "peak_rss_bytes": peak_rss,
    });
    println!("{json}");
    Ok(())
}

/// `--import`: the import's rate and memory, and the raw insert of the rows it stored.
async fn import_report(
    args: &Args,
    store: Arc<dyn Store>,
    scratch: &std::path::Path,
    dir: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let figures = import::run(store.clone(), scratch, args.messages, args.seed).await?;
    drop(store);
    let peak_rss = peak_rss_bytes();
    let raw =
        if args.store == StoreKind::Sqlite { Some(reference::raw_insert(&dir.join(telegcrm_store_sqlite::FILE_NAME))?) } else { None };
    println!("Telegcrm import benchmark — store {:?}, {} messages, seed {}", args.store, figures.stored, args.seed);
    println!("{:<34} {:>14}", "measure", "value");
    println!("{:<34} {:>14.1}", "export size (MB)", figures.bytes as f64 / 1e6);
    println!("{:<34} {:>14.1}", "import time (s)", figures.seconds);
    println!("{:<34} {:>14.0}", "import (msgs/s)", figures.rate);
    if let Some(r) = raw {
        println!("{:<34} {:>14.0}", "raw insert, same rows (msgs/s)", r);
        println!("{:<34} {:>13.0}%", "import / raw insert", 100.0 * figures.rate / r);
    }
    if let Some(r) = peak_rss {
        println!("{:<34} {:>14.1}", "peak RSS (MiB)", r as f64 / 1_048_576.0);
    }
    let json = serde_json::json!({
        "store": format!("{:?}", args.store).to_lowercase(),
        "import": true,
        "messages": figures.stored,
        "export_bytes": figures.bytes,
        "import_msgs_per_s": figures.rate.round(),
        "raw_insert_msgs_per_s": raw.map(f64::round),
        "peak_rss_bytes": peak_rss,
    });
    println!("{json}");
    Ok(())
}

/// `--export`: export and restore rates and memory, and whether the round trip is identical.
async fn export_report(
    args: &Args,
    source: Arc<dyn Store>,
    target: Arc<dyn Store>,
    scratch: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let f = export::run(source, target, scratch, args.messages, args.seed).await?;
    let peak_rss = peak_rss_bytes();
    let records = f.export.records.total() as f64;
    println!("Telegcrm export benchmark — store {:?}, {} messages, seed {}", args.store, f.messages, args.seed);
    println!("{:<34} {:>14}", "measure", "value");
    println!("{:<34} {:>14.0}", "records exported", records);
    println!("{:<34} {:>14.1}", "export size (MB)", f.export.bytes as f64 / 1e6);
    println!("{:<34} {:>14.1}", "export time (s)", f.export_seconds);
    println!("{:<34} {:>14.0}", "export (records/s)", records / f.export_seconds);
    println!("{:<34} {:>14.1}", "restore time (s)", f.restore_seconds);
    println!("{:<34} {:>14.0}", "restore (records/s)", f.restore.report.restored as f64 / f.restore_seconds);
    println!("{:<34} {:>14}", "export again: same bytes", if f.identical { "yes" } else { "NO" });
    let mib = |r: Option<u64>| r.map_or_else(|| "n/a".to_owned(), |r| format!("{:.1}", r as f64 / 1_048_576.0));
    println!("{:<34} {:>14}", "peak RSS, export (MiB)", mib(f.export_peak_rss));
    println!("{:<34} {:>14}", "peak RSS, restore (MiB)", mib(f.restore_peak_rss));
    println!("{:<34} {:>14}", "peak RSS of the whole run (MiB)", mib(peak_rss));
    let json = serde_json::json!({
        "store": format!("{:?}", args.store).to_lowercase(),
        "export": true,
        "messages": f.messages,
        "records": f.export.records.total(),
        "export_bytes": f.export.bytes,
        "export_records_per_s": (records / f.export_seconds).round(),
        "restore_records_per_s": (f.restore.report.restored as f64 / f.restore_seconds).round(),
        "identical": f.identical,
        "export_peak_rss_bytes": f.export_peak_rss,
        "restore_peak_rss_bytes": f.restore_peak_rss,
        "peak_rss_bytes": peak_rss,
    });
    println!("{json}");
    if f.identical { Ok(()) } else { Err("the export of the restored store differs from the first export".into()) }
}

/// The kinds of query, in the order the mix cycles through them.
const KINDS: [&str; 5] = ["common word", "rare word", "two words", "phrase", "prefix"];

/// 500 queries: five kinds, each 50 times without and 50 times with a filter.
fn query_mix(g: &Generator, contacts: &[telegcrm_domain::ContactId]) -> Vec<Query> {
    let mut rng = Rng::new(0xBE7C_u64 ^ g.corpus.samples.len() as u64);
    let words = &g.corpus.vocabulary.words;
    let end = g.corpus.start + chrono::Duration::seconds((g.corpus.chats.len() as i64 * 50) * 20);
    let mut out = Vec::new();
    for filtered in [false, true] {
        for i in 0..50 {
            let filters = if filtered {
                match i % 4 {
                    0 => SearchFilters { from: Some(end - chrono::Duration::days(30)), ..Default::default() },
                    1 => SearchFilters { status: Some(ConversationStatus::Active), ..Default::default() },
                    2 => SearchFilters { contact_id: contacts.get(rng.below(contacts.len().max(1))).copied(), ..Default::default() },
                    _ => SearchFilters { priority: Some(Priority::Medium), from: Some(g.corpus.start), ..Default::default() },
                }
            } else {
                SearchFilters::default()
            };
            let common = words[rng.below(10)].clone();
            let rare = words[5_000 + rng.below(15_000)].clone();
            let two = format!("{} {}", words[10 + rng.below(290)], words[10 + rng.below(290)]);
            let phrase = {
                let sample = g.corpus.samples.get(rng.below(g.corpus.samples.len().max(1))).cloned().unwrap_or_default();
                let ws: Vec<&str> = sample.split_whitespace().collect();
                let k = rng.below(ws.len().saturating_sub(1).max(1));
                format!("\"{} {}\"", ws.get(k).unwrap_or(&"the"), ws.get(k + 1).unwrap_or(&"order"))
            };
            let prefix = format!("{}*", words[20 + rng.below(480)].chars().take(3).collect::<String>());
            for (kind, q) in [("common word", common), ("rare word", rare), ("two words", two), ("phrase", phrase), ("prefix", prefix)] {
                out.push(Query { kind, q, filters: filters.clone() });
            }
        }
    }
    out
}
