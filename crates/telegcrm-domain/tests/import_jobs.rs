//! Import jobs' state: scoped to their owner, the recent ones listed newest first.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use telegcrm_domain::service::RECENT_IMPORT_JOBS;
use telegcrm_domain::{AvatarId, CrmError, CrmService, Entity, ImportJobId};

fn service() -> CrmService {
    CrmService::new(Arc::new(telegcrm_store_memory::MemoryStore::new()))
}

#[tokio::test]
async fn a_job_is_its_owners_only() {
    let s = service();
    let (a, b) = (AvatarId::new(), AvatarId::new());
    let id = ImportJobId::new();
    s.put_import_job(a, id, "{\"status\":\"queued\"}").await.unwrap();
    s.put_import_job(a, id, "{\"status\":\"done\"}").await.unwrap();
    assert_eq!(s.import_job(a, id).await.unwrap(), "{\"status\":\"done\"}");
    assert!(matches!(s.import_job(b, id).await, Err(CrmError::NotFound { entity: Entity::ImportJob, .. })));
    assert_eq!(s.recent_import_jobs(a).await.unwrap(), vec![id]);
    assert!(s.recent_import_jobs(b).await.unwrap().is_empty());
}

#[tokio::test]
async fn recent_jobs_are_newest_first_and_bounded() {
    let s = service();
    let a = AvatarId::new();
    let ids: Vec<ImportJobId> = (0..RECENT_IMPORT_JOBS + 3).map(|_| ImportJobId::new()).collect();
    for id in &ids {
        s.put_import_job(a, *id, "{}").await.unwrap();
    }
    let recent = s.recent_import_jobs(a).await.unwrap();
    assert_eq!(recent.len(), RECENT_IMPORT_JOBS);
    assert_eq!(recent[0], *ids.last().unwrap());
}
