//! The reminder job: every [`INTERVAL`], one round of `CrmService::remind_due` (the rules —
//! claimed once across instances, fair across owners, bounded — are the domain's; see
//! `telegcrm_domain::service::reminders`).

use std::time::Duration;

use telegcrm_domain::CrmService;
use telegcrm_domain::ports::TelegramGateway;
use telegcrm_domain::service::ReminderRound;
use tokio::sync::watch;

/// How often due follow-ups are looked for.
pub const INTERVAL: Duration = Duration::from_secs(30);

/// One round as `holder` (this instance's name); a store failure is logged and counted as an
/// empty round (the next round retries).
pub async fn remind_once(service: &CrmService, gateway: &dyn TelegramGateway, holder: &str) -> ReminderRound {
    match service.remind_due(gateway, holder).await {
        Ok(round) => {
            for (followup, error) in &round.failed {
                tracing::warn!(%followup, %error, "cannot send a reminder; retrying next round");
            }
            round
        }
        Err(e) => {
            tracing::warn!(error = %e, "the reminder round failed; retrying next round");
            ReminderRound::default()
        }
    }
}

/// Runs rounds every [`INTERVAL`] as `holder` until `stop` turns true.
pub async fn run(service: CrmService, gateway: std::sync::Arc<dyn TelegramGateway>, holder: String, mut stop: watch::Receiver<bool>) {
    loop {
        let round = remind_once(&service, gateway.as_ref(), &holder).await;
        if !round.is_empty() {
            tracing::info!(
                sent = round.sent,
                unlinked = round.unlinked,
                claimed_elsewhere = round.claimed_elsewhere,
                deferred = round.deferred,
                failed = round.failed.len(),
                "follow-up reminders"
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(INTERVAL) => {}
            _ = stop.changed() => return,
        }
    }
}
