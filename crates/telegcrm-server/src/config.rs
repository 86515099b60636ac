//! Configuration: every setting from a flag or its environment variable, checked once at start.
//! A bad value stops the program with one line naming the variable and the problem.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use telegcrm_domain::AvatarId;

/// A secret: compared in constant time, never printed, wiped from memory when dropped
/// (`secrecy`: its `Debug` redacts and its drop zeroes the bytes, so no hand-written wiper).
#[derive(Clone)]
pub struct Secret(secrecy::SecretString);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(secrecy::SecretString::from(value.into()))
    }

    /// The value, for the few places that must send it.
    pub fn expose(&self) -> &str {
        use secrecy::ExposeSecret;
        self.0.expose_secret()
    }

    /// Constant-time comparison with a presented value.
    pub fn matches(&self, presented: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        // Lengths are not secret; equal-length bytes are compared without early exit.
        self.expose().as_bytes().ct_eq(presented).into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// `telegcrm`: a CRM for Telegram conversations.
#[derive(Debug, Parser)]
#[command(name = "telegcrm", version, about, long_about = None)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings (also read from the environment).
    #[command(flatten)]
    pub settings: Settings,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the REST API, the dashboard and the Telegram webhook or poller (the default).
    Serve,
    /// Check the configuration and the store, recount every conversation's and contact's counters
    /// from the stored messages, list the parked updates (Telegram updates the store refused),
    /// print each difference and a summary, and exit: 0 when all agree and nothing is parked,
    /// 1 when some counters differ (without --repair) or updates stay parked, 2 on an error.
    Check {
        /// Write the recounted values where they differ.
        #[arg(long)]
        repair: bool,
        /// First replay every parked update through the normal ingest; stored ones are removed.
        #[arg(long)]
        retry_parked: bool,
        /// First forget the parked update with this id without storing it (repeatable).
        #[arg(long, value_name = "UPDATE_ID")]
        discard_parked: Vec<i64>,
    },
    /// Bring history into the store (docs/import.md).
    Import {
        /// What to import.
        #[command(subcommand)]
        source: ImportSource,
    },
    /// Write every conversation, message (with its edits), contact and follow-up of an owner
    /// (docs/export.md): ndjson and holons can be restored with `telegcrm import
    /// telegcrm-export`; csv gives contacts or conversations as a spreadsheet.
    Export {
        /// Whose data [default: TELEGCRM_OWNER_AVATAR_ID]
        #[arg(long, value_name = "AVATAR_ID")]
        owner: Option<String>,
        /// ndjson, holons (OASIS holons, a JSON array) or csv.
        #[arg(long, value_name = "FORMAT", default_value = "ndjson")]
        format: String,
        /// With csv: contacts or conversations.
        #[arg(long, value_name = "TABLE")]
        table: Option<String>,
        /// The file to write [default: standard output]; written whole or not at all.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
}

/// What `telegcrm import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// Telegram Desktop's "Export chat history" in JSON: a result.json or its folder, a single
    /// chat's export or the whole account's. Importing again stores nothing twice; an import
    /// that stopped continues where it stopped.
    TelegramExport {
        /// result.json, or the export's folder.
        path: std::path::PathBuf,
        /// Whose CRM the history goes into [default: TELEGCRM_OWNER_AVATAR_ID]
        #[arg(long, value_name = "AVATAR_ID")]
        owner: Option<String>,
        /// Your Telegram user id, to tell your own messages apart (a full export says it; a
        /// single chat's export does not).
        #[arg(long, value_name = "TELEGRAM_USER_ID")]
        me: Option<i64>,
        /// Time zone of the computer that made the export (IANA name, e.g. Europe/Berlin); needed
        /// only for exports before June 2022, whose dates carry no zone.
        #[arg(long, value_name = "TZ")]
        timezone: Option<String>,
    },
    /// A Telegcrm export (`telegcrm export --format ndjson` or `holons`) back into the store,
    /// records as they were exported. Meant for an empty store; running it again after an
    /// interruption continues, and a record the store already holds differently is left and
    /// counted as a conflict.
    TelegcrmExport {
        /// The export file.
        path: std::path::PathBuf,
        /// Give every record to this owner instead of the one it was exported for.
        #[arg(long, value_name = "AVATAR_ID")]
        owner: Option<String>,
    },
}

/// Raw settings, as given. [`Settings::resolve`] checks them.
#[derive(Debug, Default, Clone, Args)]
pub struct Settings {
    /// Listen address [default: 127.0.0.1:8080]
    #[arg(long, env = "TELEGCRM_BIND", global = true)]
    pub bind: Option<String>,
    /// Store: sqlite (embedded), mongo or memory [default: sqlite]
    #[arg(long, env = "TELEGCRM_STORE", global = true)]
    pub store: Option<String>,
    /// Where the embedded store keeps its files [default: ./data]
    #[arg(long, env = "TELEGCRM_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// MongoDB connection string (with --store mongo)
    #[arg(long, env = "MONGODB_URI", global = true, hide_env_values = true)]
    pub mongodb_uri: Option<String>,
    /// MongoDB database [default: telegcrm]
    #[arg(long, env = "MONGODB_DATABASE", global = true)]
    pub mongodb_database: Option<String>,
    /// Seconds to keep retrying to open the Mongo store at start (unreachable server, dropped connection, a race with another instance) [default: 30]
    #[arg(long, env = "MONGODB_OPEN_TIMEOUT", global = true)]
    pub mongodb_open_timeout: Option<String>,
    /// Telegram bot token; unset = no polling and no sending
    #[arg(long, env = "TELEGRAM_BOT_TOKEN", global = true, hide_env_values = true)]
    pub telegram_bot_token: Option<String>,
    /// Telegram Bot API base URL [default: https://api.telegram.org]
    #[arg(long, env = "TELEGRAM_API_URL", global = true)]
    pub telegram_api_url: Option<String>,
    /// polling, webhook or off [default: polling when a token is set]
    #[arg(long, env = "TELEGRAM_MODE", global = true)]
    pub telegram_mode: Option<String>,
    /// Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (the webhook refuses all calls while unset)
    #[arg(long, env = "TELEGRAM_WEBHOOK_SECRET", global = true, hide_env_values = true)]
    pub telegram_webhook_secret: Option<String>,
    /// Public URL to register with setWebhook in webhook mode
    #[arg(long, env = "TELEGRAM_WEBHOOK_URL", global = true)]
    pub telegram_webhook_url: Option<String>,
    /// This instance's name in leases and claims; keep it stable across restarts (a unit or pod name) so a restarted instance takes its own polling lease back at once [default: host:pid:random]
    #[arg(long, env = "TELEGCRM_INSTANCE", global = true)]
    pub instance: Option<String>,
    /// Seconds the polling lease lives: with several instances, one polls; another takes over this long after it dies [default: 30]
    #[arg(long, env = "TELEGRAM_POLL_LEASE", global = true)]
    pub telegram_poll_lease: Option<String>,
    /// OASIS ONODE base URL (for linking contacts to avatars)
    #[arg(long, env = "OASIS_API_URL", global = true)]
    pub oasis_api_url: Option<String>,
    /// HS256 key that OASIS signs avatar JWTs with
    #[arg(long, env = "OASIS_JWT_SECRET", global = true, hide_env_values = true)]
    pub oasis_jwt_secret: Option<String>,
    /// Required JWT issuer, when set (newer OASIS builds use "OASIS")
    #[arg(long, env = "OASIS_JWT_ISSUER", global = true)]
    pub oasis_jwt_issuer: Option<String>,
    /// Required JWT audience, when set
    #[arg(long, env = "OASIS_JWT_AUDIENCE", global = true)]
    pub oasis_jwt_audience: Option<String>,
    /// OASIS API key, sent as X-OASIS-API-Key
    #[arg(long, env = "OASIS_API_KEY", global = true, hide_env_values = true)]
    pub oasis_api_key: Option<String>,
    /// OASIS service avatar username for avatar look-ups (with OASIS_PASSWORD)
    #[arg(long, env = "OASIS_USERNAME", global = true)]
    pub oasis_username: Option<String>,
    /// OASIS service avatar password
    #[arg(long, env = "OASIS_PASSWORD", global = true, hide_env_values = true)]
    pub oasis_password: Option<String>,
    /// API keys: key=avatarUuid,key2=avatarUuid2
    #[arg(long, env = "TELEGCRM_API_KEYS", global = true, hide_env_values = true)]
    pub api_keys: Option<String>,
    /// Avatar that owns the bot's own chats
    #[arg(long, env = "TELEGCRM_OWNER_AVATAR_ID", global = true)]
    pub owner_avatar_id: Option<String>,
    /// Log format: plain or json [default: plain]
    #[arg(long, env = "TELEGCRM_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// The address users open the dashboard at; https:// makes the session cookie Secure
    #[arg(long, env = "TELEGCRM_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Mark the dashboard's session cookie Secure: true or false [default: true when TELEGCRM_PUBLIC_URL is https]
    #[arg(long, env = "TELEGCRM_COOKIE_SECURE", global = true)]
    pub cookie_secure: Option<String>,
    /// Largest export upload (POST /imports, the dashboard's Settings page), in bytes [default: 2147483648, 2 GiB]
    #[arg(long, env = "TELEGCRM_IMPORT_MAX_BYTES", global = true)]
    pub import_max_bytes: Option<String>,
    /// How much of Telegram's files (photos, voice notes...) to keep on disk under the data directory, in MiB; 0 keeps none [default: 256]
    #[arg(long, env = "TELEGCRM_MEDIA_CACHE_MB", global = true)]
    pub media_cache_mb: Option<String>,
}

/// Which store holds the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    /// SQLite under the data directory.
    Sqlite,
    /// MongoDB.
    #[value(alias = "mongodb")]
    Mongo,
    /// Memory (lost at exit).
    Memory,
}

/// How Telegram updates arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TelegramMode {
    /// getUpdates long polling.
    Polling,
    /// Telegram calls our webhook.
    Webhook,
    /// No Telegram traffic.
    Off,
}

/// Log output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Plain,
    /// One JSON object a line.
    Json,
}

/// Checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub bind: SocketAddr,
    /// Store.
    pub store: StoreKind,
    /// Embedded store directory.
    pub data_dir: PathBuf,
    /// Mongo URI.
    pub mongodb_uri: Option<Secret>,
    /// Mongo database.
    pub mongodb_database: String,
    /// How long opening the Mongo store retries.
    pub mongodb_open_timeout: std::time::Duration,
    /// Bot token.
    pub telegram_bot_token: Option<Secret>,
    /// Bot API base URL (no trailing slash).
    pub telegram_api_url: String,
    /// Telegram mode.
    pub telegram_mode: TelegramMode,
    /// Webhook secret.
    pub telegram_webhook_secret: Option<Secret>,
    /// Webhook URL to register.
    pub telegram_webhook_url: Option<String>,
    /// How long the polling lease lives unless renewed.
    pub telegram_poll_lease: std::time::Duration,
    /// This instance's name in leases and claims (`TELEGCRM_INSTANCE`), when set.
    pub instance: Option<String>,
    /// OASIS base URL (no trailing slash).
    pub oasis_api_url: Option<String>,
    /// JWT key.
    pub oasis_jwt_secret: Option<Secret>,
    /// Required issuer.
    pub oasis_jwt_issuer: Option<String>,
    /// OASIS API key.
    pub oasis_api_key: Option<Secret>,
    /// OASIS service avatar credentials for look-ups.
    pub oasis_credentials: Option<(String, Secret)>,
    /// Required audience.
    pub oasis_jwt_audience: Option<String>,
    /// API keys and the avatar each stands for.
    pub api_keys: Vec<(Secret, AvatarId)>,
    /// Owner of the bot's own chats.
    pub owner_avatar_id: Option<AvatarId>,
    /// Log format.
    pub log_format: LogFormat,
    /// Whether the dashboard's session cookie is `Secure`.
    pub cookie_secure: bool,
    /// The largest export upload, in bytes.
    pub import_max_bytes: u64,
    /// The disk cache of Telegram's files, in bytes (0: none); it lives in `data_dir/media-cache`.
    pub media_cache_bytes: u64,
}

/// A configuration error: the variable and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable (the flag is its lower-case, dashed twin).
    pub variable: &'static str,
    /// What is wrong.
    pub problem: String,
}

fn bad(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { variable, problem: problem.into() }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn url(variable: &'static str, v: Option<String>) -> Result<Option<String>, ConfigError> {
    match non_empty(v) {
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => Ok(Some(u.trim_end_matches('/').to_owned())),
        Some(u) => Err(bad(variable, format!("{u:?} is not an http(s) URL"))),
        None => Ok(None),
    }
}

impl Settings {
    /// Checks every setting.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let bind = non_empty(self.bind).unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind.parse().map_err(|_| bad("TELEGCRM_BIND", format!("{bind:?} is not an address such as 127.0.0.1:8080")))?;
        let store = choice::<StoreKind>("TELEGCRM_STORE", "store", self.store)?.unwrap_or(StoreKind::Sqlite);
        let mongodb_uri = non_empty(self.mongodb_uri).map(Secret::new);
        if store == StoreKind::Mongo && mongodb_uri.is_none() {
            return Err(bad("MONGODB_URI", "is required with TELEGCRM_STORE=mongo"));
        }
        let telegram_bot_token = non_empty(self.telegram_bot_token).map(Secret::new);
        let telegram_mode = match choice::<TelegramMode>("TELEGRAM_MODE", "mode", self.telegram_mode)? {
            Some(mode) => mode,
            None if telegram_bot_token.is_some() => TelegramMode::Polling,
            None => TelegramMode::Off,
        };
        if telegram_mode != TelegramMode::Off && telegram_bot_token.is_none() {
            return Err(bad("TELEGRAM_BOT_TOKEN", format!("is required with TELEGRAM_MODE={}", value_name(telegram_mode))));
        }
        let telegram_webhook_url = url("TELEGRAM_WEBHOOK_URL", self.telegram_webhook_url)?;
        let telegram_webhook_secret = non_empty(self.telegram_webhook_secret).map(Secret::new);
        if let Some(s) = &telegram_webhook_secret {
            // Telegram's own rule for secret_token.
            let ok = (1..=256).contains(&s.expose().len()) && s.expose().chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                return Err(bad("TELEGRAM_WEBHOOK_SECRET", "must be 1-256 characters of A-Z, a-z, 0-9, _ and -"));
            }
        }
        if telegram_mode == TelegramMode::Webhook && (telegram_webhook_url.is_none() || telegram_webhook_secret.is_none()) {
            return Err(bad("TELEGRAM_WEBHOOK_URL", "webhook mode needs TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET"));
        }
        let api_keys = match non_empty(self.api_keys) {
            Some(list) => parse_api_keys(&list)?,
            None => Vec::new(),
        };
        let owner_avatar_id = match non_empty(self.owner_avatar_id) {
            Some(s) => Some(s.parse().map_err(|_| bad("TELEGCRM_OWNER_AVATAR_ID", format!("{s:?} is not a UUID")))?),
            None => None,
        };
        if telegram_mode != TelegramMode::Off && owner_avatar_id.is_none() {
            return Err(bad("TELEGCRM_OWNER_AVATAR_ID", "is required when Telegram is on: the bot's chats need an owner"));
        }
        let oasis_credentials = match (non_empty(self.oasis_username), non_empty(self.oasis_password)) {
            (Some(u), Some(p)) => Some((u, Secret::new(p))),
            (None, None) => None,
            _ => return Err(bad("OASIS_USERNAME", "OASIS_USERNAME and OASIS_PASSWORD go together")),
        };
        let log_format = choice::<LogFormat>("TELEGCRM_LOG_FORMAT", "format", self.log_format)?.unwrap_or(LogFormat::Plain);
        let public_url = url("TELEGCRM_PUBLIC_URL", self.public_url)?;
        let cookie_secure = match non_empty(self.cookie_secure).as_deref().map(str::to_ascii_lowercase).as_deref() {
            None => public_url.as_deref().is_some_and(|u| u.starts_with("https://")),
            Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => return Err(bad("TELEGCRM_COOKIE_SECURE", format!("{other:?} is not true or false"))),
        };
        let import_max_bytes = match non_empty(self.import_max_bytes) {
            None => telegcrm_import::upload::DEFAULT_MAX_BYTES,
            Some(s) => match s.parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => return Err(bad("TELEGCRM_IMPORT_MAX_BYTES", format!("{s:?} is not a whole number of bytes above 0"))),
            },
        };
        let media_cache_bytes = match non_empty(self.media_cache_mb) {
            None => 256 * 1024 * 1024,
            Some(s) => match s.trim().parse::<u64>() {
                Ok(mb) if mb <= 1024 * 1024 => mb * 1024 * 1024,
                _ => return Err(bad("TELEGCRM_MEDIA_CACHE_MB", format!("{s:?} is not a whole number of MiB from 0 to 1048576"))),
            },
        };
        Ok(Config {
            cookie_secure,
            import_max_bytes,
            media_cache_bytes,
            bind,
            store,
            data_dir: self.data_dir.unwrap_or_else(|| PathBuf::from("./data")),
            mongodb_uri,
            mongodb_database: non_empty(self.mongodb_database).unwrap_or_else(|| "telegcrm".into()),
            mongodb_open_timeout: match non_empty(self.mongodb_open_timeout) {
                None => telegcrm_store_mongo::DEFAULT_OPEN_TIMEOUT,
                Some(s) => match s.trim().parse::<u64>() {
                    Ok(secs) if (1..=3600).contains(&secs) => std::time::Duration::from_secs(secs),
                    _ => return Err(bad("MONGODB_OPEN_TIMEOUT", format!("{s:?} is not a whole number of seconds from 1 to 3600"))),
                },
            },
            telegram_bot_token,
            telegram_api_url: url("TELEGRAM_API_URL", self.telegram_api_url)?.unwrap_or_else(|| "https://api.telegram.org".into()),
            telegram_mode,
            telegram_webhook_secret,
            telegram_webhook_url,
            instance: match non_empty(self.instance) {
                Some(name) if name.chars().count() > 200 || name.chars().any(char::is_control) => {
                    return Err(bad("TELEGCRM_INSTANCE", "must be at most 200 printable characters"));
                }
                other => other,
            },
            telegram_poll_lease: match non_empty(self.telegram_poll_lease) {
                None => std::time::Duration::from_secs(30),
                Some(s) => match s.trim().parse::<u64>() {
                    Ok(secs) if (3..=600).contains(&secs) => std::time::Duration::from_secs(secs),
                    _ => return Err(bad("TELEGRAM_POLL_LEASE", format!("{s:?} is not a whole number of seconds from 3 to 600"))),
                },
            },
            oasis_api_url: url("OASIS_API_URL", self.oasis_api_url)?,
            oasis_jwt_secret: non_empty(self.oasis_jwt_secret).map(Secret::new),
            oasis_jwt_issuer: non_empty(self.oasis_jwt_issuer),
            oasis_api_key: non_empty(self.oasis_api_key).map(Secret::new),
            oasis_credentials,
            oasis_jwt_audience: non_empty(self.oasis_jwt_audience),
            api_keys,
            owner_avatar_id,
            log_format,
        })
    }
}

/// The name a setting's value has on the command line and in the environment.
pub fn value_name<T: ValueEnum>(value: T) -> String {
    value.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default()
}

/// One of a `ValueEnum`'s names (any case, aliases too), or none when unset or blank. Parsed here
/// rather than by clap so that a blank variable means "unset" and a bad one names the variable
/// in one line (the configuration contract); the enum itself is the one list of names.
fn choice<T: ValueEnum>(variable: &'static str, what: &str, v: Option<String>) -> Result<Option<T>, ConfigError> {
    let Some(given) = non_empty(v) else { return Ok(None) };
    T::from_str(&given, true).map(Some).map_err(|_| {
        let names: Vec<String> =
            T::value_variants().iter().filter_map(|v| v.to_possible_value()).map(|p| p.get_name().to_owned()).collect();
        let expected = match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        bad(variable, format!("unknown {what} {:?} (expected {expected})", given.to_ascii_lowercase()))
    })
}

fn parse_api_keys(list: &str) -> Result<Vec<(Secret, AvatarId)>, ConfigError> {
    let mut keys = Vec::new();
    for (i, pair) in list.split(',').map(str::trim).filter(|p| !p.is_empty()).enumerate() {
        let n = i + 1;
        let (key, avatar) = pair.split_once('=').ok_or_else(|| bad("TELEGCRM_API_KEYS", format!("entry {n} is not key=avatarUuid")))?;
        let key = key.trim();
        if key.len() < 16 {
            return Err(bad("TELEGCRM_API_KEYS", format!("the key of entry {n} is shorter than 16 characters")));
        }
        let avatar = avatar.trim().parse().map_err(|_| bad("TELEGCRM_API_KEYS", format!("the avatar of entry {n} is not a UUID")))?;
        keys.push((Secret::new(key), avatar));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_start_the_embedded_store_with_no_telegram() {
        let c = Settings::default().resolve().unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.store, StoreKind::Sqlite);
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.telegram_mode, TelegramMode::Off);
        assert_eq!(c.telegram_api_url, "https://api.telegram.org");
        assert_eq!(c.import_max_bytes, 2_147_483_648);
    }

    #[test]
    fn bad_values_name_their_variable() {
        let cases = [
            (Settings { store: Some("postgres".into()), ..Default::default() }, "TELEGCRM_STORE"),
            (Settings { bind: Some("nowhere".into()), ..Default::default() }, "TELEGCRM_BIND"),
            (Settings { owner_avatar_id: Some("42".into()), ..Default::default() }, "TELEGCRM_OWNER_AVATAR_ID"),
            (Settings { api_keys: Some("short=0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b".into()), ..Default::default() }, "TELEGCRM_API_KEYS"),
            (Settings { api_keys: Some("a-long-enough-key-123=nope".into()), ..Default::default() }, "TELEGCRM_API_KEYS"),
            (Settings { store: Some("mongo".into()), ..Default::default() }, "MONGODB_URI"),
            (Settings { mongodb_open_timeout: Some("forever".into()), ..Default::default() }, "MONGODB_OPEN_TIMEOUT"),
            (Settings { mongodb_open_timeout: Some("0".into()), ..Default::default() }, "MONGODB_OPEN_TIMEOUT"),
            (Settings { telegram_poll_lease: Some("1".into()), ..Default::default() }, "TELEGRAM_POLL_LEASE"),
            (Settings { telegram_mode: Some("push".into()), ..Default::default() }, "TELEGRAM_MODE"),
            (Settings { telegram_api_url: Some("ftp://x".into()), ..Default::default() }, "TELEGRAM_API_URL"),
            (Settings { telegram_webhook_secret: Some("has space".into()), ..Default::default() }, "TELEGRAM_WEBHOOK_SECRET"),
            (Settings { import_max_bytes: Some("2GB".into()), ..Default::default() }, "TELEGCRM_IMPORT_MAX_BYTES"),
            (Settings { import_max_bytes: Some("0".into()), ..Default::default() }, "TELEGCRM_IMPORT_MAX_BYTES"),
        ];
        for (settings, variable) in cases {
            let err = settings.resolve().unwrap_err();
            assert_eq!(err.variable, variable, "{err}");
            assert!(!err.to_string().contains('\n'));
        }
    }

    #[test]
    fn choices_ignore_case_accept_aliases_and_treat_blank_as_unset() {
        let c =
            Settings { store: Some(" MongoDB ".into()), mongodb_uri: Some("mongodb://x".into()), ..Default::default() }.resolve().unwrap();
        assert_eq!(c.store, StoreKind::Mongo);
        let c = Settings {
            store: Some("  ".into()),
            log_format: Some("JSON".into()),
            telegram_mode: Some(String::new()),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!((c.store, c.log_format, c.telegram_mode), (StoreKind::Sqlite, LogFormat::Json, TelegramMode::Off));
        let err = Settings { store: Some("Postgres".into()), ..Default::default() }.resolve().unwrap_err();
        assert_eq!(err.to_string(), "TELEGCRM_STORE: unknown store \"postgres\" (expected sqlite, mongo or memory)");
    }

    #[test]
    fn a_token_turns_polling_on_and_needs_an_owner() {
        let s = Settings { telegram_bot_token: Some("123:abc".into()), ..Default::default() };
        assert_eq!(s.clone().resolve().unwrap_err().variable, "TELEGCRM_OWNER_AVATAR_ID");
        let c = Settings { owner_avatar_id: Some("0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b".into()), ..s }.resolve().unwrap();
        assert_eq!(c.telegram_mode, TelegramMode::Polling);
    }

    #[test]
    fn api_keys_parse_and_secrets_never_print() {
        let c = Settings { api_keys: Some(" key-number-one-0001=0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b ,".into()), ..Default::default() }
            .resolve()
            .unwrap();
        assert_eq!(c.api_keys.len(), 1);
        assert!(c.api_keys[0].0.matches(b"key-number-one-0001"));
        assert!(!c.api_keys[0].0.matches(b"key-number-one-0002"));
        assert!(!format!("{c:?}").contains("key-number-one"));
    }
}
