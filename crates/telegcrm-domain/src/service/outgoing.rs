//! What the CRM does in Telegram for the owner: send (as a reply, too), edit and delete their
//! messages, mark a Business chat read, and fetch a message's file. Each is checked here before
//! Telegram is called, so the owner reads why something cannot be done in the CRM's words; what
//! Telegram accepted is then stored through the same capture rules as live updates.

use crate::error::{CrmError, Entity, GatewayError};
use crate::event::{CapturedDeletion, CapturedEdit, CapturedMessage, ChatInfo, InboundEvent};
use crate::ids::{AvatarId, ConversationId};
use crate::model::{Conversation, Media, Message, MessageDetails};
use crate::page::PageRequest;
use crate::ports::{OutgoingFile, OutgoingText, SentMessage, TelegramGateway};
use crate::values::{Direction, MessageType};

use super::CrmService;
use crate::model::{Access, Action};

/// Telegram's limit for one text message.
pub const MAX_TELEGRAM_TEXT: usize = 4096;
/// The largest file the cloud Bot API lets a bot upload.
pub const MAX_BOT_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;
/// The largest photo the Bot API takes (larger pictures are sent as documents).
pub const MAX_PHOTO_BYTES: u64 = 10 * 1024 * 1024;
/// Telegram's limit for a caption.
pub const MAX_CAPTION: usize = 1024;

/// A file the owner sends, spooled to disk by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileToSend {
    /// Where it is; its file name is the one Telegram shows.
    pub path: std::path::PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// The caption (trimmed; empty for none).
    pub caption: String,
    /// The message of the conversation it answers.
    pub reply_to: Option<i64>,
}

impl FileToSend {
    /// Whether it goes as a photo: a JPEG, PNG or WebP (by its name) within the photo limit.
    /// Anything else is a document, which Telegram passes on as it is.
    pub fn as_photo(&self) -> bool {
        let ext = self.path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        matches!(ext.as_deref(), Some("jpg" | "jpeg" | "png" | "webp")) && self.size <= MAX_PHOTO_BYTES
    }
}

/// The largest file the cloud Bot API lets a bot download (`getFile`).
pub const MAX_BOT_DOWNLOAD_BYTES: u64 = 20 * 1024 * 1024;

/// A message's file, as [`CrmService::message_file`] gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageFile {
    /// What the message says of the file (type, name, size).
    pub media: Media,
    /// The kind of message (a photo, a voice note...), for readers that need a content type.
    pub message_type: MessageType,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Whether they came from the cache (not from Telegram).
    pub cached: bool,
}

/// A text as Telegram takes it: trimmed, not empty, at most [`MAX_TELEGRAM_TEXT`] characters.
fn checked_text(text: &str) -> Result<&str, CrmError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CrmError::invalid("text", "must not be empty"));
    }
    if text.chars().count() > MAX_TELEGRAM_TEXT {
        return Err(CrmError::invalid("text", format!("at most {MAX_TELEGRAM_TEXT} characters (Telegram's limit)")));
    }
    Ok(text)
}

impl CrmService {
    /// Sends a text through Telegram (through the business connection when the chat came through
    /// one) and stores what Telegram accepted as an outgoing message.
    pub async fn send_message(&self, by: &Access, id: ConversationId, text: &str) -> Result<Message, CrmError> {
        self.send_reply(by, id, text, None).await
    }

    /// Sends a text that answers `reply_to` (a Telegram message id of this conversation), or no
    /// message when `None`.
    pub async fn send_reply(&self, by: &Access, id: ConversationId, text: &str, reply_to: Option<i64>) -> Result<Message, CrmError> {
        let owner = by.require(Action::Work)?;
        let text = checked_text(text)?;
        let conv = self.conversation(owner, id).await?;
        self.check_reply(owner, id, reply_to).await?;
        let gateway = self.gateway()?;
        let connection = self.acting_connection(owner, &conv, "reply").await?;
        let by_business_bot = connection.is_some();
        let out = OutgoingText {
            chat_id: conv.telegram_chat_id,
            business_connection_id: connection,
            text: text.to_owned(),
            reply_to_message_id: reply_to,
        };
        let sent = gateway.send_text(out).await?;
        self.store_sent(&conv, sent, reply_to, by_business_bot).await
    }

    /// Sends a photo or a document (see [`FileToSend::as_photo`]) with its caption, as a reply
    /// when asked, and stores what Telegram accepted as an outgoing message with its file.
    pub async fn send_file(&self, by: &Access, id: ConversationId, file: FileToSend) -> Result<Message, CrmError> {
        let owner = by.require(Action::Work)?;
        // Another owner's conversation is not found, whatever the file.
        let conv = self.conversation(owner, id).await?;
        if file.size == 0 {
            return Err(CrmError::invalid("file", "is empty"));
        }
        if file.size > MAX_BOT_UPLOAD_BYTES {
            return Err(CrmError::invalid("file", "is larger than the 50 MB Telegram lets bots send"));
        }
        let caption = file.caption.trim();
        if caption.chars().count() > MAX_CAPTION {
            return Err(CrmError::invalid("caption", format!("at most {MAX_CAPTION} characters (Telegram's limit)")));
        }
        self.check_reply(owner, id, file.reply_to).await?;
        let gateway = self.gateway()?;
        let connection = self.acting_connection(owner, &conv, "send files").await?;
        let by_business_bot = connection.is_some();
        let out = OutgoingFile {
            chat_id: conv.telegram_chat_id,
            business_connection_id: connection,
            as_photo: file.as_photo(),
            path: file.path,
            caption: Some(caption.to_owned()).filter(|c| !c.is_empty()),
            reply_to_message_id: file.reply_to,
        };
        let sent = gateway.send_file(out).await?;
        self.store_sent(&conv, sent, file.reply_to, by_business_bot).await
    }

    /// A reply must answer a message of the same conversation.
    async fn check_reply(&self, owner: AvatarId, id: ConversationId, reply_to: Option<i64>) -> Result<(), CrmError> {
        if let Some(to) = reply_to {
            self.store
                .find_message(owner, id, to)
                .await?
                .ok_or_else(|| CrmError::invalid("replyToTelegramMessageId", format!("this conversation has no message {to}")))?;
        }
        Ok(())
    }

    /// Stores what Telegram accepted from us as an outgoing message, by the capture rules.
    async fn store_sent(
        &self,
        conv: &Conversation,
        sent: SentMessage,
        reply_to: Option<i64>,
        by_business_bot: bool,
    ) -> Result<Message, CrmError> {
        let telegram_message_id = sent.telegram_message_id;
        let captured = CapturedMessage {
            chat: chat_of(conv),
            telegram_message_id,
            direction: Direction::Outgoing,
            sender: sent.sender,
            text: sent.text,
            message_type: sent.message_type,
            media: sent.media,
            reply_to_telegram_message_id: reply_to,
            sent_at: sent.sent_at,
            details: MessageDetails { sent_by_business_bot: by_business_bot, ..MessageDetails::default() },
        };
        self.ingest(vec![InboundEvent::Message(captured)], Vec::new()).await?;
        self.stored_message(conv.owner_avatar_id, conv.id, telegram_message_id).await
    }

    /// Replaces the text of one of the owner's messages in Telegram, then here (the earlier
    /// text kept in its edits). The same text again changes nothing and calls nobody.
    pub async fn edit_message(&self, by: &Access, id: ConversationId, telegram_message_id: i64, text: &str) -> Result<Message, CrmError> {
        let owner = by.require(Action::Work)?;
        let text = checked_text(text)?;
        let conv = self.conversation(owner, id).await?;
        let message = self.stored_message(owner, id, telegram_message_id).await?;
        if let Some(why) = message.refusal_to_edit(self.clock.now()) {
            return Err(CrmError::invalid("message", why));
        }
        if message.content == text {
            return Ok(message);
        }
        let gateway = self.gateway()?;
        let connection = self.acting_connection(owner, &conv, "edit").await?;
        let edited = gateway.edit_text(conv.telegram_chat_id, connection, telegram_message_id, text.to_owned()).await?;
        let captured = CapturedMessage {
            chat: chat_of(&conv),
            telegram_message_id,
            direction: message.direction,
            sender: None,
            text: edited.text,
            message_type: message.message_type,
            media: message.media.clone(),
            reply_to_telegram_message_id: message.reply_to_telegram_message_id,
            sent_at: message.sent_at,
            details: MessageDetails::default(),
        };
        let at = edited.sent_at.max(message.edited_at.map_or(message.sent_at, |e| e + chrono::Duration::milliseconds(1)));
        self.ingest(vec![InboundEvent::Edit(CapturedEdit { message: captured, edited_at: at })], Vec::new()).await?;
        self.stored_message(owner, id, telegram_message_id).await
    }

    /// Deletes one of the owner's messages in Telegram, then marks it deleted here (its content
    /// is kept, as for deletions Telegram reports).
    pub async fn delete_message(&self, by: &Access, id: ConversationId, telegram_message_id: i64) -> Result<Message, CrmError> {
        let owner = by.require(Action::Work)?;
        let conv = self.conversation(owner, id).await?;
        let message = self.stored_message(owner, id, telegram_message_id).await?;
        let now = self.clock.now();
        let business = conv.business_connection_id.is_some();
        if let Some(why) = message.refusal_to_delete(business, now) {
            return Err(CrmError::invalid("message", why));
        }
        let gateway = self.gateway()?;
        let connection = self.acting_connection(owner, &conv, "delete").await?;
        if let Some(c) = connection.as_deref()
            && let Some(why) = self.business_connection(c).await?.and_then(|c| c.refusal_to_delete(&message))
        {
            return Err(CrmError::invalid("message", why));
        }
        gateway.delete_messages(conv.telegram_chat_id, connection, vec![telegram_message_id]).await?;
        let deletion = CapturedDeletion { chat: conv.key(), telegram_message_ids: vec![telegram_message_id], deleted_at: now };
        self.ingest(vec![InboundEvent::Deletion(deletion)], Vec::new()).await?;
        self.stored_message(owner, id, telegram_message_id).await
    }

    /// In a Business chat whose connection lets the bot read (`can_read_messages`), marks the
    /// newest incoming message read in the owner's Telegram. Telegram refusing, or being out of
    /// reach, is logged and not the owner's error: the CRM's own read state is already stored.
    pub async fn sync_read(&self, conv: &Conversation) {
        let (Some(gateway), Some(c)) = (self.gateway.as_ref(), conv.business_connection_id.as_deref()) else { return };
        if conv.key().is_imported_personal() {
            return;
        }
        let result = async {
            if !self.business_connection(c).await?.is_some_and(|c| c.may_read()) {
                return Ok(());
            }
            let page = self.store.list_messages(conv.owner_avatar_id, conv.id, &PageRequest::first(20)?).await?;
            let Some(newest) = page.items.iter().find(|m| m.direction == Direction::Incoming && m.deleted_at.is_none()) else {
                return Ok(());
            };
            gateway.read_business_message(c.to_owned(), conv.telegram_chat_id, newest.telegram_message_id).await?;
            Ok::<(), CrmError>(())
        };
        if let Err(e) = result.await {
            tracing::warn!(conversation = %conv.id, error = %e, "could not mark the Business chat read in Telegram");
        }
    }

    /// The file of a message, for the caller only: from the file cache when it holds it, else
    /// from Telegram (then kept in the cache). A message without a file is not found; a file
    /// over the 20 MB bots may download is refused before Telegram is asked.
    pub async fn message_file(&self, owner: AvatarId, id: ConversationId, telegram_message_id: i64) -> Result<MessageFile, CrmError> {
        let message = self.stored_message(owner, id, telegram_message_id).await?;
        let media = message.media.ok_or_else(|| CrmError::not_found(Entity::Media, format!("{id}/{telegram_message_id}")))?;
        if media.file_size.is_some_and(|n| n > MAX_BOT_DOWNLOAD_BYTES) {
            return Err(GatewayError::FileTooLarge { max_bytes: MAX_BOT_DOWNLOAD_BYTES }.into());
        }
        // Telegram's file_unique_id names the same bytes for every bot and over time; an older
        // message without one is cached under its file id.
        let key = if media.file_unique_id.is_empty() { &media.file_id } else { &media.file_unique_id };
        if let Some(bytes) = match &self.files {
            Some(cache) => cache.get(key).await,
            None => None,
        } {
            return Ok(MessageFile { media, message_type: message.message_type, bytes, cached: true });
        }
        let bytes = self.gateway()?.fetch_file(media.file_id.clone(), MAX_BOT_DOWNLOAD_BYTES).await?;
        if let Some(cache) = &self.files {
            cache.put(key, &bytes).await;
        }
        Ok(MessageFile { media, message_type: message.message_type, bytes, cached: false })
    }

    fn gateway(&self) -> Result<&dyn TelegramGateway, CrmError> {
        Ok(self.gateway.as_deref().ok_or(GatewayError::NotConfigured)?)
    }

    /// One message of a conversation, by its Telegram id.
    pub async fn stored_message(&self, owner: AvatarId, id: ConversationId, telegram_message_id: i64) -> Result<Message, CrmError> {
        self.store
            .find_message(owner, id, telegram_message_id)
            .await?
            .ok_or_else(|| CrmError::not_found(Entity::Message, telegram_message_id))
    }

    /// The Business connection to act through in `conv` (`None` for the bot's own chats), once
    /// the CRM knows Telegram would let it: the chat works (the bot not removed, the group not
    /// moved) and the connection is on and may reply. A personal chat imported before the
    /// connection was known is acted on through the owner's connection now; without one the bot
    /// would act from its own account. An unknown connection is left for Telegram to judge.
    async fn acting_connection(&self, owner: AvatarId, conv: &Conversation, what: &str) -> Result<Option<String>, CrmError> {
        if let Some(why) = conv.refusal_to_send() {
            return Err(CrmError::invalid("conversation", why));
        }
        let connection = if conv.key().is_imported_personal() {
            Some(self.business_connection_of(owner).await?.ok_or_else(|| {
                CrmError::invalid(
                    "conversation",
                    format!(
                        "this chat came from your Telegram export; connect the bot to your account with Telegram Business to {what} here"
                    ),
                )
            })?)
        } else {
            conv.business_connection_id.clone()
        };
        if let Some(c) = connection.as_deref()
            && let Some(why) = self.business_connection(c).await?.and_then(|c| c.refusal_to_send())
        {
            return Err(CrmError::invalid("conversation", why));
        }
        Ok(connection)
    }
}

/// The chat of a conversation, as captured messages name it.
fn chat_of(conv: &Conversation) -> ChatInfo {
    ChatInfo { key: conv.key(), chat_type: conv.chat_type, title: conv.title.clone(), counterpart: None }
}
