//! The state of import jobs (an uploaded export being imported in the background), kept in the
//! store's state so that every instance sees a job, whichever instance runs it.
//!
//! The service keeps a job as the JSON its runner writes (`telegcrm-import`'s `ImportJob`, where
//! the job's fields and transitions live) and scopes it to its owner: another owner's id reads as
//! absent. State keys: `import_job:{owner}:{id}` → the job; `import_jobs:{owner}` → the ids of the
//! owner's most recent jobs, newest first (at most [`RECENT_IMPORT_JOBS`]).

use super::CrmService;
use crate::error::{CrmError, Entity};
use crate::ids::{AvatarId, ImportJobId};

/// How many of an owner's jobs are listed (older ones stay readable by id).
pub const RECENT_IMPORT_JOBS: usize = 20;

/// The state key of one import job.
pub fn import_job_key(owner: AvatarId, id: ImportJobId) -> String {
    format!("import_job:{owner}:{id}")
}

fn recent_key(owner: AvatarId) -> String {
    format!("import_jobs:{owner}")
}

impl CrmService {
    /// Writes an import job's state (`json`), and lists it among the owner's recent jobs the
    /// first time. Two jobs an owner starts at the same moment may race for the list; the
    /// loser stays readable by id.
    pub async fn put_import_job(&self, owner: AvatarId, id: ImportJobId, json: &str) -> Result<(), CrmError> {
        let key = import_job_key(owner, id);
        let new = self.store.get_state(&key).await?.is_none();
        self.store.put_state(&key, json).await?;
        if new {
            let mut ids = self.recent_import_jobs(owner).await?;
            ids.retain(|i| *i != id);
            ids.insert(0, id);
            ids.truncate(RECENT_IMPORT_JOBS);
            let list = ids.iter().map(ImportJobId::to_string).collect::<Vec<_>>().join(",");
            self.store.put_state(&recent_key(owner), &list).await?;
        }
        Ok(())
    }

    /// An import job's state as written; `NotFound` unless `owner` has a job with this id.
    pub async fn import_job(&self, owner: AvatarId, id: ImportJobId) -> Result<String, CrmError> {
        self.store.get_state(&import_job_key(owner, id)).await?.ok_or_else(|| CrmError::not_found(Entity::ImportJob, id))
    }

    /// The ids of the owner's most recent import jobs, newest first.
    pub async fn recent_import_jobs(&self, owner: AvatarId) -> Result<Vec<ImportJobId>, CrmError> {
        let list = self.store.get_state(&recent_key(owner)).await?.unwrap_or_default();
        Ok(list.split(',').filter_map(|s| s.parse().ok()).collect())
    }
}
