//! Recording and reading the activity log ([`crate::model::Activity`]). Every operation that a
//! person's change goes through records it here, after the change succeeded.

use super::CrmService;
use crate::error::CrmError;
use crate::ids::{ActivityId, AvatarId, ContactId, ConversationId, FollowUpId};
use crate::model::{Access, Activity};
use crate::page::{Page, PageRequest};
use crate::values::ActivityKind;

/// What an entry is about, besides its kind and detail.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct About {
    pub conversation: Option<ConversationId>,
    pub contact: Option<ContactId>,
    pub follow_up: Option<FollowUpId>,
    pub member: Option<AvatarId>,
}

impl About {
    pub(crate) fn conversation(id: ConversationId) -> Self {
        Self { conversation: Some(id), ..Self::default() }
    }

    pub(crate) fn contact(id: ContactId) -> Self {
        Self { contact: Some(id), ..Self::default() }
    }

    pub(crate) fn member(avatar: AvatarId) -> Self {
        Self { member: Some(avatar), ..Self::default() }
    }
}

/// The names of the fields a change gives, for an entry's detail ("company, email"); `None`
/// when it gives none (nothing changed, nothing to record).
pub(crate) fn fields_given(fields: &[(bool, &str)]) -> Option<String> {
    let given: Vec<&str> = fields.iter().filter_map(|(given, name)| given.then_some(*name)).collect();
    (!given.is_empty()).then(|| given.join(", "))
}

impl CrmService {
    /// Records a change `by` made. The change has happened: a store that cannot keep the entry
    /// is logged, and the change is not reported as failed.
    pub(crate) async fn record(&self, by: &Access, kind: ActivityKind, about: About, detail: impl Into<String>) {
        let entry = Activity {
            id: ActivityId::new(),
            owner_avatar_id: by.workspace(),
            actor_avatar_id: by.avatar(),
            kind,
            conversation_id: about.conversation,
            contact_id: about.contact,
            follow_up_id: about.follow_up,
            member_avatar_id: about.member,
            detail: detail.into(),
            at: self.now(),
        };
        if let Err(e) = self.store.append_activity(&entry).await {
            tracing::warn!(kind = %kind, error = %e, "could not record a change in the activity log");
        }
    }

    /// A page of the workspace's activity, newest first; one conversation's when given (it must
    /// be the workspace's).
    pub async fn activity(
        &self,
        by: &Access,
        conversation: Option<ConversationId>,
        page: &PageRequest,
    ) -> Result<Page<Activity>, CrmError> {
        if let Some(id) = conversation {
            self.conversation(by.workspace(), id).await?;
        }
        Ok(self.store.list_activity(by.workspace(), conversation, page).await?)
    }
}
