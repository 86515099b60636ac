//! Parked updates: when the store refuses an update, capture moves on and the update waits,
//! as received, to be replayed or discarded.
//!
//! The rule, once: a batch that fails with a passing error ([`StoreError::is_refusal`] false:
//! the store is unavailable) fails as a whole, so the provider delivers it again and nothing is
//! lost. A batch the store refuses is stored update by update; an update refused on its own is
//! parked with its raw text, the others are stored, and the batch's state (the polling offset)
//! is written after them, so the provider moves past the batch. An update that cannot even be
//! parked fails the batch (it is delivered again). At most [`Settings::max_parked`](super::Settings::max_parked) updates are
//! kept; a refused update beyond that is dropped and counted ([`CrmService::parked_dropped`]).

use crate::error::{CrmError, Entity, StoreError};
use crate::event::{InboundEvent, IngestReport};
use crate::model::ParkedUpdate;

use super::CrmService;

/// How many parked updates are kept by default.
pub const MAX_PARKED: usize = 10_000;

/// The most parked updates one listing returns.
pub const MAX_PARKED_PAGE: usize = 1000;

/// One update as a message provider received it: its id, its raw text, and the events it means
/// (none when it is skipped, say an update nobody owns).
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedUpdate {
    /// The provider's update id.
    pub update_id: i64,
    /// The update as received (Telegram: its JSON text).
    pub raw: String,
    /// What it means for the CRM.
    pub events: Vec<InboundEvent>,
}

/// What ingesting received updates did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdatesReport {
    /// What the store did with the updates it took.
    pub report: IngestReport,
    /// Why the store refused the batch as a whole, when it did (then it went update by update).
    pub batch_refused: Option<String>,
    /// Updates the store refused, parked (their ids), with the error of each.
    pub parked: Vec<(i64, String)>,
    /// Updates the store refused that were not kept: the cap of parked updates was reached.
    pub dropped: Vec<(i64, String)>,
}

/// What replaying a parked update did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replay {
    /// Stored; the parked record is gone.
    Stored(IngestReport),
    /// Refused again; the record counts the attempt.
    Refused(ParkedUpdate),
}

impl CrmService {
    /// Applies received updates as one batch, with `state` written once every update is stored
    /// or parked. Updates the store refuses are parked (see the module's rule); a passing store
    /// failure fails the call and parks nothing.
    pub async fn ingest_updates(&self, updates: Vec<ReceivedUpdate>, state: Vec<(String, String)>) -> Result<UpdatesReport, CrmError> {
        let events = updates.iter().flat_map(|u| u.events.iter().cloned()).collect();
        let refusal = match self.ingest(events, state.clone()).await {
            Ok(report) => return Ok(UpdatesReport { report, ..UpdatesReport::default() }),
            Err(CrmError::Store(e)) if e.is_refusal() => e,
            Err(e) => return Err(e),
        };
        let mut out = UpdatesReport { batch_refused: Some(refusal.to_string()), ..UpdatesReport::default() };
        for update in updates {
            if update.events.is_empty() {
                continue;
            }
            match self.ingest(update.events, Vec::new()).await {
                Ok(report) => out.report.add(&report),
                Err(CrmError::Store(e)) if e.is_refusal() => {
                    let error = e.to_string();
                    if self.park(update.update_id, &update.raw, &error).await? {
                        out.parked.push((update.update_id, error));
                    } else {
                        out.dropped.push((update.update_id, error));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        if !state.is_empty() {
            self.ingest(Vec::new(), state).await?;
        }
        Ok(out)
    }

    /// Parks a refused update: a new record, or one more attempt on the update's record. A new
    /// one beyond the cap is dropped and counted instead. Whether it is kept.
    async fn park(&self, update_id: i64, raw: &str, error: &str) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let parked = match self.store.get_parked(update_id).await? {
            Some(mut p) => {
                p.refused_again(error, now);
                p
            }
            None if self.store.count_parked().await? >= self.settings.max_parked as u64 => {
                self.store.add_dropped(1).await?;
                return Ok(false);
            }
            None => ParkedUpdate::new(update_id, raw, error, now),
        };
        self.store.put_parked(&parked).await?;
        Ok(true)
    }

    /// One parked update.
    pub async fn parked_update(&self, update_id: i64) -> Result<ParkedUpdate, CrmError> {
        self.store.get_parked(update_id).await?.ok_or_else(|| CrmError::not_found(Entity::ParkedUpdate, update_id))
    }

    /// Up to `limit` (at most [`MAX_PARKED_PAGE`]) parked updates with ids above `after`, lowest
    /// id first.
    pub async fn parked_updates(&self, after: Option<i64>, limit: usize) -> Result<Vec<ParkedUpdate>, CrmError> {
        Ok(self.store.list_parked(after, limit.min(MAX_PARKED_PAGE)).await?)
    }

    /// How many updates are parked.
    pub async fn parked_count(&self) -> Result<u64, CrmError> {
        Ok(self.store.count_parked().await?)
    }

    /// How many refused updates were dropped because the cap of parked updates was reached.
    pub async fn parked_dropped(&self) -> Result<u64, CrmError> {
        Ok(self.store.dropped_count().await?)
    }

    /// Forgets a parked update without storing it.
    pub async fn discard_parked(&self, update_id: i64) -> Result<(), CrmError> {
        if self.store.delete_parked(update_id).await? { Ok(()) } else { Err(CrmError::not_found(Entity::ParkedUpdate, update_id)) }
    }

    /// Replays a parked update through the normal ingest: `events` are what its raw text means
    /// (the provider decodes it again, with today's owners and links). Stored: the record is
    /// removed (ingest is idempotent, so a replay that already went through stores nothing
    /// twice). Refused: the record counts the attempt. A passing failure changes nothing.
    pub async fn retry_parked(&self, update_id: i64, events: Vec<InboundEvent>) -> Result<Replay, CrmError> {
        let mut parked = self.parked_update(update_id).await?;
        match self.ingest(events, Vec::new()).await {
            Ok(report) => {
                self.store.delete_parked(update_id).await?;
                Ok(Replay::Stored(report))
            }
            Err(CrmError::Store(e)) if e.is_refusal() => {
                parked.refused_again(&e.to_string(), self.clock.now());
                self.store.put_parked(&parked).await?;
                Ok(Replay::Refused(parked))
            }
            Err(e) => Err(e),
        }
    }
}
