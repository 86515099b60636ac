//! An import job: an uploaded export imported in the background (`POST /imports`, the
//! dashboard's Settings page). The job's fields and its transitions live here; the runner
//! ([`crate::upload::start`]) drives them, and the service keeps the job in the store's state
//! (`CrmService::put_import_job`), so every instance sees it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use telegcrm_domain::{AvatarId, CrmError, CrmService, ImportJobId, StoreError};

use crate::{ImportError, Progress, Summary};

/// A queued or running job not written for this long has lost the instance that ran it (the
/// runner writes at least every [`HEARTBEAT`]).
pub const ABANDONED_AFTER: Duration = Duration::seconds(60);

/// How often a running job is written although nothing moved, so readers can tell it is alive.
pub const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(10);

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Uploaded, not started yet.
    Queued,
    /// Importing.
    Running,
    /// Finished: the counts are final.
    Done,
    /// Stopped: `error` says why; what was stored before stays stored.
    Failed,
}

impl JobStatus {
    /// Done or failed: the job will not change any more.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }

    /// The status as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// An import job as clients see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ImportJob {
    /// The job's id (UUID v7).
    pub id: ImportJobId,
    /// Whose CRM the history goes into.
    pub owner: AvatarId,
    /// Queued, running, done or failed.
    pub status: JobStatus,
    /// The uploaded file's name, as the client gave it (no folders).
    pub file_name: String,
    /// Bytes of the export's `result.json` read so far.
    pub bytes_read: u64,
    /// The size of the export's `result.json`.
    pub total_bytes: u64,
    /// Messages imported so far (stored now or found stored).
    pub messages: u64,
    /// Chats imported (final once done).
    pub chats: u64,
    /// Messages newly stored.
    pub stored: u64,
    /// Messages that were already stored, left as they were.
    pub already_stored: u64,
    /// Different people the messages were exchanged with (final once done).
    pub contacts: u64,
    /// Chats and messages not imported, by reason (final once done).
    pub skipped: BTreeMap<String, u64>,
    /// Why the job failed.
    pub error: Option<String>,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl ImportJob {
    /// A new job for an upload of `total_bytes` bytes of `result.json`.
    pub fn queued(owner: AvatarId, file_name: String, total_bytes: u64, now: DateTime<Utc>) -> Self {
        Self {
            id: ImportJobId::new(),
            owner,
            status: JobStatus::Queued,
            file_name,
            bytes_read: 0,
            total_bytes,
            messages: 0,
            chats: 0,
            stored: 0,
            already_stored: 0,
            contacts: 0,
            skipped: BTreeMap::new(),
            error: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Still alive, nothing moved (a heartbeat, so readers can tell a waiting job from a lost one).
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.updated_at = now;
    }

    /// The import started.
    pub fn start(&mut self, now: DateTime<Utc>) {
        self.status = JobStatus::Running;
        self.updated_at = now;
    }

    /// The import reported progress; returns whether anything moved.
    pub fn advance(&mut self, p: Progress, now: DateTime<Utc>) -> bool {
        let moved = (p.bytes_read, p.messages) != (self.bytes_read, self.messages);
        self.bytes_read = p.bytes_read;
        if p.total_bytes > 0 {
            self.total_bytes = p.total_bytes;
        }
        self.messages = p.messages;
        self.updated_at = now;
        moved
    }

    /// The import finished.
    pub fn finish(&mut self, s: &Summary, now: DateTime<Utc>) {
        self.status = JobStatus::Done;
        self.bytes_read = s.bytes;
        self.total_bytes = self.total_bytes.max(s.bytes);
        self.messages = s.stored + s.already_stored;
        self.chats = s.chats;
        self.stored = s.stored;
        self.already_stored = s.already_stored;
        self.contacts = s.contacts;
        self.skipped = s.skipped.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        self.error = None;
        self.updated_at = now;
    }

    /// The job stopped; `error` is shown to the user as it is.
    pub fn fail(&mut self, error: String, now: DateTime<Utc>) {
        self.status = JobStatus::Failed;
        self.error = Some(error);
        self.updated_at = now;
    }

    /// The job as it is to be shown at `now`: one still queued or running but not written for
    /// [`ABANDONED_AFTER`] lost its instance (a restart, a crash) and is shown failed.
    #[must_use]
    pub fn seen_at(mut self, now: DateTime<Utc>) -> Self {
        if !self.status.is_finished() && now - self.updated_at > ABANDONED_AFTER {
            let at = self.updated_at;
            self.fail("the import stopped with the server that ran it; upload the export again (what was stored stays stored)".into(), at);
        }
        self
    }

    /// Bytes read as a whole percentage of the export (100 once done).
    pub fn percent(&self) -> u64 {
        match self.status {
            JobStatus::Done => 100,
            _ if self.total_bytes == 0 => 0,
            _ => (self.bytes_read.min(self.total_bytes) * 100) / self.total_bytes,
        }
    }

    /// Writes the job into the service's state.
    pub async fn save(&self, service: &CrmService) -> Result<(), CrmError> {
        let json = serde_json::to_string(self).map_err(|e| CrmError::Store(StoreError::Corrupt(format!("import job: {e}"))))?;
        service.put_import_job(self.owner, self.id, &json).await
    }

    /// The owner's job with this id, as it is to be shown now; `NotFound` for an unknown id or
    /// another owner's.
    pub async fn load(service: &CrmService, owner: AvatarId, id: ImportJobId) -> Result<Self, CrmError> {
        let json = service.import_job(owner, id).await?;
        let job: Self = serde_json::from_str(&json).map_err(|e| CrmError::Store(StoreError::Corrupt(format!("import job {id}: {e}"))))?;
        Ok(job.seen_at(service.now()))
    }

    /// The owner's most recent jobs, newest first.
    pub async fn recent(service: &CrmService, owner: AvatarId) -> Result<Vec<Self>, CrmError> {
        let mut jobs = Vec::new();
        for id in service.recent_import_jobs(owner).await? {
            match Self::load(service, owner, id).await {
                Ok(job) => jobs.push(job),
                Err(CrmError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(jobs)
    }
}

/// What a user is told about an import that stopped: the reason in the export's terms, never a
/// path on the server or a store's internals (those go to the log).
pub fn user_message(e: &ImportError) -> String {
    match e {
        ImportError::Open { .. } => "the uploaded export could not be read".into(),
        ImportError::Format { message, .. } => match message.split_once("; pass --timezone") {
            // The command line's advice does not fit an upload.
            Some((why, _)) => format!(
                "the export cannot be imported: {why}; upload it again with the time zone of the computer that made it \
                 (the form's time zone, `timezone` in the API), e.g. Europe/Berlin"
            ),
            None => format!("the export cannot be imported: {message}"),
        },
        ImportError::Store(CrmError::Store(StoreError::Unavailable(_))) => {
            "the store did not answer; upload the export again later (what was stored stays stored)".into()
        }
        ImportError::Store(_) => "the store refused part of the history; the server log has the details".into(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_780_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_job_moves_from_queued_to_done_with_the_summary() {
        let mut job = ImportJob::queued(AvatarId::new(), "result.json".into(), 1000, t(0));
        assert_eq!((job.status, job.percent()), (JobStatus::Queued, 0));
        job.start(t(1));
        assert!(job.advance(Progress { bytes_read: 250, total_bytes: 1000, messages: 7 }, t(2)));
        assert!(!job.advance(Progress { bytes_read: 250, total_bytes: 1000, messages: 7 }, t(3)));
        assert_eq!((job.status, job.percent(), job.messages), (JobStatus::Running, 25, 7));
        let mut summary =
            Summary { chats: 2, messages_read: 10, stored: 8, already_stored: 1, contacts: 3, bytes: 1000, ..Summary::default() };
        summary.skipped.insert("unsupported message", 1);
        job.finish(&summary, t(4));
        assert_eq!((job.status, job.percent(), job.messages, job.stored), (JobStatus::Done, 100, 9, 8));
        assert_eq!(job.skipped.get("unsupported message"), Some(&1));
        let json = serde_json::to_value(&job).unwrap();
        assert_eq!(json["status"], "done");
        assert_eq!(json["alreadyStored"], 1);
        assert_eq!(json["fileName"], "result.json");
    }

    #[test]
    fn a_job_nobody_wrote_for_a_minute_is_shown_failed() {
        let mut job = ImportJob::queued(AvatarId::new(), "export.zip".into(), 10, t(0));
        job.start(t(1));
        assert_eq!(job.clone().seen_at(t(30)).status, JobStatus::Running);
        let seen = job.seen_at(t(120));
        assert_eq!(seen.status, JobStatus::Failed);
        assert!(seen.error.unwrap().contains("upload the export again"));
    }

    #[test]
    fn errors_shown_to_users_name_no_server_path() {
        let open = ImportError::Open { path: "/tmp/telegcrm-upload-x/result.json".into(), source: std::io::Error::other("gone") };
        let format =
            ImportError::Format { path: "/tmp/telegcrm-upload-x/result.json".into(), message: "expected value at line 1 column 1".into() };
        for e in [open, format] {
            let shown = user_message(&e);
            assert!(!shown.contains("/tmp"), "{shown}");
        }
    }
}
