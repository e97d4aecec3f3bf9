//! The one error type of pushcast. Every boundary (C, PHP, bindings) maps it exactly once.

use std::fmt;

/// How many characters of an offending value an error message keeps.
///
/// Why: a 10 MB payload or a hostile channel name must not end up whole in a log line.
pub const MAX_VALUE_CHARS_IN_ERRORS: usize = 64;

/// Every failure pushcast can report.
///
/// Validation variants name the rule that was broken and carry the offending value,
/// truncated to [`MAX_VALUE_CHARS_IN_ERRORS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A channel name breaks a rule of the server profile.
    #[error("invalid channel name {value:?}: {rule}")]
    InvalidChannelName {
        /// The channel name, truncated.
        value: String,
        /// The rule it breaks.
        rule: NameRule,
    },
    /// An event name breaks a rule of the server profile.
    #[error("invalid event name {value:?}: {rule}")]
    InvalidEventName {
        /// The event name, truncated.
        value: String,
        /// The rule it breaks.
        rule: NameRule,
    },
    /// A socket id is not two unsigned 64-bit integers joined by a dot.
    #[error("invalid socket id {value:?}: expected two unsigned 64-bit integers joined by a dot, like \"1234.5678\"")]
    InvalidSocketId {
        /// The socket id, truncated.
        value: String,
    },
    /// A user id (send to user, terminate connections, presence, sign-in) breaks a rule.
    #[error("invalid user id {value:?}: {rule}")]
    InvalidUserId {
        /// The user id, truncated.
        value: String,
        /// The rule it breaks.
        rule: NameRule,
    },
    /// An event names no channel at all.
    #[error("an event needs at least one channel")]
    NoChannels,
    /// An event names more channels than the server accepts in one trigger.
    #[error("too many channels in one event: {count}, the server profile allows at most {limit}")]
    TooManyChannels {
        /// Channels given.
        count: usize,
        /// Channels allowed.
        limit: usize,
    },
    /// A channel appears twice in one event.
    #[error("channel {value:?} appears more than once in one event")]
    DuplicateChannel {
        /// The repeated channel, truncated.
        value: String,
    },
    /// A batch holds more events than the server accepts in one request.
    #[error("too many events in one batch: {count}, the server profile allows at most {limit}")]
    TooManyEvents {
        /// Events given.
        count: usize,
        /// Events allowed.
        limit: usize,
    },
    /// A batch holds no event.
    #[error("a batch needs at least one event")]
    EmptyBatch,
    /// Event data or a whole request is larger than the server accepts.
    #[error("{scope} is {size} bytes, the server profile allows at most {limit}")]
    PayloadTooLarge {
        /// What was measured.
        scope: SizeScope,
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// One event mixes `private-encrypted-` channels with other channels.
    #[error("an event cannot mix encrypted (private-encrypted-) and unencrypted channels: encrypted data is unreadable on plain channels and plain data would leak on encrypted ones")]
    MixedEncryption,
    /// An encrypted channel is used but no encryption master key was configured.
    #[error(
        "channel {channel:?} is end-to-end encrypted, but no encryption master key is configured"
    )]
    MissingMasterKey {
        /// The encrypted channel, truncated.
        channel: String,
    },
    /// A configuration value is unusable.
    #[error("invalid configuration `{field}`: {reason}")]
    InvalidConfig {
        /// The setting.
        field: &'static str,
        /// Why it is unusable.
        reason: String,
    },
    /// A query parameter the caller passed collides with one the signature owns.
    #[error("query parameter `{name}` is reserved for request signing")]
    ReservedParameter {
        /// The parameter name, truncated.
        name: String,
    },
    /// A caller-supplied JSON text does not parse or lacks a required field.
    #[error("invalid JSON in {what}: {reason}")]
    InvalidJson {
        /// Which input.
        what: &'static str,
        /// The parser's message or the missing field.
        reason: String,
    },
    /// A webhook did not pass verification.
    #[error("webhook rejected: {0}")]
    WebhookRejected(WebhookRejection),
    /// An encrypted payload could not be decrypted.
    #[error("cannot decrypt payload: {reason}")]
    Decryption {
        /// Why.
        reason: &'static str,
    },
    /// The server answered with a status other than 200.
    #[error("server answered HTTP {status}: {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The server's message (from its JSON error body, or its text), truncated.
        message: String,
    },
    /// The server answered 200 with a body pushcast cannot read.
    #[error("unreadable server response: {reason}")]
    MalformedResponse {
        /// Why it could not be read.
        reason: String,
    },
    /// The publish queue is full and the backpressure policy says to fail.
    #[error("publish queue is full ({capacity} events waiting); the event was not accepted")]
    QueueFull {
        /// The queue's capacity, in events (one per channel).
        capacity: usize,
    },
    /// An accepted event removed, unsent, from the full queue by the drop-oldest policy to
    /// make room for a newer one (unlike [`Error::QueueFull`], it had been accepted).
    #[error("dropped by the drop-oldest policy: the queue was full (capacity {capacity}: events, or bytes for the spool) and a newer event took the place of this one, which had been accepted and was never sent")]
    DroppedForNewer {
        /// The queue's (or the spool's, in bytes) capacity.
        capacity: u64,
    },
    /// A deadline passed.
    #[error("{what} did not finish within {after_ms} ms")]
    Timeout {
        /// What was waited for.
        what: &'static str,
        /// The deadline, in milliseconds.
        after_ms: u64,
    },
    /// The server could not be reached or the connection failed (DNS, connect, TLS, I/O).
    #[error("cannot reach {endpoint}: {reason}")]
    Transport {
        /// The endpoint's base URL.
        endpoint: String,
        /// What failed, with the underlying cause.
        reason: String,
    },
    /// The client was shut down before the event was delivered.
    #[error("the client shut down before the event was delivered")]
    ShutDown,

    /// A thread of the publishing engine stopped on a bug (a panic): the engine cannot
    /// deliver, and says so on every publish instead of accepting events it will never send.
    #[error("the publishing engine stopped: {reason}; events accepted before it stopped are reported undelivered at shutdown")]
    EngineFailed {
        /// What stopped it.
        reason: String,
    },
    /// Every endpoint's circuit breaker is open and the policy says to fail fast.
    #[error(
        "every endpoint's circuit is open after repeated failures (next probe of {endpoint} in {retry_in_ms} ms); the event was not accepted"
    )]
    CircuitOpen {
        /// The endpoint whose circuit is due to be probed first.
        endpoint: String,
        /// Milliseconds until that probe may start.
        retry_in_ms: u64,
    },
    /// The durable spool holds `limit_bytes` already: the event was not accepted (same
    /// backpressure policies as a full queue).
    #[error(
        "the spool is full ({limit_bytes} bytes of events waiting); the event was not accepted"
    )]
    SpoolFull {
        /// The spool's size limit.
        limit_bytes: u64,
    },
    /// The server of the profile cannot do this (user sign-in on Reverb): refused before the
    /// network, where the server would accept it and never deliver.
    #[error("{what} is not supported by the {server} server profile: {reason}")]
    Unsupported {
        /// The operation refused.
        what: &'static str,
        /// The profile's name.
        server: &'static str,
        /// Why the server can't do it, and what to do instead.
        reason: &'static str,
    },
    /// The durable spool could not be opened, written or read.
    #[error("spool {operation} failed: {reason}")]
    Spool {
        /// What was being done (open, write, read, claim).
        operation: &'static str,
        /// The underlying error, as text.
        reason: String,
    },
    /// pushcast could not do its own work for a reason that is neither the caller's input nor
    /// its configuration: the process refused a thread or the I/O runtime (out of memory, a
    /// thread or file-descriptor limit), or an invariant of pushcast itself did not hold.
    /// Retrying later may help; changing the arguments will not.
    #[error("internal failure ({what}): {reason}; this is not caused by the arguments or the configuration")]
    Internal {
        /// What pushcast was doing (start a thread, start the I/O runtime, ...).
        what: &'static str,
        /// The underlying error, as text.
        reason: String,
    },
}

impl Error {
    /// The family of this error, for boundaries that map families to codes or exception classes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidChannelName { .. }
            | Error::InvalidEventName { .. }
            | Error::InvalidSocketId { .. }
            | Error::InvalidUserId { .. }
            | Error::NoChannels
            | Error::TooManyChannels { .. }
            | Error::DuplicateChannel { .. }
            | Error::TooManyEvents { .. }
            | Error::EmptyBatch
            | Error::PayloadTooLarge { .. }
            | Error::MixedEncryption
            | Error::ReservedParameter { .. }
            | Error::InvalidJson { .. }
            | Error::Unsupported { .. } => ErrorKind::Validation,
            Error::MissingMasterKey { .. } | Error::InvalidConfig { .. } => ErrorKind::Config,
            Error::WebhookRejected(_) => ErrorKind::Webhook,
            Error::Decryption { .. } => ErrorKind::Crypto,
            Error::Api { .. } => ErrorKind::Api,
            Error::MalformedResponse { .. } => ErrorKind::Response,
            Error::QueueFull { .. } => ErrorKind::QueueFull,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::ShutDown | Error::EngineFailed { .. } => ErrorKind::ShutDown,
            Error::CircuitOpen { .. } => ErrorKind::CircuitOpen,
            Error::SpoolFull { .. } | Error::DroppedForNewer { .. } => ErrorKind::QueueFull,
            Error::Spool { .. } => ErrorKind::Spool,
            Error::Internal { .. } => ErrorKind::Internal,
        }
    }

    /// The result code of this error, the number the C ABI's `pushcast_result` gives it
    /// (include/pushcast.h; the PHP extension's exception codes): 1xxx bad input, 2xxx
    /// configuration, 3xxx webhooks and decryption, 4xxx server answers, 5xxx delivery and
    /// internal failures. [`CODES`] names each one.
    ///
    /// The match has no wildcard arm on purpose: a new variant does not compile until it has
    /// its own number (and the golden test in this file lists it).
    pub fn code(&self) -> u32 {
        match self {
            Error::InvalidChannelName { .. } => 1000,
            Error::InvalidEventName { .. } => 1001,
            Error::InvalidSocketId { .. } => 1002,
            Error::InvalidUserId { .. } => 1003,
            Error::NoChannels => 1004,
            Error::TooManyChannels { .. } => 1005,
            Error::DuplicateChannel { .. } => 1006,
            Error::TooManyEvents { .. } => 1007,
            Error::EmptyBatch => 1008,
            Error::PayloadTooLarge { .. } => 1009,
            Error::MixedEncryption => 1010,
            Error::ReservedParameter { .. } => 1011,
            Error::InvalidJson { .. } => 1012,
            Error::Unsupported { .. } => 1013,
            Error::InvalidConfig { .. } => 2000,
            Error::MissingMasterKey { .. } => 2001,
            Error::WebhookRejected(_) => 3000,
            Error::Decryption { .. } => 3100,
            Error::Api { .. } => 4000,
            Error::MalformedResponse { .. } => 4001,
            Error::QueueFull { .. } | Error::DroppedForNewer { .. } => 5000,
            Error::Timeout { .. } => 5001,
            Error::Transport { .. } => 5002,
            Error::ShutDown => 5003,
            Error::CircuitOpen { .. } => 5004,
            Error::SpoolFull { .. } => 5005,
            Error::Spool { .. } => 5006,
            Error::EngineFailed { .. } => 5007,
            Error::Internal { .. } => 5008,
        }
    }

    /// The stable name of this error's code in [`CODES`] (`"QUEUE_FULL"`), the C constant's
    /// name without its `PUSHCAST_RESULT_` prefix.
    pub fn code_name(&self) -> &'static str {
        code_name(self.code()).unwrap_or("UNKNOWN")
    }

    /// The HTTP status the server answered with, if this error came from a server answer.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Families of [`Error`]; stable, so boundaries can map them to codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad input, caught before anything touches the network.
    Validation,
    /// Bad or missing configuration.
    Config,
    /// A webhook failed verification.
    Webhook,
    /// Encryption or decryption failed.
    Crypto,
    /// The server refused the request (non-200 status).
    Api,
    /// The server's 200 answer could not be read.
    Response,
    /// The publish queue was full.
    QueueFull,
    /// A deadline passed.
    Timeout,
    /// The server could not be reached.
    Transport,
    /// The client was shut down.
    ShutDown,
    /// Every endpoint's circuit breaker was open.
    CircuitOpen,
    /// The durable spool could not be used (disk, permissions, a damaged file).
    Spool,
    /// pushcast could not do its own work (no thread, no I/O runtime, a broken invariant):
    /// not the caller's fault, neither bad input nor configuration.
    Internal,
}

impl ErrorKind {
    /// Every kind, so that a boundary can check in a test that it maps each one (the enum is
    /// `#[non_exhaustive]`, so other crates' matches need a wildcard arm that would hide a new
    /// kind; iterating this list does not).
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::Validation,
        ErrorKind::Config,
        ErrorKind::Webhook,
        ErrorKind::Crypto,
        ErrorKind::Api,
        ErrorKind::Response,
        ErrorKind::QueueFull,
        ErrorKind::Timeout,
        ErrorKind::Transport,
        ErrorKind::ShutDown,
        ErrorKind::CircuitOpen,
        ErrorKind::Spool,
        ErrorKind::Internal,
    ];
}

/// Every result code [`Error::code`] can return, with its stable name, in ascending order.
///
/// This table is what the bindings build their error constants and classes from (the C ABI
/// exports it through `pushcast_result_count`, `pushcast_result_code_at` and
/// `pushcast_result_name`), so no binding copies a number. The name is the C constant's without
/// its `PUSHCAST_RESULT_` prefix. Numbers are ABI: never renumbered, never reused; a number
/// taken out of use moves to [`RETIRED_CODES`]. The C boundary adds its own codes below 1000
/// (OK, NULL argument, invalid UTF-8, panic, unknown), which no core error has.
pub const CODES: &[(u32, &str)] = &[
    (1000, "INVALID_CHANNEL"),
    (1001, "INVALID_EVENT_NAME"),
    (1002, "INVALID_SOCKET_ID"),
    (1003, "INVALID_USER_ID"),
    (1004, "NO_CHANNELS"),
    (1005, "TOO_MANY_CHANNELS"),
    (1006, "DUPLICATE_CHANNEL"),
    (1007, "TOO_MANY_EVENTS"),
    (1008, "EMPTY_BATCH"),
    (1009, "PAYLOAD_TOO_LARGE"),
    (1010, "MIXED_ENCRYPTION"),
    (1011, "RESERVED_PARAMETER"),
    (1012, "INVALID_JSON"),
    (1013, "UNSUPPORTED"),
    (2000, "INVALID_CONFIG"),
    (2001, "MISSING_MASTER_KEY"),
    (3000, "WEBHOOK_REJECTED"),
    (3100, "DECRYPTION_FAILED"),
    (4000, "API_ERROR"),
    (4001, "MALFORMED_RESPONSE"),
    (5000, "QUEUE_FULL"),
    (5001, "TIMEOUT"),
    (5002, "TRANSPORT"),
    (5003, "SHUT_DOWN"),
    (5004, "CIRCUIT_OPEN"),
    (5005, "SPOOL_FULL"),
    (5006, "SPOOL"),
    (5007, "ENGINE_FAILED"),
    (5008, "INTERNAL"),
];

/// Result codes once assigned and no longer returned, with the name they had: kept so that
/// they are never given another meaning. None yet.
pub const RETIRED_CODES: &[(u32, &str)] = &[];

/// The name of a result code in [`CODES`], `None` for a number no core error has.
pub fn code_name(code: u32) -> Option<&'static str> {
    CODES
        .binary_search_by_key(&code, |(number, _)| *number)
        .ok()
        .and_then(|at| CODES.get(at))
        .map(|(_, name)| *name)
}

/// A rule a name (channel, event, user id) can break.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameRule {
    /// The name is empty.
    Empty,
    /// The name is longer than the server profile allows (in bytes).
    TooLong {
        /// Its length in bytes.
        length: usize,
        /// The most allowed.
        max: usize,
    },
    /// The name holds a character outside the allowed set.
    ForbiddenCharacter {
        /// The first offending character.
        character: char,
        /// Its byte offset.
        offset: usize,
        /// The allowed set, for the message.
        allowed: &'static str,
    },
    /// A channel starting with `#` that is not `#server-to-user-{user id}`.
    ReservedHashPrefix,
    /// A name starting with a prefix the protocol reserves.
    ReservedPrefix {
        /// The reserved prefix.
        prefix: &'static str,
    },
    /// The operation needs a channel of one kind (presence users need a `presence-` channel).
    NotOfKind {
        /// What the operation needs, for the message.
        needed: &'static str,
    },
}

impl fmt::Display for NameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameRule::Empty => f.write_str("must not be empty"),
            NameRule::TooLong { length, max } => {
                write!(f, "is {length} bytes long, at most {max} allowed")
            }
            NameRule::ForbiddenCharacter {
                character,
                offset,
                allowed,
            } => write!(
                f,
                "character {character:?} at byte {offset} is not allowed (allowed: {allowed})"
            ),
            NameRule::ReservedHashPrefix => {
                f.write_str("a leading '#' is reserved for \"#server-to-user-{user id}\" channels")
            }
            NameRule::ReservedPrefix { prefix } => {
                write!(f, "the prefix {prefix:?} is reserved by the protocol")
            }
            NameRule::NotOfKind { needed } => f.write_str(needed),
        }
    }
}

/// What a [`Error::PayloadTooLarge`] measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SizeScope {
    /// The `data` string of one event, as sent (after encryption).
    EventData,
    /// A whole HTTP request: request line, headers and body (Reverb's rule).
    WholeRequest,
    /// A request body.
    RequestBody,
}

impl fmt::Display for SizeScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SizeScope::EventData => "event data",
            SizeScope::WholeRequest => "the whole HTTP request (request line, headers and body)",
            SizeScope::RequestBody => "the request body",
        })
    }
}

/// Why a webhook was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// A required header is absent.
    MissingHeader(&'static str),
    /// `X-Pusher-Key` names another app.
    WrongKey,
    /// `X-Pusher-Signature` is not hex of the right length.
    MalformedSignature,
    /// The signature does not match the body.
    BadSignature,
    /// The body is not the expected JSON.
    MalformedBody(String),
    /// `time_ms` is outside the accepted window.
    Stale {
        /// How far `time_ms` is from now, in milliseconds.
        age_ms: u64,
        /// The window.
        max_age_ms: u64,
    },
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookRejection::MissingHeader(h) => write!(f, "header {h} is missing"),
            WebhookRejection::WrongKey => f.write_str("X-Pusher-Key does not match the app key"),
            WebhookRejection::MalformedSignature => {
                f.write_str("X-Pusher-Signature is not 64 hexadecimal characters")
            }
            WebhookRejection::BadSignature => {
                f.write_str("X-Pusher-Signature does not match the body")
            }
            WebhookRejection::MalformedBody(why) => write!(f, "body is not a webhook: {why}"),
            WebhookRejection::Stale { age_ms, max_age_ms } => write!(
                f,
                "time_ms is {age_ms} ms away from now, more than the allowed {max_age_ms} ms"
            ),
        }
    }
}

/// Cuts `value` to [`MAX_VALUE_CHARS_IN_ERRORS`] characters, marking the cut with `…`.
pub(crate) fn truncated(value: &str) -> String {
    match value.char_indices().nth(MAX_VALUE_CHARS_IN_ERRORS) {
        None => value.to_owned(),
        Some((cut, _)) => {
            let mut short = value[..cut].to_owned();
            short.push('…');
            short
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The golden list: one value of every variant and the number it must keep. Numbers are
    /// ABI (C programs compiled against an older header, PHP `getCode()`, the bindings): this
    /// test changes only by adding lines.
    #[test]
    fn every_variant_keeps_its_code() {
        let golden: Vec<(Error, u32)> = vec![
            (
                Error::InvalidChannelName {
                    value: "c".into(),
                    rule: NameRule::Empty,
                },
                1000,
            ),
            (
                Error::InvalidEventName {
                    value: "e".into(),
                    rule: NameRule::Empty,
                },
                1001,
            ),
            (Error::InvalidSocketId { value: "s".into() }, 1002),
            (
                Error::InvalidUserId {
                    value: "u".into(),
                    rule: NameRule::Empty,
                },
                1003,
            ),
            (Error::NoChannels, 1004),
            (Error::TooManyChannels { count: 2, limit: 1 }, 1005),
            (Error::DuplicateChannel { value: "c".into() }, 1006),
            (Error::TooManyEvents { count: 2, limit: 1 }, 1007),
            (Error::EmptyBatch, 1008),
            (
                Error::PayloadTooLarge {
                    scope: SizeScope::EventData,
                    size: 2,
                    limit: 1,
                },
                1009,
            ),
            (Error::MixedEncryption, 1010),
            (Error::ReservedParameter { name: "n".into() }, 1011),
            (
                Error::InvalidJson {
                    what: "w",
                    reason: "r".into(),
                },
                1012,
            ),
            (
                Error::Unsupported {
                    what: "w",
                    server: "s",
                    reason: "r",
                },
                1013,
            ),
            (
                Error::InvalidConfig {
                    field: "f",
                    reason: "r".into(),
                },
                2000,
            ),
            (
                Error::MissingMasterKey {
                    channel: "c".into(),
                },
                2001,
            ),
            (Error::WebhookRejected(WebhookRejection::WrongKey), 3000),
            (Error::Decryption { reason: "r" }, 3100),
            (
                Error::Api {
                    status: 401,
                    message: "m".into(),
                },
                4000,
            ),
            (Error::MalformedResponse { reason: "r".into() }, 4001),
            (Error::QueueFull { capacity: 1 }, 5000),
            (Error::DroppedForNewer { capacity: 1 }, 5000),
            (
                Error::Timeout {
                    what: "w",
                    after_ms: 1,
                },
                5001,
            ),
            (
                Error::Transport {
                    endpoint: "http://x".into(),
                    reason: "r".into(),
                },
                5002,
            ),
            (Error::ShutDown, 5003),
            (
                Error::CircuitOpen {
                    endpoint: "http://x".into(),
                    retry_in_ms: 1,
                },
                5004,
            ),
            (Error::SpoolFull { limit_bytes: 1 }, 5005),
            (
                Error::Spool {
                    operation: "open",
                    reason: "r".into(),
                },
                5006,
            ),
            (Error::EngineFailed { reason: "r".into() }, 5007),
            (
                Error::Internal {
                    what: "w",
                    reason: "r".into(),
                },
                5008,
            ),
        ];
        // A reminder that cannot be forgotten: this match has no wildcard, so a new variant
        // stops this test from compiling until it is added above (and to `code()`).
        for (error, _) in &golden {
            match error {
                Error::InvalidChannelName { .. }
                | Error::InvalidEventName { .. }
                | Error::InvalidSocketId { .. }
                | Error::InvalidUserId { .. }
                | Error::NoChannels
                | Error::TooManyChannels { .. }
                | Error::DuplicateChannel { .. }
                | Error::TooManyEvents { .. }
                | Error::EmptyBatch
                | Error::PayloadTooLarge { .. }
                | Error::MixedEncryption
                | Error::ReservedParameter { .. }
                | Error::InvalidJson { .. }
                | Error::Unsupported { .. }
                | Error::InvalidConfig { .. }
                | Error::MissingMasterKey { .. }
                | Error::WebhookRejected(_)
                | Error::Decryption { .. }
                | Error::Api { .. }
                | Error::MalformedResponse { .. }
                | Error::QueueFull { .. }
                | Error::DroppedForNewer { .. }
                | Error::Timeout { .. }
                | Error::Transport { .. }
                | Error::ShutDown
                | Error::CircuitOpen { .. }
                | Error::SpoolFull { .. }
                | Error::Spool { .. }
                | Error::EngineFailed { .. }
                | Error::Internal { .. } => {}
            }
        }
        for (error, code) in &golden {
            assert_eq!(error.code(), *code, "{error:?}");
            assert_eq!(code_name(*code), Some(error.code_name()), "{error:?}");
        }
        // The table names every code a variant returns, and nothing else.
        let mut returned: Vec<u32> = golden.iter().map(|(_, code)| *code).collect();
        returned.dedup();
        let table: Vec<u32> = CODES.iter().map(|(code, _)| *code).collect();
        assert_eq!(table, returned, "CODES and code() disagree");
        // Ascending (code_name searches it), names unique, in the C constant's style.
        assert!(CODES.windows(2).all(|w| w[0].0 < w[1].0));
        for (i, (code, name)) in CODES.iter().enumerate() {
            assert!((1000..6000).contains(code), "{code}");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
            assert!(CODES[..i].iter().all(|(_, n)| n != name), "{name} twice");
        }
        // A retired number stays out of use.
        for (retired, name) in RETIRED_CODES {
            assert!(
                code_name(*retired).is_none(),
                "{retired} ({name}) is in use"
            );
        }
        assert_eq!(code_name(4), None);
        assert_eq!(code_name(5009), None);
    }

    #[test]
    fn every_kind_is_listed() {
        // No wildcard: a new kind does not compile here until it has the next position, and
        // then the length check fails until ALL lists it.
        let position = |kind: ErrorKind| match kind {
            ErrorKind::Validation => 0,
            ErrorKind::Config => 1,
            ErrorKind::Webhook => 2,
            ErrorKind::Crypto => 3,
            ErrorKind::Api => 4,
            ErrorKind::Response => 5,
            ErrorKind::QueueFull => 6,
            ErrorKind::Timeout => 7,
            ErrorKind::Transport => 8,
            ErrorKind::ShutDown => 9,
            ErrorKind::CircuitOpen => 10,
            ErrorKind::Spool => 11,
            ErrorKind::Internal => 12,
        };
        assert_eq!(ErrorKind::ALL.len(), 13);
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(position(*kind), i, "{kind:?}");
        }
        assert_eq!(
            Error::Internal {
                what: "start a thread",
                reason: "EAGAIN".into()
            }
            .kind(),
            ErrorKind::Internal
        );
    }

    #[test]
    fn truncation_keeps_short_values_and_marks_cuts() {
        assert_eq!(truncated("abc"), "abc");
        let long = "é".repeat(100);
        let cut = truncated(&long);
        assert_eq!(cut.chars().count(), MAX_VALUE_CHARS_IN_ERRORS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn messages_name_the_rule_and_value() {
        let e = Error::InvalidChannelName {
            value: "bad channel".into(),
            rule: NameRule::ForbiddenCharacter {
                character: ' ',
                offset: 3,
                allowed: "A-Z a-z 0-9 - _ = @ , . ;",
            },
        };
        let text = e.to_string();
        assert!(text.contains("\"bad channel\""), "{text}");
        assert!(text.contains("' ' at byte 3"), "{text}");
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert_eq!(
            Error::Api {
                status: 413,
                message: "too big".into()
            }
            .http_status(),
            Some(413)
        );
    }
}
