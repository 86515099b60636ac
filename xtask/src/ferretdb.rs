//! FerretDB for the Mongo store's tests: built with Go into `target/tools/bin` when missing,
//! started on a free loopback port with its SQLite backend, stopped when the guard drops.
//!
//! ```ignore
//! let bin = ferretdb::ensure_installed(&root.join("target"))?;
//! let db = ferretdb::start(&bin, &root.join("target/tmp/ferretdb"))?;
//! cmd.env("MONGODB_URI", db.uri());
//! // `db` dropped at the end: FerretDB is killed.
//! ```

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The FerretDB release the tests run against.
pub const VERSION: &str = "v1.24.2";
/// The Go module that holds it.
const MODULE: &str = "github.com/FerretDB/FerretDB";
/// How long FerretDB may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the FerretDB binary is cached: `<target_dir>/tools/bin/ferretdb`.
pub fn binary_path(target_dir: &Path) -> PathBuf {
    target_dir.join("tools").join("bin").join(if cfg!(windows) { "ferretdb.exe" } else { "ferretdb" })
}

/// Returns the cached FerretDB binary, building it with Go first when it is missing or broken.
///
/// `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` cannot be used as is: the
/// module as published lacks `build/version/version.txt`, so the binary it builds panics at start,
/// and some module proxies refuse the version list `go install` reads. So the module is fetched
/// with `go mod download` (through the Go module proxy), copied to `<target_dir>/tools/src`, given
/// its version file, and built there with `go build` into `<target_dir>/tools/bin`.
pub fn ensure_installed(target_dir: &Path) -> Result<PathBuf, String> {
    let binary = binary_path(target_dir);
    if binary.is_file() && runs(&binary) {
        return Ok(binary);
    }
    let bin_dir = binary.parent().map_or_else(|| target_dir.to_path_buf(), Path::to_path_buf);
    fs::create_dir_all(&bin_dir).map_err(|e| format!("cannot create {}: {e}", bin_dir.display()))?;
    let bin_dir = fs::canonicalize(&bin_dir).map_err(|e| format!("cannot resolve {}: {e}", bin_dir.display()))?;
    eprintln!("xtask: installing FerretDB {VERSION} with Go into {} (first time only; takes a few minutes)", bin_dir.display());

    let module_dir = download_module()?;
    let src = bin_dir.parent().map_or_else(|| bin_dir.clone(), Path::to_path_buf).join("src").join(format!("ferretdb-{VERSION}"));
    if src.exists() {
        make_writable(&src);
        fs::remove_dir_all(&src).map_err(|e| format!("cannot remove {}: {e}", src.display()))?;
    }
    copy_dir(&module_dir, &src)?;
    let version_file = src.join("build").join("version").join("version.txt");
    fs::write(&version_file, format!("{VERSION}\n")).map_err(|e| format!("cannot write {}: {e}", version_file.display()))?;

    let output = bin_dir.join(binary.file_name().unwrap_or_default());
    let build = Command::new("go")
        .args(["build", "-trimpath", "-o"])
        .arg(&output)
        .arg("./cmd/ferretdb")
        .current_dir(&src)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run `go build` (Go 1.24+ is needed to build FerretDB): {e}"))?;
    if !build.success() {
        return Err(format!("`go build ./cmd/ferretdb` in {} failed ({build})", src.display()));
    }
    if runs(&binary) { Ok(binary) } else { Err(format!("FerretDB was built but `{} --version` fails", binary.display())) }
}

/// Whether the binary starts (`--version` answers).
fn runs(binary: &Path) -> bool {
    Command::new(binary).arg("--version").stdin(Stdio::null()).output().is_ok_and(|o| o.status.success())
}

/// Downloads FerretDB's module into the Go module cache; returns its directory.
fn download_module() -> Result<PathBuf, String> {
    let download = Command::new("go")
        .args(["mod", "download", "-json", &format!("{MODULE}@{VERSION}")])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `go` (Go 1.24+ is needed to install FerretDB): {e}"))?;
    let json = String::from_utf8_lossy(&download.stdout);
    if !download.status.success() {
        return Err(format!(
            "`go mod download {MODULE}@{VERSION}` failed: {}{}",
            json.trim(),
            String::from_utf8_lossy(&download.stderr).trim()
        ));
    }
    json_string_field(&json, "Dir").map(PathBuf::from).ok_or_else(|| format!("`go mod download` did not say where the module is: {json}"))
}

/// Copies a directory tree (the module cache's copy is read-only, so the copy's directories are
/// created fresh and stay writable).
fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(|e| format!("cannot read {}: {e}", src.display()))?;
        if kind.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            fs::copy(&src, &dst).map_err(|e| format!("cannot copy {} to {}: {e}", src.display(), dst.display()))?;
        }
    }
    Ok(())
}

/// Makes a copied tree deletable again (files copied from the module cache are read-only).
fn make_writable(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if let Ok(meta) = entry.metadata() {
            let mut perms = meta.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            let _ = fs::set_permissions(&path, perms);
            if meta.is_dir() {
                make_writable(&path);
            }
        }
    }
}

/// The value of a string field in `go mod download -json` output (no JSON parser: xtask is std only).
fn json_string_field(json: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\":");
    let rest = json[json.find(&key)? + key.len()..].trim_start().strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// A running FerretDB; killed (and its data directory left for inspection) when dropped.
#[derive(Debug)]
pub struct FerretDb {
    child: Child,
    addr: SocketAddr,
}

impl FerretDb {
    /// The connection string for the Mongo driver, e.g. `mongodb://127.0.0.1:41234/`.
    pub fn uri(&self) -> String {
        format!("mongodb://{}/", self.addr)
    }
}

impl Drop for FerretDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `binary` with its SQLite backend in `data_dir` (created if missing) on a free loopback
/// port, and waits until it accepts connections.
pub fn start(binary: &Path, data_dir: &Path) -> Result<FerretDb, String> {
    fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let dir = fs::canonicalize(data_dir).map_err(|e| format!("cannot resolve {}: {e}", data_dir.display()))?;
    let port = free_port()?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let log_path = dir.join("ferretdb.log");
    let log = fs::File::create(&log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
    let mut child = Command::new(binary)
        .arg("--handler=sqlite")
        .arg(format!("--sqlite-url=file:{}/", dir.display()))
        .arg(format!("--listen-addr={addr}"))
        .arg(format!("--state-dir={}", dir.display()))
        .arg("--debug-addr=-")
        .arg("--telemetry=disable")
        .arg("--log-level=warn")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;

    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("FerretDB exited at start ({status}); log:\n{}", tail(&log_path)));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(FerretDb { child, addr });
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("FerretDB did not accept connections on {addr} within {START_TIMEOUT:?}; log:\n{}", tail(&log_path)));
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// A port the OS says is free now (a tiny race with other programs is accepted).
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| format!("cannot find a free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| format!("cannot find a free port: {e}"))
}

/// The last lines of a log file.
fn tail(path: &Path) -> String {
    let Ok(file) = fs::File::open(path) else { return String::new() };
    let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_dir_is_read_from_go_json() {
        let json = "{\n\t\"Path\": \"github.com/FerretDB/FerretDB\",\n\t\"Dir\": \"/root/go/pkg/mod/github.com/!ferret!d!b/x@v1.24.2\",\n}";
        assert_eq!(json_string_field(json, "Dir").as_deref(), Some("/root/go/pkg/mod/github.com/!ferret!d!b/x@v1.24.2"));
        assert_eq!(json_string_field(json, "Nope"), None);
    }
}
