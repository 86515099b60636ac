//! The path every update takes into the CRM, by polling or by webhook: resolve the owner,
//! redeem `/start <code>` links, map, and ingest with the caller's state in the same commit.
//! An update the store refuses is parked with its raw JSON by the service
//! ([`CrmService::ingest_updates`]); [`TelegramIngest::retry_parked`] replays one.

use telegcrm_domain::event::IngestReport;
use telegcrm_domain::service::{ReceivedUpdate, Replay};
use telegcrm_domain::{AvatarId, CrmError, CrmService};

use crate::link::start_code;
use crate::map::{map_update, user_of};
use crate::ownership::OwnerResolver;
use crate::update::{Update, UpdateKind, parse_update_str};

/// Turns Telegram updates into stored CRM data.
#[derive(Clone, Debug)]
pub struct TelegramIngest {
    service: CrmService,
    default_owner: Option<AvatarId>,
    bot_id: Option<i64>,
}

/// What ingesting a batch of updates did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    /// What the store did.
    pub report: IngestReport,
    /// Updates nobody owns (no configured owner and no linked avatar), skipped.
    pub unowned: u64,
    /// Telegram accounts linked by `/start <code>`.
    pub linked: u64,
    /// Updates the store refused, parked with their raw JSON.
    pub parked: u64,
    /// Updates the store refused and that were not kept: the cap of parked updates was reached.
    pub dropped: u64,
}

impl IngestOutcome {
    /// Adds another outcome's counts to this one.
    pub fn add(&mut self, other: &Self) {
        self.report.add(&other.report);
        self.unowned += other.unowned;
        self.linked += other.linked;
        self.parked += other.parked;
        self.dropped += other.dropped;
    }
}

/// What replaying every parked update did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetrySummary {
    /// Replayed and stored (their records are gone).
    pub stored: Vec<i64>,
    /// Refused again (still parked), with the store's error.
    pub refused: Vec<(i64, String)>,
    /// Whose raw text cannot be read as an update (still parked), with why.
    pub unreadable: Vec<(i64, String)>,
}

impl TelegramIngest {
    /// Ingests into `service`; `default_owner` owns the bot's chats and unlinked business data;
    /// `bot_id` marks what our bot sent as outgoing.
    pub fn new(service: CrmService, default_owner: Option<AvatarId>, bot_id: Option<i64>) -> Self {
        Self { service, default_owner, bot_id }
    }

    /// The service underneath.
    pub fn service(&self) -> &CrmService {
        &self.service
    }

    /// Maps and stores `updates`, writing `state` (the polling offset) in the same commit, or,
    /// when the store refuses some of them, once the others are stored and those parked. An
    /// empty batch with state still writes the state.
    pub async fn ingest(&self, updates: &[Update], state: Vec<(String, String)>) -> Result<IngestOutcome, CrmError> {
        let mut outcome = IngestOutcome::default();
        let received = self.received(updates, &mut outcome).await?;
        if received.is_empty() && state.is_empty() {
            return Ok(outcome);
        }
        let done = self.service.ingest_updates(received, state).await?;
        if let Some(error) = &done.batch_refused {
            tracing::warn!(%error, updates = updates.len(), "the store refused a batch of Telegram updates; stored them one by one");
        }
        for (update_id, error) in &done.parked {
            tracing::error!(update_id, %error, "the store refused a Telegram update; parked it with its raw JSON (see `telegcrm check`)");
        }
        for (update_id, error) in &done.dropped {
            tracing::error!(update_id, %error, "the store refused a Telegram update and the parked updates are at their cap; dropped it");
        }
        outcome.report = done.report;
        outcome.parked = done.parked.len() as u64;
        outcome.dropped = done.dropped.len() as u64;
        Ok(outcome)
    }

    /// Each update with the events it maps to (none for an update nobody owns).
    async fn received(&self, updates: &[Update], outcome: &mut IngestOutcome) -> Result<Vec<ReceivedUpdate>, CrmError> {
        let now = self.service.now();
        let mut resolver = OwnerResolver::new(&self.service, self.default_owner, self.bot_id);
        let mut received = Vec::with_capacity(updates.len());
        for update in updates {
            if let UpdateKind::Message(m) = &update.kind
                && m.chat.kind == "private"
                && let (Some(code), Some(from)) = (m.text.as_deref().and_then(start_code), m.from.as_ref())
                && let Some(avatar) = self.service.redeem_link_code(code, &user_of(from)).await?
            {
                resolver.note_link(from.id, avatar);
                outcome.linked += 1;
            }
            let Some(ctx) = resolver.context_for(update).await? else {
                tracing::debug!(update_id = update.update_id, "no owner for this update (TELEGCRM_OWNER_AVATAR_ID unset); skipping it");
                outcome.unowned += 1;
                continue;
            };
            if let UpdateKind::BusinessConnection(c) = &update.kind {
                resolver.note_connection(c);
            }
            let events = vec![map_update(update, &ctx, now)];
            received.push(ReceivedUpdate { update_id: update.update_id, raw: update.raw.clone(), events });
        }
        Ok(received)
    }

    /// Replays one parked update: its raw JSON is parsed and mapped again (with today's owners
    /// and links) and stored through the normal ingest ([`CrmService::retry_parked`]). A raw text
    /// that is not an update (cut at the size cap) is `CrmError::Invalid` and stays parked.
    pub async fn retry_parked(&self, update_id: i64) -> Result<Replay, CrmError> {
        let parked = self.service.parked_update(update_id).await?;
        let unreadable = |reason: String| CrmError::Invalid { field: "raw", reason };
        if parked.raw_truncated {
            return Err(unreadable(format!("parked update {update_id} was cut to the size cap; it cannot be replayed (discard it)")));
        }
        let update = parse_update_str(&parked.raw).map_err(|e| unreadable(format!("parked update {update_id}: {e}")))?;
        let mut outcome = IngestOutcome::default();
        let events = self.received(std::slice::from_ref(&update), &mut outcome).await?.into_iter().flat_map(|r| r.events).collect();
        self.service.retry_parked(update_id, events).await
    }

    /// Replays every parked update, lowest id first. Stops at a passing store failure.
    pub async fn retry_all_parked(&self) -> Result<RetrySummary, CrmError> {
        const PAGE: usize = 100;
        let mut summary = RetrySummary::default();
        let mut after = None;
        loop {
            let page = self.service.parked_updates(after, PAGE).await?;
            let Some(last) = page.last() else { return Ok(summary) };
            after = Some(last.update_id);
            for p in &page {
                match self.retry_parked(p.update_id).await {
                    Ok(Replay::Stored(_)) => summary.stored.push(p.update_id),
                    Ok(Replay::Refused(again)) => summary.refused.push((p.update_id, again.error)),
                    Err(CrmError::Invalid { reason, .. }) => summary.unreadable.push((p.update_id, reason)),
                    // Discarded or replayed by someone else meanwhile.
                    Err(CrmError::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            if page.len() < PAGE {
                return Ok(summary);
            }
        }
    }
}
