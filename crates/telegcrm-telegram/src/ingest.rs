//! The path every update takes into the CRM, by polling or by webhook: resolve the owner,
//! redeem `/start <code>` links, map, and ingest with the caller's state in the same commit.

use telegcrm_domain::event::IngestReport;
use telegcrm_domain::{AvatarId, CrmError, CrmService};

use crate::link::start_code;
use crate::map::{map_update, user_of};
use crate::ownership::OwnerResolver;
use crate::update::{Update, UpdateKind};

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
}

impl IngestOutcome {
    /// Adds another outcome's counts to this one.
    pub fn add(&mut self, other: &Self) {
        self.report.add(&other.report);
        self.unowned += other.unowned;
        self.linked += other.linked;
    }
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

    /// Maps and stores `updates`, writing `state` (the polling offset) in the same commit. An empty
    /// batch with state still writes the state.
    pub async fn ingest(&self, updates: &[Update], state: Vec<(String, String)>) -> Result<IngestOutcome, CrmError> {
        let now = self.service.now();
        let mut resolver = OwnerResolver::new(&self.service, self.default_owner, self.bot_id);
        let mut outcome = IngestOutcome::default();
        let mut events = Vec::with_capacity(updates.len());
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
            events.push(map_update(update, &ctx, now));
        }
        if !events.is_empty() || !state.is_empty() {
            outcome.report = self.service.ingest(events, state).await?;
        }
        Ok(outcome)
    }
}
