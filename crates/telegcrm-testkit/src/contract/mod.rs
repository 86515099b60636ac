//! The store contract suite: what every store adapter must do, written once.
//!
//! Each case is a plain async function that takes a fresh, empty store. Rules of the CRM service
//! are driven through [`CrmService`] (so a store is checked the way the product uses it); the
//! port's own promises (ordering, leases, tenant isolation of each method) are checked on the port.
//!
//! An adapter runs the whole suite with one line in a test file, each case its own test:
//!
//! ```ignore
//! telegcrm_testkit::store_contract_tests!(|| async { std::sync::Arc::new(telegcrm_store_memory::MemoryStore::new()) });
//! ```
//!
//! The factory is called once per case and must return a fresh, empty store as an `Arc` of
//! anything that implements [`Store`]. The calling crate needs `tokio` as a dev-dependency.

pub mod activity;
pub mod canned;
pub mod capture;
pub mod chats;
pub mod check;
pub mod contacts;
pub mod conversations;
pub mod details;
pub mod followups;
pub mod isolation;
pub mod notes;
pub mod pagination;
pub mod parked;
pub mod priority;
pub mod restore;
pub mod search;
pub mod state;
pub mod team;

use std::sync::Arc;

use telegcrm_domain::event::{ChatInfo, InboundEvent, IngestReport};
use telegcrm_domain::ports::ConversationFilter;
pub use telegcrm_domain::ports::Store;
use telegcrm_domain::search::SearchFilters;
use telegcrm_domain::service::MessageHit;
use telegcrm_domain::{AvatarId, Contact, Conversation, CrmService, Cursor, Message, Page, PageRequest};

use crate::clock::ManualClock;
use crate::fixtures;

/// Every case of the suite, by module and name; the macro expands this list.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_cases {
    ($($mode:tt)*) => {
        $crate::__store_contract_emit! { ($($mode)*)
            plain capture::same_message_twice_is_stored_once,
            plain capture::same_message_twice_in_one_batch_is_stored_once,
            plain capture::redelivery_after_reading_leaves_the_conversation_read,
            plain capture::edit_keeps_the_earlier_text_in_history,
            plain capture::edit_history_is_capped_keeping_the_first_and_latest_versions,
            plain capture::replayed_or_stale_edit_changes_nothing,
            plain capture::edit_of_an_unseen_message_stores_it,
            plain capture::deletion_keeps_content_and_sets_deleted_at,
            plain capture::deletion_of_an_unknown_message_changes_nothing,
            plain capture::unread_count_goes_past_ten,
            plain capture::incoming_message_reactivates_archived_and_waiting_conversations,
            plain capture::outgoing_message_zeroes_unread_and_waits_for_the_other_side,
            plain capture::mark_read_zeroes_unread_and_marks_every_message_read,
            plain capture::late_older_message_does_not_replace_the_preview,
            plain capture::photo_caption_and_media_metadata_are_kept,
            plain capture::batch_state_is_written_with_the_batch,
            plain capture::business_connection_is_kept_in_state,
            plain capture::older_history_arrives_read_and_changes_nothing_that_shows,
            plain capture::newer_history_moves_the_conversation_but_arrives_read,
            plain capture::business_chat_joins_the_chat_imported_before_the_connection,
            plain details::message_details_read_back_as_captured,
            plain details::reactions_change_the_message_only,
            plain details::a_topics_messages_page_through_each_once,
            plain chats::the_bots_standing_in_a_chat_is_kept,
            plain chats::a_group_moved_to_a_supergroup_carries_its_work_over,
            plain restore::restored_records_read_back_as_they_were_and_only_once,
            plain restore::restored_records_never_replace_what_the_store_holds,
            plain priority::urgent_keywords_raise_priority_to_urgent,
            plain priority::important_raises_priority_to_high,
            plain priority::captions_are_read_for_priority,
            plain priority::keywords_match_whole_words_only,
            plain priority::detection_only_raises_priority,
            plain priority::manual_priority_is_never_overridden_by_detection,
            plain priority::an_edit_that_adds_a_keyword_raises_priority,
            plain contacts::first_message_creates_the_contact,
            plain contacts::contact_refresh_keeps_hand_edited_fields,
            plain contacts::contacts_are_per_owner,
            plain contacts::answering_makes_a_new_contact_active,
            plain contacts::contacts_filter_by_text_in_name_username_company_and_email,
            plain contacts::contacts_filter_by_category_and_tag,
            plain contacts::contact_conversations_are_that_contacts_only,
            plain conversations::business_chat_is_distinct_from_bot_chat_with_the_same_id,
            plain conversations::group_chat_has_no_contact_but_its_senders_become_contacts,
            plain conversations::tags_are_trimmed_and_unique_ignoring_case,
            multi conversations::concurrent_tag_adds_lose_nothing_and_stop_at_the_cap,
            plain conversations::patch_sets_summary_custom_fields_tags_and_status,
            plain conversations::conversations_list_newest_activity_first,
            plain conversations::conversations_filter_by_status,
            plain conversations::conversations_filter_by_priority,
            plain conversations::conversations_filter_by_tag_ignoring_case,
            plain conversations::conversations_filter_unread_only,
            plain conversations::conversations_filter_by_contact,
            plain pagination::conversation_pages_have_no_gap_or_duplicate,
            plain pagination::conversation_pages_survive_inserts_between_pages,
            multi pagination::conversation_pages_survive_concurrent_inserts,
            plain pagination::message_pages_survive_inserts_between_pages,
            multi pagination::message_pages_survive_concurrent_inserts,
            plain pagination::contact_pages_survive_inserts_between_pages,
            plain pagination::followup_pages_survive_inserts_between_pages,
            plain followups::pending_followups_include_overdue_soonest_first,
            plain followups::followup_views_pending_overdue_completed_cancelled_all,
            plain followups::followups_filter_by_conversation,
            plain followups::completing_a_followup_records_when,
            plain followups::snoozing_moves_the_due_time_and_reminds_again,
            plain followups::deleted_followup_is_gone,
            plain followups::due_followups_span_owners_and_skip_reminded_ones,
            plain followups::followup_due_exactly_now_is_overdue_and_due,
            plain search::search_ands_words,
            plain search::search_phrase_keeps_word_order,
            plain search::search_prefix_matches_word_starts,
            plain search::search_ignores_case_and_diacritics,
            plain search::search_finds_cyrillic_text,
            plain search::search_finds_words_over_the_term_limit,
            plain search::search_treats_special_characters_as_text,
            plain search::search_ranks_by_relevance_then_recency,
            plain search::search_snippets_mark_matches_and_escape_html,
            plain search::edited_message_is_found_by_its_new_text_only,
            plain search::deleted_message_drops_out_of_search,
            plain search::search_filters_by_contact_and_time,
            plain search::search_filters_by_conversation_priority_tag_and_status,
            plain search::search_conversations_groups_hits_by_conversation,
            plain search::search_candidates_are_newest_first_and_capped,
            plain isolation::another_owner_cannot_see_or_change_a_conversation,
            plain isolation::another_owner_sees_no_messages,
            plain isolation::another_owner_cannot_see_or_change_a_contact,
            plain isolation::another_owner_cannot_see_change_or_delete_a_followup,
            plain isolation::another_owner_finds_nothing_in_search,
            plain isolation::service_answers_not_found_for_another_owners_records,
            plain check::owners_are_listed_once_each,
            plain check::check_reports_and_repairs_counters_that_drifted,
            plain state::state_values_are_kept_and_overwritten,
            plain state::taken_state_is_single_use,
            multi state::taken_state_goes_to_one_taker_only,
            plain state::lease_is_exclusive_until_it_expires,
            plain state::released_lease_is_free_for_another_holder,
            multi state::lease_goes_to_one_of_many_racing_holders,
            plain parked::parked_updates_are_kept_listed_by_id_and_counted,
            multi parked::dropped_updates_are_counted_without_losing_concurrent_additions,
            plain parked::a_refused_update_is_parked_and_the_rest_of_its_batch_is_stored,
            plain parked::a_passing_store_failure_parks_nothing,
            plain parked::an_update_refused_again_counts_another_attempt,
            plain parked::retrying_a_parked_update_after_the_cause_is_gone_stores_it_once,
            plain parked::a_discarded_parked_update_is_gone,
            plain parked::refused_updates_beyond_the_cap_are_dropped_and_counted,
            plain parked::check_counts_and_lists_parked_updates,
            plain team::members_are_invited_listed_changed_and_removed,
            plain team::each_role_changes_only_what_it_may,
            plain team::a_workspace_index_entry_alone_grants_nothing,
            plain team::conversations_are_assigned_taken_and_given_back,
            plain notes::notes_are_written_listed_and_mention_members,
            plain canned::canned_replies_are_kept_filled_and_refused_clearly,
            plain activity::changes_are_logged_with_who_and_when,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_emit {
    ((@tests $factory:expr) $($flavor:ident $module:ident :: $name:ident),* $(,)?) => {
        $( $crate::__store_contract_test!($flavor $module $name ($factory)); )*
    };
    ((@names) $($flavor:ident $module:ident :: $name:ident),* $(,)?) => {
        &[ $( ::core::stringify!($name) ),* ]
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_test {
    (plain $module:ident $name:ident ($factory:expr)) => {
        #[::tokio::test]
        async fn $name() {
            let store: ::std::sync::Arc<dyn $crate::contract::Store> = ($factory)().await;
            $crate::contract::$module::$name(store).await;
        }
    };
    (multi $module:ident $name:ident ($factory:expr)) => {
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let store: ::std::sync::Arc<dyn $crate::contract::Store> = ($factory)().await;
            $crate::contract::$module::$name(store).await;
        }
    };
}

/// Expands into one `#[tokio::test]` per contract case, each on a fresh store from `$factory`
/// (an async closure or fn returning an `Arc` of a [`Store`]).
#[macro_export]
macro_rules! store_contract_tests {
    ($factory:expr $(,)?) => {
        $crate::__store_contract_cases!(@tests $factory);
    };
}

/// The names of every case of the suite, in order.
pub const CASES: &[&str] = __store_contract_cases!(@names);

/// The CRM of one owner over the store under test, with a clock that stands at [`fixtures::base`].
#[derive(Clone)]
pub struct Crm {
    /// The service, as the API uses it.
    pub service: CrmService,
    /// The store under test.
    pub store: Arc<dyn Store>,
    /// The service's clock.
    pub clock: Arc<ManualClock>,
    /// Whose CRM this is.
    pub owner: AvatarId,
}

impl Crm {
    /// The owner acting in its own workspace.
    pub fn me(&self) -> telegcrm_domain::Access {
        telegcrm_domain::Access::owner(self.owner)
    }
}

impl std::fmt::Debug for Crm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crm").field("owner", &self.owner).field("clock", &self.clock).finish_non_exhaustive()
    }
}

impl Crm {
    /// A fresh owner's CRM over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        let clock = Arc::new(ManualClock::at(fixtures::base()));
        let service = CrmService::new(store.clone()).with_clock(clock.clone());
        Self { service, store, clock, owner: fixtures::owner() }
    }

    /// Another owner's CRM over the same store and clock.
    pub fn other_owner(&self) -> Self {
        Self { owner: fixtures::owner(), ..self.clone() }
    }

    /// Ingests events as one batch.
    pub async fn ingest(&self, events: impl IntoIterator<Item = InboundEvent>) -> IngestReport {
        self.service.ingest(events.into_iter().collect(), Vec::new()).await.unwrap()
    }

    /// Every conversation of this owner passing `filter`, in list order.
    pub async fn conversations(&self, filter: &ConversationFilter) -> Vec<Conversation> {
        all_pages(50, async |p| self.service.list_conversations(self.owner, filter, &p).await.unwrap()).await
    }

    /// The conversation of `chat` (panics when there is none).
    pub async fn conversation(&self, chat: &ChatInfo) -> Conversation {
        self.find_conversation(chat).await.unwrap_or_else(|| panic!("no conversation for chat {:?}", chat.key))
    }

    /// The conversation of `chat`, if stored.
    pub async fn find_conversation(&self, chat: &ChatInfo) -> Option<Conversation> {
        assert_eq!(chat.key.owner, self.owner, "the chat belongs to another owner");
        self.conversations(&ConversationFilter::default())
            .await
            .into_iter()
            .find(|c| c.telegram_chat_id == chat.key.chat_id && c.business_connection_id == chat.key.business_connection_id)
    }

    /// Every message of `chat`'s conversation, newest first.
    pub async fn messages(&self, chat: &ChatInfo) -> Vec<Message> {
        let id = self.conversation(chat).await.id;
        all_pages(50, async |p| self.service.messages(self.owner, id, &p).await.unwrap()).await
    }

    /// One message of `chat` by its Telegram id (panics when there is none).
    pub async fn message(&self, chat: &ChatInfo, telegram_message_id: i64) -> Message {
        let id = self.conversation(chat).await.id;
        self.store.find_message(self.owner, id, telegram_message_id).await.unwrap().unwrap()
    }

    /// The contact for a Telegram user (panics when there is none).
    pub async fn contact(&self, telegram_id: i64) -> Contact {
        self.contacts(&Default::default()).await.into_iter().find(|c| c.telegram_id == telegram_id).unwrap()
    }

    /// Every contact of this owner passing `filter`, in list order.
    pub async fn contacts(&self, filter: &telegcrm_domain::ports::ContactFilter) -> Vec<Contact> {
        all_pages(50, async |p| self.service.list_contacts(self.owner, filter, &p).await.unwrap()).await
    }

    /// Every message hit of a search, best first.
    pub async fn search(&self, q: &str, filters: &SearchFilters) -> Vec<MessageHit> {
        all_pages(50, async |p| self.service.search_messages(self.owner, q, filters, &p).await.unwrap()).await
    }

    /// The contents of the messages a search finds, best first.
    pub async fn search_texts(&self, q: &str) -> Vec<String> {
        self.search(q, &SearchFilters::default()).await.into_iter().map(|h| h.message.content).collect()
    }
}

/// Follows `nextCursor` from the first page to the end, as a client would (the cursor goes
/// through its string form), and returns every item in order.
pub async fn all_pages<T>(limit: u32, mut fetch: impl AsyncFnMut(PageRequest) -> Page<T>) -> Vec<T> {
    let mut out = Vec::new();
    let mut request = PageRequest::first(limit).unwrap();
    for _ in 0..10_000 {
        let page = fetch(request).await;
        assert!(page.items.len() <= limit as usize, "a page holds at most `limit` items");
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => request.cursor = Some(Cursor::decode(&c.encode()).unwrap()),
            None => return out,
        }
    }
    panic!("a listing did not end after 10 000 pages");
}

/// Asserts that `seen` holds every one of `expected` exactly once and nothing twice.
pub fn assert_each_once<T: Eq + std::hash::Hash + std::fmt::Debug + Copy>(seen: &[T], expected: &[T]) {
    let mut counts = std::collections::HashMap::new();
    for id in seen {
        *counts.entry(*id).or_insert(0) += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).map(|(id, _)| id).collect();
    assert!(twice.is_empty(), "listed more than once: {twice:?}");
    let missing: Vec<_> = expected.iter().filter(|id| !counts.contains_key(id)).collect();
    assert!(missing.is_empty(), "never listed: {missing:?}");
}
