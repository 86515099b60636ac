//! Follow-up reminders: when a follow-up falls due, the bot writes to its owner's own Telegram
//! account (linked through a link code). The rules, in one place:
//!
//! - **Once across instances.** Each reminder is claimed with a store lease
//!   (`reminder:<follow-up id>`, [`REMINDER_CLAIM_TTL`]) before it is sent, and the follow-up is
//!   read again after the claim: another instance that sent it in the meantime has marked it
//!   reminded. A follow-up is marked reminded only once Telegram accepted the text, and the
//!   claim is released after that, so a failed send is retried by the next round (of any
//!   instance). An instance killed between the send and the mark sends it again once its claim
//!   expires: at least once, never lost.
//! - **Fair.** An owner with no linked account, or whose sends fail, is left out of the rest of
//!   the round, and the round reads on past that owner's follow-ups: one owner's thousand
//!   unlinked follow-ups do not delay another owner's reminder.
//! - **Bounded.** A round sends at most [`ROUND_LIMIT`] reminders and reads at most
//!   [`ROUND_PAGES`] pages of due follow-ups.

use std::collections::HashMap;

use chrono::Duration;

use super::CrmService;
use crate::error::CrmError;
use crate::event::TelegramUser;
use crate::ids::{AvatarId, FollowUpId};
use crate::model::FollowUp;
use crate::ports::TelegramGateway;

/// How long a claim on a reminder holds another instance off.
pub const REMINDER_CLAIM_TTL: Duration = Duration::minutes(10);

/// How many reminders one round sends at most.
pub const ROUND_LIMIT: usize = 100;

/// How many pages of due follow-ups one round reads at most.
const ROUND_PAGES: usize = 10;

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReminderRound {
    /// Reminders Telegram accepted.
    pub sent: usize,
    /// Due follow-ups passed over because their owner has no linked Telegram account (they stay
    /// due and are reminded once the owner links one).
    pub unlinked: usize,
    /// Due follow-ups another instance had claimed.
    pub claimed_elsewhere: usize,
    /// Due follow-ups of an owner whose send failed earlier in the round (tried next round).
    pub deferred: usize,
    /// Sends that failed (retried next round), with the reason.
    pub failed: Vec<(FollowUpId, String)>,
}

impl ReminderRound {
    /// Whether the round did or saw nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The reminder's text.
pub fn reminder_text(f: &FollowUp, conversation: Option<&str>) -> String {
    let mut t = format!("⏰ Follow-up due: {}", f.title);
    if let Some(c) = conversation {
        t.push_str(&format!("\nConversation: {c}"));
    }
    if let Some(d) = &f.description {
        t.push_str(&format!("\n{d}"));
    }
    t.push_str(&format!("\nDue {} · priority {}", f.due_at.format("%Y-%m-%d %H:%M UTC"), f.priority));
    t
}

fn claim_name(id: FollowUpId) -> String {
    format!("reminder:{id}")
}

impl CrmService {
    /// Sends the due, not yet reminded follow-ups to their owners' linked Telegram accounts
    /// through `gateway`, claiming each as `holder` (this instance's name) first.
    pub async fn remind_due(&self, gateway: &dyn TelegramGateway, holder: &str) -> Result<ReminderRound, CrmError> {
        let now = self.now();
        let mut round = ReminderRound::default();
        // Owners left out of the rest of this round (not linked, or their sends fail).
        let mut skip: Vec<AvatarId> = Vec::new();
        let mut failing: Vec<AvatarId> = Vec::new();
        let mut linked: HashMap<AvatarId, TelegramUser> = HashMap::new();
        for _ in 0..ROUND_PAGES {
            let due = self.store.due_followups(now, ROUND_LIMIT, &skip).await?;
            let skipped_before = skip.len();
            for f in due {
                if round.sent + round.failed.len() >= ROUND_LIMIT {
                    return Ok(round);
                }
                let owner = f.owner_avatar_id;
                if failing.contains(&owner) {
                    round.deferred += 1;
                    continue;
                }
                if skip.contains(&owner) {
                    round.unlinked += 1;
                    continue;
                }
                let user = match linked.get(&owner) {
                    Some(u) => u.clone(),
                    None => match self.linked_telegram_user(owner).await? {
                        Some(u) => linked.entry(owner).or_insert(u).clone(),
                        None => {
                            skip.push(owner);
                            round.unlinked += 1;
                            continue;
                        }
                    },
                };
                let claim = claim_name(f.id);
                if !self.store.acquire_lease(&claim, holder, now, REMINDER_CLAIM_TTL).await? {
                    round.claimed_elsewhere += 1;
                    continue;
                }
                // Read again under the claim: another instance may have sent it since the list.
                let current = self.store.get_followup(owner, f.id).await?.filter(|c| c.overdue_at(now) && c.reminded_at.is_none());
                let Some(current) = current else {
                    self.store.release_lease(&claim, holder).await?;
                    continue;
                };
                let conversation = self.conversation(owner, current.conversation_id).await.ok().and_then(|c| c.contact_name.or(c.title));
                let text = crate::ports::OutgoingText {
                    chat_id: user.id,
                    business_connection_id: None,
                    text: reminder_text(&current, conversation.as_deref()),
                    reply_to_message_id: None,
                };
                match gateway.send_text(text).await {
                    Ok(_) => {
                        self.mark_reminded(owner, current.id).await?;
                        round.sent += 1;
                    }
                    Err(e) => {
                        round.failed.push((current.id, e.to_string()));
                        failing.push(owner);
                        skip.push(owner);
                    }
                }
                self.store.release_lease(&claim, holder).await?;
            }
            // Only owners newly left out make the next page differ from this one.
            if skip.len() == skipped_before {
                break;
            }
        }
        Ok(round)
    }
}
