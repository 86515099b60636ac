//! A deterministic, realistic corpus: Zipf-distributed words (a share of them Cyrillic), private
//! and group chats, captions, edits and a few deletions, in the order a poller would see them.

use chrono::{DateTime, Duration, TimeZone, Utc};
use telegcrm_domain::event::{CapturedDeletion, CapturedEdit, CapturedMessage, ChatInfo, InboundEvent, TelegramUser};
use telegcrm_domain::{AvatarId, ChatKey, ChatType, Direction, Media, MessageType};

/// SplitMix64: small, fast, and the same sequence on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// Words ranked by frequency, sampled with Zipf's law (s = 1).
#[derive(Debug)]
pub struct Vocabulary {
    /// Words, most frequent first.
    pub words: Vec<String>,
    cumulative: Vec<f64>,
}

/// Syllable parts: onset, nucleus, coda. Words of two or three syllables (4 to 12 letters) look
/// like real words and seldom contain one another, so `LIKE '%word%'` is a fair naive baseline
/// (a rare word is not found inside common ones: the scan reads the table as it would on real text).
const LATIN_ONSET: &[&str] = &[
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "cr", "dr", "gr", "pl", "st", "tr",
    "sh", "ch", "th",
];
const LATIN_NUCLEUS: &[&str] = &["a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "ou", "io"];
const LATIN_CODA: &[&str] = &["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck"];
const CYRILLIC_ONSET: &[&str] = &[
    "б", "в", "г", "д", "ж", "з", "к", "л", "м", "н", "п", "р", "с", "т", "ф", "х", "ч", "ш", "бр", "гр", "др", "пр", "ст", "тр", "кл",
    "зв",
];
const CYRILLIC_NUCLEUS: &[&str] = &["а", "е", "и", "о", "у", "ы", "я", "ю", "а", "о"];
const CYRILLIC_CODA: &[&str] = &["", "", "", "н", "р", "с", "т", "л", "м", "к", "й", "ст"];
/// Real words at the top of the ranking, so a reader recognises the common-word case.
const COMMON: &[&str] = &["the", "you", "and", "order", "invoice", "привет", "please", "delivery", "спасибо", "price", "meeting", "заказ"];

impl Vocabulary {
    /// `size` distinct words, about one in five Cyrillic.
    pub fn new(rng: &mut Rng, size: usize) -> Self {
        let mut words: Vec<String> = COMMON.iter().map(|w| (*w).to_owned()).collect();
        let mut seen: std::collections::HashSet<String> = words.iter().cloned().collect();
        while words.len() < size {
            let (onset, nucleus, coda) =
                if rng.chance(0.2) { (CYRILLIC_ONSET, CYRILLIC_NUCLEUS, CYRILLIC_CODA) } else { (LATIN_ONSET, LATIN_NUCLEUS, LATIN_CODA) };
            let syllables = 2 + rng.below(2);
            let mut w = String::new();
            for _ in 0..syllables {
                w.push_str(onset[rng.below(onset.len())]);
                w.push_str(nucleus[rng.below(nucleus.len())]);
                w.push_str(coda[rng.below(coda.len())]);
            }
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let mut cumulative = Vec::with_capacity(size);
        let mut total = 0.0;
        for rank in 1..=size {
            total += 1.0 / rank as f64;
            cumulative.push(total);
        }
        Self { words, cumulative }
    }

    /// A word's rank drawn from the Zipf distribution.
    pub fn sample_rank(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.unit() * total;
        self.cumulative.partition_point(|c| *c < x).min(self.words.len() - 1)
    }
}

/// What the corpus is made of.
#[derive(Debug)]
pub struct Corpus {
    /// The one owner of every chat.
    pub owner: AvatarId,
    /// The chats.
    pub chats: Vec<ChatInfo>,
    /// The people.
    pub users: Vec<TelegramUser>,
    /// The vocabulary.
    pub vocabulary: Vocabulary,
    /// When the first message was sent.
    pub start: DateTime<Utc>,
    /// A few message texts, for phrase queries.
    pub samples: Vec<String>,
}

/// Generates events in batches; `next_batch` gives the next batch of up to `size` events that
/// carry `messages` new messages in total over the whole run.
#[derive(Debug)]
pub struct Generator {
    rng: Rng,
    /// The corpus.
    pub corpus: Corpus,
    remaining: usize,
    now: DateTime<Utc>,
    next_id: Vec<i64>,
    recent: Vec<CapturedMessage>,
}

impl Generator {
    /// A generator of `messages` messages over `messages / 50` chats and `messages / 70` people.
    pub fn new(seed: u64, messages: usize) -> Self {
        let mut rng = Rng::new(seed);
        let vocabulary = Vocabulary::new(&mut rng, 30_000);
        let owner = AvatarId::from_uuid(owner_uuid(seed));
        let n_users = (messages / 70).max(1);
        let n_chats = (messages / 50).max(1);
        let users: Vec<TelegramUser> = (0..n_users)
            .map(|i| TelegramUser {
                id: 5_000_000_000 + i as i64,
                is_bot: false,
                first_name: if i % 5 == 0 { format!("Алина {i}") } else { format!("Customer {i}") },
                last_name: Some(if i % 3 == 0 { "Müller".into() } else { "Smith".into() }),
                username: Some(format!("user_{i}")),
                language_code: Some(if i % 5 == 0 { "ru".into() } else { "en".into() }),
                phone_number: None,
            })
            .collect();
        let chats = (0..n_chats)
            .map(|i| {
                if i < n_users {
                    let u = &users[i];
                    ChatInfo {
                        key: ChatKey { owner, chat_id: u.id, business_connection_id: (i % 2 == 0).then(|| "bc-1".to_owned()) },
                        chat_type: ChatType::Private,
                        title: Some(u.full_name()),
                        counterpart: Some(u.clone()),
                    }
                } else {
                    ChatInfo {
                        key: ChatKey { owner, chat_id: -1_000_000_000_000 - i as i64, business_connection_id: None },
                        chat_type: ChatType::Supergroup,
                        title: Some(format!("Project group {i}")),
                        counterpart: None,
                    }
                }
            })
            .collect::<Vec<_>>();
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 8, 0, 0).single().unwrap_or_default();
        let corpus = Corpus { owner, chats, users, vocabulary, start, samples: Vec::new() };
        let n = corpus.chats.len();
        Self { rng, corpus, remaining: messages, now: start, next_id: vec![1; n], recent: Vec::new() }
    }

    fn text(&mut self) -> String {
        let len = 3 + self.rng.below(20);
        let words: Vec<&str> =
            (0..len).map(|_| self.corpus.vocabulary.words[self.corpus.vocabulary.sample_rank(&mut self.rng)].as_str()).collect();
        let mut s = words.join(" ");
        if let Some(first) = s.get(..1) {
            s = first.to_uppercase() + &s[1..];
        }
        s.push(if self.rng.chance(0.2) { '?' } else { '.' });
        s
    }

    /// Messages still to generate.
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// The next batch of up to `size` events.
    pub fn next_batch(&mut self, size: usize) -> Vec<InboundEvent> {
        let mut out = Vec::with_capacity(size);
        while out.len() < size && self.remaining > 0 {
            self.now += Duration::seconds(1 + self.rng.below(40) as i64);
            let roll = self.rng.unit();
            if roll < 0.02 && !self.recent.is_empty() {
                let old = self.recent[self.rng.below(self.recent.len())].clone();
                let text = self.text();
                out.push(InboundEvent::Edit(CapturedEdit { message: CapturedMessage { text, ..old }, edited_at: self.now }));
                continue;
            }
            if roll < 0.022 && !self.recent.is_empty() {
                let old = &self.recent[self.rng.below(self.recent.len())];
                out.push(InboundEvent::Deletion(CapturedDeletion {
                    chat: old.chat.key.clone(),
                    telegram_message_ids: vec![old.telegram_message_id],
                    deleted_at: self.now,
                }));
                continue;
            }
            let c = self.rng.below(self.corpus.chats.len());
            let chat = self.corpus.chats[c].clone();
            let id = self.next_id[c];
            self.next_id[c] += 1;
            let outgoing = chat.chat_type == ChatType::Private && self.rng.chance(0.3);
            let sender = if outgoing {
                Some(TelegramUser { id: 1_234_567, first_name: "Owner".into(), ..Default::default() })
            } else if let Some(u) = &chat.counterpart {
                Some(u.clone())
            } else {
                Some(self.corpus.users[self.rng.below(self.corpus.users.len())].clone())
            };
            let photo = self.rng.chance(0.1);
            let text = if photo && self.rng.chance(0.3) { String::new() } else { self.text() };
            if self.corpus.samples.len() < 2_000 && self.rng.chance(0.01) {
                self.corpus.samples.push(text.clone());
            }
            let m = CapturedMessage {
                chat,
                telegram_message_id: id,
                direction: if outgoing { Direction::Outgoing } else { Direction::Incoming },
                sender,
                text,
                message_type: if photo { MessageType::Photo } else { MessageType::Text },
                media: photo.then(|| Media {
                    file_id: format!("AgACAgIAAxkBAAI{id}photo"),
                    file_unique_id: format!("AQAD{id}"),
                    file_size: Some(100_000 + self.rng.below(900_000) as u64),
                    width: Some(1280),
                    height: Some(960),
                    ..Default::default()
                }),
                reply_to_telegram_message_id: (id > 1 && self.rng.chance(0.1)).then_some(id - 1),
                sent_at: self.now,
                details: Default::default(),
            };
            if self.recent.len() < 256 {
                self.recent.push(m.clone());
            } else {
                let k = self.rng.below(256);
                self.recent[k] = m.clone();
            }
            out.push(InboundEvent::Message(m));
            self.remaining -= 1;
        }
        out
    }
}

/// The owner's id, the same for a seed on every run.
fn owner_uuid(seed: u64) -> uuid::Uuid {
    uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | u128::from(seed))
}
