//! The disk cache of Telegram's files ([`FileCache`]): one file per key under a directory,
//! least recently used files removed past a size cap.
//!
//! Keys (Telegram's `file_unique_id`) are never used as paths: a file is named by its key in
//! hex, so no key can leave the directory. A file is written beside its final name and
//! renamed into place, so a reader never sees half of one. Reading a file marks it used (its
//! modification time), which is what eviction orders by.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_trait::async_trait;
use telegcrm_domain::ports::FileCache;
use tokio::sync::Mutex;

/// Telegram's files on disk, at most `cap` bytes of them.
#[derive(Debug)]
pub struct DiskFileCache {
    dir: PathBuf,
    cap: u64,
    /// Writes and evictions one at a time (reads need no lock).
    writing: Mutex<()>,
}

impl DiskFileCache {
    /// A cache in `dir` (created if missing) holding at most `cap` bytes.
    pub fn open(dir: &Path, cap: u64) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self { dir: dir.to_owned(), cap, writing: Mutex::new(()) })
    }

    /// The key's file: its bytes in hex (a long key: the start, and a hash of the whole).
    fn path_of(&self, key: &str) -> PathBuf {
        use std::fmt::Write as _;
        use std::hash::{Hash, Hasher};
        let bytes = key.as_bytes();
        let mut name = String::with_capacity(2 * bytes.len().min(80) + 17);
        for b in bytes.iter().take(80) {
            let _ = write!(name, "{b:02x}");
        }
        if bytes.len() > 80 {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            key.hash(&mut h);
            let _ = write!(name, "-{:016x}", h.finish());
        }
        self.dir.join(name)
    }

    /// Removes the least recently used files until the rest fit the cap.
    async fn evict(&self) -> std::io::Result<()> {
        let mut files: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
        let mut dir = tokio::fs::read_dir(&self.dir).await?;
        while let Some(entry) = dir.next_entry().await? {
            let meta = entry.metadata().await?;
            if meta.is_file() && !entry.file_name().to_string_lossy().ends_with(".part") {
                files.push((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), meta.len(), entry.path()));
            }
        }
        let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
        files.sort();
        for (_, len, path) in files {
            if total <= self.cap {
                break;
            }
            tokio::fs::remove_file(&path).await?;
            total -= len;
        }
        Ok(())
    }
}

#[async_trait]
impl FileCache for DiskFileCache {
    async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let path = self.path_of(key);
        let bytes = tokio::fs::read(&path).await.ok()?;
        // Mark it used; a file removed meanwhile is still answered from what was read.
        if let Ok(file) = std::fs::File::options().append(true).open(&path) {
            let _ = file.set_modified(SystemTime::now());
        }
        Some(bytes)
    }

    async fn put(&self, key: &str, bytes: &[u8]) {
        if bytes.len() as u64 > self.cap {
            return;
        }
        let _one = self.writing.lock().await;
        let path = self.path_of(key);
        let part = path.with_extension("part");
        let written = async {
            tokio::fs::write(&part, bytes).await?;
            tokio::fs::rename(&part, &path).await?;
            self.evict().await
        };
        if let Err(e) = written.await {
            tracing::warn!(error = %e, dir = %self.dir.display(), "could not keep a Telegram file in the media cache");
            let _ = tokio::fs::remove_file(&part).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_come_back_and_the_least_recently_used_go_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskFileCache::open(dir.path(), 10).unwrap();
        cache.put("a", b"1234").await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        cache.put("b", b"5678").await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(cache.get("a").await.as_deref(), Some(&b"1234"[..]), "reading a marks it used");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        cache.put("c", b"9abc").await;
        assert!(cache.get("b").await.is_none(), "the least recently used went");
        assert!(cache.get("a").await.is_some() && cache.get("c").await.is_some());
        cache.put("huge", &[0; 11]).await;
        assert!(cache.get("huge").await.is_none(), "a file larger than the whole cap is not kept");
    }

    #[tokio::test]
    async fn a_key_never_names_a_path_outside_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskFileCache::open(&dir.path().join("c"), 1_000).unwrap();
        cache.put("../../escape", b"x").await;
        assert!(!dir.path().join("escape").exists());
        assert_eq!(cache.get("../../escape").await.as_deref(), Some(&b"x"[..]));
        assert_eq!(std::fs::read_dir(dir.path().join("c")).unwrap().count(), 1);
    }
}
