//! The bytes of an export as JSON: the exporter's invalid `\xNN` escapes become `\u00NN`, and the
//! bytes read are counted for the progress bar.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How much is read from the source at a time.
const CHUNK: usize = 64 * 1024;

/// Reads `inner`, repairing Telegram Desktop's `\xNN` escapes (control characters its writer
/// escapes the C way, which JSON does not allow) into `\u00NN`.
///
/// A backslash is always the start of a two-byte escape in JSON strings, and never appears
/// outside them, so pairing each backslash with the next byte is enough: `\\x41` stays a
/// backslash followed by `x41`.
#[derive(Debug)]
pub struct ExportReader<R> {
    inner: R,
    out: Vec<u8>,
    pos: usize,
    chunk: Vec<u8>,
    /// The previous chunk ended on a lone backslash.
    after_backslash: bool,
    read: Arc<AtomicU64>,
}

impl<R: Read> ExportReader<R> {
    /// Wraps `inner`; `read` counts the source bytes consumed.
    pub fn new(inner: R, read: Arc<AtomicU64>) -> Self {
        Self { inner, out: Vec::with_capacity(CHUNK + CHUNK / 2), pos: 0, chunk: vec![0; CHUNK], after_backslash: false, read }
    }

    fn fill(&mut self) -> io::Result<bool> {
        let n = loop {
            match self.inner.read(&mut self.chunk) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            return Ok(false);
        }
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        self.out.clear();
        self.pos = 0;
        for &b in &self.chunk[..n] {
            if self.after_backslash {
                self.after_backslash = false;
                if b == b'x' {
                    self.out.extend_from_slice(b"u00");
                    continue;
                }
            } else if b == b'\\' {
                self.after_backslash = true;
            }
            self.out.push(b);
        }
        Ok(true)
    }
}

impl<R: Read> Read for ExportReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            if !self.fill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(input: &[u8], chunk: usize) -> String {
        let mut r = ExportReader::new(input, Arc::new(AtomicU64::new(0)));
        r.chunk = vec![0; chunk];
        let mut out = String::new();
        r.read_to_string(&mut out).expect("utf-8");
        out
    }

    #[test]
    fn x_escapes_become_unicode_escapes_even_across_chunks() {
        let input = br#"{"text":"a\x0Bb\\x41\n"}"#;
        for chunk in 1..8 {
            assert_eq!(repaired(input, chunk), r#"{"text":"a\u000Bb\\x41\n"}"#, "chunk {chunk}");
        }
        let v: serde_json::Value = serde_json::from_str(&repaired(input, 3)).expect("valid JSON");
        assert_eq!(v["text"], "a\u{b}b\\x41\n");
    }

    #[test]
    fn counts_source_bytes() {
        let read = Arc::new(AtomicU64::new(0));
        let mut r = ExportReader::new(&b"\"\\x01\""[..], read.clone());
        let mut out = Vec::new();
        r.read_to_end(&mut out).expect("read");
        assert_eq!(read.load(Ordering::Relaxed), 6);
        assert_eq!(out, b"\"\\u0001\"");
    }
}
