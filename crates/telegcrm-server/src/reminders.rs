//! Follow-up reminders that reach the owner: when a follow-up falls due, the bot writes to the
//! owner's own Telegram account (linked through `POST /me/telegram-link`). A reminder is marked
//! sent only once Telegram accepted it, so a failure is retried on the next round.

use std::time::Duration;

use telegcrm_domain::ports::TelegramGateway;
use telegcrm_domain::{CrmService, FollowUp};
use tokio::sync::watch;

/// How often due follow-ups are looked for.
pub const INTERVAL: Duration = Duration::from_secs(30);

/// How many reminders one round sends at most.
const BATCH: usize = 100;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Reminders Telegram accepted.
    pub sent: usize,
    /// Due follow-ups whose owner has no linked Telegram account (they stay due).
    pub unlinked: usize,
    /// Sends that failed (retried next round).
    pub failed: usize,
}

/// The reminder text.
pub fn text(f: &FollowUp, contact: Option<&str>) -> String {
    let mut t = format!("⏰ Follow-up due: {}", f.title);
    if let Some(c) = contact {
        t.push_str(&format!("\nConversation: {c}"));
    }
    if let Some(d) = &f.description {
        t.push_str(&format!("\n{d}"));
    }
    t.push_str(&format!("\nDue {} · priority {}", f.due_at.format("%Y-%m-%d %H:%M UTC"), f.priority));
    t
}

/// Sends every due, not yet reminded follow-up to its owner's linked Telegram account.
pub async fn remind_once(service: &CrmService, gateway: &dyn TelegramGateway) -> Round {
    let mut round = Round::default();
    let due = match service.due_reminders(BATCH).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read due follow-ups");
            return round;
        }
    };
    for f in due {
        let linked = service.linked_telegram_user(f.owner_avatar_id).await;
        let Ok(Some(user)) = linked else {
            round.unlinked += 1;
            continue;
        };
        let contact = service.conversation(f.owner_avatar_id, f.conversation_id).await.ok().and_then(|c| c.contact_name.or(c.title));
        match gateway.send_text(user.id, None, &text(&f, contact.as_deref())).await {
            Ok(_) => match service.mark_reminded(f.owner_avatar_id, f.id).await {
                Ok(_) => round.sent += 1,
                Err(e) => {
                    tracing::warn!(error = %e, followup = %f.id, "reminder sent but not recorded");
                    round.failed += 1;
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, followup = %f.id, "cannot send a reminder");
                round.failed += 1;
            }
        }
    }
    round
}

/// Runs rounds every [`INTERVAL`] until `stop` turns true.
pub async fn run(service: CrmService, gateway: std::sync::Arc<dyn TelegramGateway>, mut stop: watch::Receiver<bool>) {
    loop {
        let round = remind_once(&service, gateway.as_ref()).await;
        if round != Round::default() {
            tracing::info!(?round, "follow-up reminders");
        }
        tokio::select! {
            _ = tokio::time::sleep(INTERVAL) => {}
            _ = stop.changed() => return,
        }
    }
}
