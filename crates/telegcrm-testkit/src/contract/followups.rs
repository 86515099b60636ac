//! Follow-ups: views, order, complete, cancel, snooze, delete, and the reminder job's view.

use std::sync::Arc;
use telegcrm_domain::Access;

use telegcrm_domain::ports::Store;
use telegcrm_domain::service::{FollowUpUpdate, NewFollowUp};
use telegcrm_domain::{ConversationId, CrmError, FollowUp, FollowUpId, FollowUpStatus, FollowUpView, PageRequest, Priority};

use super::{Crm, all_pages};
use crate::fixtures::{alexey, at, incoming, msg, private_chat, zoe};

/// Opens a conversation with Zoë and returns its id.
async fn conversation(crm: &Crm) -> ConversationId {
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "Bitte melden Sie sich nächste Woche", at(-600)))]).await;
    crm.conversation(&chat).await.id
}

async fn create(crm: &Crm, conversation_id: ConversationId, title: &str, due_minute: i64) -> FollowUp {
    let new = NewFollowUp {
        conversation_id,
        title: title.to_owned(),
        description: Some("Angebot nachfassen".into()),
        due_at: at(due_minute),
        priority: Some(Priority::High),
    };
    crm.service.create_followup(&crm.me(), new).await.unwrap()
}

async fn view(crm: &Crm, view: FollowUpView, conversation_id: Option<ConversationId>) -> Vec<FollowUp> {
    all_pages(50, async |p| crm.service.list_followups(crm.owner, view, conversation_id, &p).await.unwrap()).await
}

fn titles(list: &[FollowUp]) -> Vec<&str> {
    list.iter().map(|f| f.title.as_str()).collect()
}

/// Four pending (two overdue), one completed, one cancelled; the clock stands at minute 0.
async fn seed(crm: &Crm) -> ConversationId {
    let conv = conversation(crm).await;
    create(crm, conv, "later", 600).await;
    create(crm, conv, "overdue B", -10).await;
    create(crm, conv, "soon", 30).await;
    create(crm, conv, "overdue A", -120).await;
    let done = create(crm, conv, "done", -200).await;
    crm.service.complete_followup(&crm.me(), done.id).await.unwrap();
    let dropped = create(crm, conv, "dropped", -300).await;
    crm.service.cancel_followup(&crm.me(), dropped.id).await.unwrap();
    conv
}

/// The pending list holds overdue ones too, soonest due first, overdue ones flagged.
pub async fn pending_followups_include_overdue_soonest_first(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    seed(&crm).await;
    let pending = all_pages(2, async |p| crm.service.pending_followups(crm.owner, &p).await.unwrap()).await;
    assert_eq!(titles(&pending), ["overdue A", "overdue B", "soon", "later"]);
    assert_eq!(pending.iter().map(|f| f.is_overdue).collect::<Vec<_>>(), [true, true, false, false]);
    assert!(pending.iter().all(|f| f.status == FollowUpStatus::Pending));
}

/// Each view shows what it names; "all" shows every follow-up, soonest due first.
pub async fn followup_views_pending_overdue_completed_cancelled_all(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    seed(&crm).await;
    assert_eq!(titles(&view(&crm, FollowUpView::Overdue, None).await), ["overdue A", "overdue B"]);
    let completed = view(&crm, FollowUpView::Completed, None).await;
    assert_eq!(titles(&completed), ["done"]);
    assert!(!completed[0].is_overdue, "a completed follow-up is never overdue");
    assert_eq!(titles(&view(&crm, FollowUpView::Cancelled, None).await), ["dropped"]);
    assert_eq!(titles(&view(&crm, FollowUpView::All, None).await), ["dropped", "done", "overdue A", "overdue B", "soon", "later"]);
    crm.clock.set(at(40));
    assert_eq!(titles(&view(&crm, FollowUpView::Overdue, None).await), ["overdue A", "overdue B", "soon"], "overdue is relative to now");
}

/// `conversationId` narrows every view to one conversation.
pub async fn followups_filter_by_conversation(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let first = seed(&crm).await;
    let chat = private_chat(crm.owner, &alexey());
    crm.ingest([msg(incoming(&chat, 1, "Перезвоните мне", at(-5)))]).await;
    let second = crm.conversation(&chat).await.id;
    create(&crm, second, "позвонить Алексею", 15).await;
    assert_eq!(titles(&view(&crm, FollowUpView::Pending, Some(second)).await), ["позвонить Алексею"]);
    assert_eq!(view(&crm, FollowUpView::Pending, Some(first)).await.len(), 4);
    assert_eq!(view(&crm, FollowUpView::All, Some(first)).await.len(), 6);
    assert_eq!(view(&crm, FollowUpView::Pending, None).await.len(), 5);
}

/// Completing records when, leaves the pending list; reopening clears it.
pub async fn completing_a_followup_records_when(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let conv = conversation(&crm).await;
    let f = create(&crm, conv, "Angebot schicken", -30).await;
    assert!(f.is_overdue);
    crm.clock.set(at(5));
    let done = crm.service.complete_followup(&crm.me(), f.id).await.unwrap();
    assert_eq!((done.status, done.completed_at, done.is_overdue), (FollowUpStatus::Completed, Some(at(5)), false));
    assert_eq!(crm.service.followup(crm.owner, f.id).await.unwrap(), done);
    assert!(view(&crm, FollowUpView::Pending, None).await.is_empty());
    let update = FollowUpUpdate { status: Some(FollowUpStatus::Pending), ..Default::default() };
    let reopened = crm.service.update_followup(&crm.me(), f.id, update).await.unwrap();
    assert_eq!((reopened.status, reopened.completed_at, reopened.is_overdue), (FollowUpStatus::Pending, None, true));
    assert_eq!(reopened.title, "Angebot schicken");
}

/// Snoozing moves the due time forward, clears the reminder, and the reminder job sees it again
/// once the new time comes.
pub async fn snoozing_moves_the_due_time_and_reminds_again(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let conv = conversation(&crm).await;
    let f = create(&crm, conv, "Rückruf", -30).await;
    let reminded = crm.service.mark_reminded(crm.owner, f.id).await.unwrap();
    assert_eq!(reminded.reminded_at, Some(at(0)));
    assert!(crm.store.due_followups(at(0), 10, &[]).await.unwrap().is_empty(), "reminded once is enough");
    let snoozed = crm.service.snooze_followup(&crm.me(), f.id, at(60)).await.unwrap();
    assert_eq!((snoozed.due_at, snoozed.snoozed_until, snoozed.reminded_at), (at(60), Some(at(60)), None));
    assert!(!snoozed.is_overdue);
    assert!(crm.store.due_followups(at(0), 10, &[]).await.unwrap().is_empty());
    let due: Vec<FollowUpId> = crm.store.due_followups(at(61), 10, &[]).await.unwrap().iter().map(|f| f.id).collect();
    assert_eq!(due, [f.id]);
    assert!(matches!(crm.service.snooze_followup(&crm.me(), f.id, at(-1)).await, Err(CrmError::Invalid { .. })));
    crm.service.complete_followup(&crm.me(), f.id).await.unwrap();
    assert!(matches!(crm.service.snooze_followup(&crm.me(), f.id, at(90)).await, Err(CrmError::Invalid { .. })));
}

/// A deleted follow-up is gone; cancelling keeps it but takes it off the pending list.
pub async fn deleted_followup_is_gone(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let conv = conversation(&crm).await;
    let kept = create(&crm, conv, "kept", 10).await;
    let cancelled = create(&crm, conv, "cancelled", 20).await;
    let gone = create(&crm, conv, "gone", 30).await;
    crm.service.delete_followup(&crm.me(), gone.id).await.unwrap();
    assert!(matches!(crm.service.followup(crm.owner, gone.id).await, Err(CrmError::NotFound { .. })));
    assert!(matches!(crm.service.delete_followup(&crm.me(), gone.id).await, Err(CrmError::NotFound { .. })));
    assert!(!crm.store.delete_followup(crm.owner, gone.id).await.unwrap());
    let c = crm.service.cancel_followup(&crm.me(), cancelled.id).await.unwrap();
    assert_eq!((c.status, c.completed_at), (FollowUpStatus::Cancelled, None));
    assert_eq!(titles(&view(&crm, FollowUpView::Pending, None).await), ["kept"]);
    assert_eq!(titles(&view(&crm, FollowUpView::All, None).await), ["kept", "cancelled"]);
    assert_eq!(crm.service.followup(crm.owner, kept.id).await.unwrap().title, "kept");
}

/// The reminder job sees due, pending, not-yet-reminded follow-ups of every owner, soonest first,
/// at most `limit`.
pub async fn due_followups_span_owners_and_skip_reminded_ones(store: Arc<dyn Store>) {
    let a = Crm::new(store);
    let b = a.other_owner();
    let (conv_a, conv_b) = (conversation(&a).await, conversation(&b).await);
    let a1 = create(&a, conv_a, "a: due", -20).await;
    let a2 = create(&a, conv_a, "a: reminded", -5).await;
    a.service.mark_reminded(a.owner, a2.id).await.unwrap();
    create(&a, conv_a, "a: future", 30).await;
    let a4 = create(&a, conv_a, "a: completed", -50).await;
    a.service.complete_followup(&Access::owner(a.owner), a4.id).await.unwrap();
    let b1 = create(&b, conv_b, "b: due", -10).await;
    let b2 = create(&b, conv_b, "b: cancelled", -60).await;
    b.service.cancel_followup(&Access::owner(b.owner), b2.id).await.unwrap();
    let due = a.store.due_followups(at(0), 10, &[]).await.unwrap();
    assert_eq!(due.iter().map(|f| f.id).collect::<Vec<_>>(), [a1.id, b1.id]);
    assert_eq!(due.iter().map(|f| f.owner_avatar_id).collect::<Vec<_>>(), [a.owner, b.owner]);
    let one = a.store.due_followups(at(0), 1, &[]).await.unwrap();
    assert_eq!(one.iter().map(|f| f.id).collect::<Vec<_>>(), [a1.id]);
    let without_a = a.store.due_followups(at(0), 10, &[a.owner]).await.unwrap();
    assert_eq!(without_a.iter().map(|f| f.id).collect::<Vec<_>>(), [b1.id], "a skipped owner's follow-ups are left out");
    assert!(a.store.due_followups(at(0), 10, &[a.owner, b.owner]).await.unwrap().is_empty());
    let from_service = a.service.due_reminders(10).await.unwrap();
    assert!(from_service.iter().all(|f| f.is_overdue));
    assert_eq!(from_service.len(), 2);
    let page = a.service.pending_followups(a.owner, &PageRequest::default()).await.unwrap();
    assert_eq!(page.items.len(), 3, "the other owner's follow-ups stay out of this owner's list");
}

/// A follow-up due exactly now is overdue (the domain's `dueAt <= now`): listed as overdue,
/// flagged, and picked up by the reminder job.
pub async fn followup_due_exactly_now_is_overdue_and_due(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let conv = conversation(&crm).await;
    let now = create(&crm, conv, "now", 0).await;
    let soon = create(&crm, conv, "in a second", 0).await;
    let update = FollowUpUpdate { due_at: Some(at(0) + chrono::Duration::seconds(1)), ..Default::default() };
    crm.service.update_followup(&crm.me(), soon.id, update).await.unwrap();
    let overdue = view(&crm, FollowUpView::Overdue, None).await;
    assert_eq!(titles(&overdue), ["now"]);
    assert!(overdue[0].is_overdue);
    let due = crm.store.due_followups(at(0), 10, &[]).await.unwrap();
    assert_eq!(due.iter().map(|f| f.id).collect::<Vec<_>>(), [now.id]);
}
