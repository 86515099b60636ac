//! Who owns an update: the configured owner for the bot's own chats; for business data, the
//! avatar linked to the connection's Telegram user, else the configured owner.

use std::collections::HashMap;

use telegcrm_domain::{AvatarId, CrmError, CrmService, StoreError};

use crate::map::MapContext;
use crate::update::{Update, UpdateKind};
use crate::wire;

/// Resolves owners for one batch of updates, reading each connection and link once.
///
/// Connections and links made earlier in the same batch are noted with [`Self::note_connection`]
/// and [`Self::note_link`], so later updates of the batch see them before they are stored.
pub struct OwnerResolver<'a> {
    service: &'a CrmService,
    default_owner: Option<AvatarId>,
    bot_id: Option<i64>,
    /// Connection id → the business account's Telegram user id (`None`: unknown connection).
    connections: HashMap<String, Option<i64>>,
    /// Telegram user id → linked avatar.
    links: HashMap<i64, Option<AvatarId>>,
}

impl std::fmt::Debug for OwnerResolver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnerResolver").field("default_owner", &self.default_owner).field("bot_id", &self.bot_id).finish_non_exhaustive()
    }
}

impl<'a> OwnerResolver<'a> {
    /// A resolver over `store`; `default_owner` owns bot chats and unlinked business data.
    pub fn new(service: &'a CrmService, default_owner: Option<AvatarId>, bot_id: Option<i64>) -> Self {
        Self { service, default_owner, bot_id, connections: HashMap::new(), links: HashMap::new() }
    }

    /// The mapping context of an update, or `None` when nobody owns it (no configured owner and
    /// no link).
    pub async fn context_for(&mut self, update: &Update) -> Result<Option<MapContext>, CrmError> {
        let (owner, business_user_id) = match &update.kind {
            UpdateKind::Message(_)
            | UpdateKind::EditedMessage(_)
            | UpdateKind::ChannelPost(_)
            | UpdateKind::EditedChannelPost(_)
            | UpdateKind::MessageReaction(_)
            | UpdateKind::MessageReactionCount(_)
            | UpdateKind::MyChatMember(_) => (self.default_owner, None),
            UpdateKind::BusinessConnection(c) => (self.owner_of_user(c.user.id).await?, Some(c.user.id)),
            UpdateKind::BusinessMessage(m) | UpdateKind::EditedBusinessMessage(m) => {
                self.business(m.business_connection_id.as_deref()).await?
            }
            UpdateKind::DeletedBusinessMessages(d) => self.business(Some(&d.business_connection_id)).await?,
        };
        Ok(owner.map(|owner| MapContext { owner, bot_id: self.bot_id, business_user_id }))
    }

    /// Remembers a connection seen earlier in this batch.
    pub fn note_connection(&mut self, c: &wire::BusinessConnection) {
        self.connections.insert(c.id.clone(), Some(c.user.id));
    }

    /// Remembers a link made earlier in this batch.
    pub fn note_link(&mut self, telegram_user_id: i64, avatar: AvatarId) {
        self.links.insert(telegram_user_id, Some(avatar));
    }

    async fn business(&mut self, connection_id: Option<&str>) -> Result<(Option<AvatarId>, Option<i64>), CrmError> {
        let user = match connection_id {
            Some(id) => self.connection_user(id).await?,
            None => None,
        };
        let owner = match user {
            Some(user) => self.owner_of_user(user).await?,
            None => self.default_owner,
        };
        Ok((owner, user))
    }

    async fn connection_user(&mut self, id: &str) -> Result<Option<i64>, CrmError> {
        if let Some(user) = self.connections.get(id) {
            return Ok(*user);
        }
        let user = match self.service.business_connection(id).await {
            Ok(c) => c.map(|c| c.user.id),
            Err(CrmError::Store(StoreError::Corrupt(e))) => {
                tracing::warn!(connection = id, error = %e, "stored business connection does not parse; treating it as unknown");
                None
            }
            Err(e) => return Err(e),
        };
        self.connections.insert(id.to_owned(), user);
        Ok(user)
    }

    async fn owner_of_user(&mut self, telegram_user_id: i64) -> Result<Option<AvatarId>, CrmError> {
        let linked = match self.links.get(&telegram_user_id) {
            Some(linked) => *linked,
            None => {
                let linked = self.service.linked_avatar(telegram_user_id).await?;
                self.links.insert(telegram_user_id, linked);
                linked
            }
        };
        Ok(linked.or(self.default_owner))
    }
}
