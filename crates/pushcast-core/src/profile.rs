//! Server profiles: the limits of the server pushcast publishes to.
//!
//! Servers disagree (see shared/protocol.md §3). The default profile, [`ServerProfile::strict`],
//! takes the strictest rule of every known server so that an event pushcast accepts is accepted
//! everywhere; a named profile relaxes the rules to what that server really enforces.

use std::str::FromStr;

use crate::error::{Error, Result};

/// Which characters a channel name may hold (besides the `#server-to-user-` form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelCharset {
    /// `[-a-zA-Z0-9_=@,.;]`: pusher-http-php and hosted Pusher.
    Pusher,
    /// The Pusher set plus `:` (sockudo, soketi).
    PusherWithColon,
}

impl ChannelCharset {
    pub(crate) fn allows(self, c: char) -> bool {
        c.is_ascii_alphanumeric()
            || matches!(c, '-' | '_' | '=' | '@' | ',' | '.' | ';')
            || (self == ChannelCharset::PusherWithColon && c == ':')
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            ChannelCharset::Pusher => "A-Z a-z 0-9 - _ = @ , . ;",
            ChannelCharset::PusherWithColon => "A-Z a-z 0-9 - _ = @ , . ; :",
        }
    }
}

/// Known server families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// The strictest rule of every known server (the default).
    Strict,
    /// Hosted Pusher Channels.
    Pusher,
    /// Laravel Reverb.
    Reverb,
    /// sockudo or soketi.
    Sockudo,
    /// Limits set by hand.
    Custom,
}

/// The limits pushcast enforces before anything touches the network. `None` means unlimited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerProfile {
    /// The family these limits come from.
    pub kind: ServerKind,
    /// Allowed channel name characters.
    pub channel_charset: ChannelCharset,
    /// Longest channel name, in bytes.
    pub max_channel_name_len: Option<usize>,
    /// Longest event name, in bytes.
    pub max_event_name_len: Option<usize>,
    /// Most channels in one trigger.
    pub max_channels_per_event: Option<usize>,
    /// Most events in one `batch_events` request.
    pub max_events_per_batch: Option<usize>,
    /// Largest `data` string of one event, in bytes, as sent.
    pub max_event_data_bytes: Option<usize>,
    /// Largest request body, in bytes.
    pub max_body_bytes: Option<usize>,
    /// Largest whole HTTP request (request line + headers + body), in bytes: Reverb's rule.
    pub max_request_bytes: Option<usize>,
    /// Whether the server drops duplicate deliveries carrying the same `idempotency_key`.
    pub supports_idempotency_key: bool,
    /// Whether the server keeps HTTP connections open between requests.
    pub keeps_connections_alive: bool,
    /// Whether a `batch_events` item may carry a `socket_id` (the connection to exclude).
    /// Where it may not, an event with a `socket_id` is sent alone through `POST /events`, in
    /// its lane's order, and the rest keeps batching. Reverb up to 1.10.2 answers 500 to such
    /// an item once that socket is subscribed, after dispatching the items before it.
    pub socket_id_in_batches: bool,
    /// Whether the server supports user sign-in (`pusher:signin`) and so `#server-to-user-`
    /// channels: `sendToUser` and user authentication are refused before the network where
    /// it does not (Reverb answers 4200 to a sign-in and never delivers to such a channel).
    pub supports_user_sign_in: bool,
}

impl ServerProfile {
    /// The strictest rule of every known server: accepted by all of them. The default.
    ///
    /// Names at most 100 bytes and batches of 10 (sockudo's defaults for an env-configured
    /// app and hosted Pusher), 10,000 bytes per event data and per whole request (Reverb).
    pub fn strict() -> Self {
        ServerProfile {
            kind: ServerKind::Strict,
            channel_charset: ChannelCharset::Pusher,
            max_channel_name_len: Some(100),
            max_event_name_len: Some(100),
            max_channels_per_event: Some(100),
            max_events_per_batch: Some(10),
            max_event_data_bytes: Some(10_000),
            max_body_bytes: Some(10_000),
            max_request_bytes: Some(10_000),
            supports_idempotency_key: false,
            keeps_connections_alive: false,
            socket_id_in_batches: false,
            // Refusing sign-in everywhere would refuse it on servers that have it; strict is
            // about limits, and a sign-in on a server without it fails visibly (error 4200).
            supports_user_sign_in: true,
        }
    }

    /// Hosted Pusher Channels: channel names ≤ 164, event names ≤ 200, 100 channels,
    /// 10 KB (10,240 bytes) per event, 10 events per batch, keep-alive.
    pub fn pusher() -> Self {
        ServerProfile {
            kind: ServerKind::Pusher,
            channel_charset: ChannelCharset::Pusher,
            max_channel_name_len: Some(164),
            max_event_name_len: Some(200),
            max_channels_per_event: Some(100),
            max_events_per_batch: Some(10),
            max_event_data_bytes: Some(10_240),
            max_body_bytes: None,
            max_request_bytes: None,
            supports_idempotency_key: false,
            keeps_connections_alive: true,
            socket_id_in_batches: true,
            supports_user_sign_in: true,
        }
    }

    /// Laravel Reverb: no name or channel-count limits on HTTP, but 10,000 bytes for the whole
    /// HTTP request, headers included (its `max_request_size`), one request per connection, no
    /// `socket_id` in batch items (1.10.2 answers 500) and no user sign-in.
    ///
    /// Channel names still follow the Pusher character set: pusher-js subscribers need it.
    pub fn reverb() -> Self {
        ServerProfile {
            kind: ServerKind::Reverb,
            channel_charset: ChannelCharset::Pusher,
            max_channel_name_len: None,
            max_event_name_len: None,
            max_channels_per_event: None,
            max_events_per_batch: None,
            max_event_data_bytes: None,
            max_body_bytes: None,
            max_request_bytes: Some(10_000),
            supports_idempotency_key: false,
            keeps_connections_alive: false,
            socket_id_in_batches: false,
            supports_user_sign_in: false,
        }
    }

    /// sockudo and soketi with their per-app defaults: names ≤ 200, 100 channels,
    /// 100 KB per event, 10 events per batch, 10 MiB bodies, `idempotency_key`, and
    /// `Connection: close` after every response.
    pub fn sockudo() -> Self {
        ServerProfile {
            kind: ServerKind::Sockudo,
            channel_charset: ChannelCharset::PusherWithColon,
            max_channel_name_len: Some(200),
            max_event_name_len: Some(200),
            max_channels_per_event: Some(100),
            max_events_per_batch: Some(10),
            max_event_data_bytes: Some(100 * 1024),
            max_body_bytes: Some(10 * 1024 * 1024),
            max_request_bytes: None,
            supports_idempotency_key: true,
            keeps_connections_alive: false,
            socket_id_in_batches: true,
            supports_user_sign_in: true,
        }
    }

    /// Starts from the strict profile, marked custom, for limits set field by field.
    pub fn custom() -> Self {
        ServerProfile {
            kind: ServerKind::Custom,
            ..ServerProfile::strict()
        }
    }

    /// The names [`ServerProfile::set_limit`] accepts, one per size limit of the profile.
    pub const LIMIT_NAMES: &'static [&'static str] = &[
        "max_events_per_batch",
        "max_channel_name_len",
        "max_event_name_len",
        "max_channels_per_event",
        "max_event_data_bytes",
        "max_body_bytes",
        "max_request_bytes",
    ];

    /// Sets one size limit by its name (one of [`ServerProfile::LIMIT_NAMES`]); `None` means
    /// unlimited. The one table every boundary (C's `pushcast_app_set_limit`, PHP's `limits`
    /// option, the bindings) goes through, so a limit has one name everywhere.
    pub fn set_limit(&mut self, name: &str, value: Option<usize>) -> Result<()> {
        let field = match name {
            "max_events_per_batch" => &mut self.max_events_per_batch,
            "max_channel_name_len" => &mut self.max_channel_name_len,
            "max_event_name_len" => &mut self.max_event_name_len,
            "max_channels_per_event" => &mut self.max_channels_per_event,
            "max_event_data_bytes" => &mut self.max_event_data_bytes,
            "max_body_bytes" => &mut self.max_body_bytes,
            "max_request_bytes" => &mut self.max_request_bytes,
            other => {
                return Err(Error::InvalidConfig {
                    field: "limit",
                    reason: format!(
                        "unknown limit {:?}; expected one of {}",
                        crate::error::truncated(other),
                        Self::LIMIT_NAMES.join(", ")
                    ),
                })
            }
        };
        *field = value;
        Ok(())
    }

    /// The profile's name as [`FromStr`] reads it.
    pub fn name(&self) -> &'static str {
        match self.kind {
            ServerKind::Strict => "strict",
            ServerKind::Pusher => "pusher",
            ServerKind::Reverb => "reverb",
            ServerKind::Sockudo => "sockudo",
            ServerKind::Custom => "custom",
        }
    }
}

impl Default for ServerProfile {
    fn default() -> Self {
        ServerProfile::strict()
    }
}

impl FromStr for ServerProfile {
    type Err = Error;

    /// Reads `strict`, `pusher`, `reverb`, `sockudo`, `soketi` or `custom` (case-insensitive).
    fn from_str(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "strict" => Ok(ServerProfile::strict()),
            "pusher" => Ok(ServerProfile::pusher()),
            "reverb" => Ok(ServerProfile::reverb()),
            "sockudo" | "soketi" => Ok(ServerProfile::sockudo()),
            "custom" => Ok(ServerProfile::custom()),
            _ => Err(Error::InvalidConfig {
                field: "server_profile",
                reason: format!(
                    "unknown profile {:?}; expected strict, pusher, reverb, sockudo, soketi or custom",
                    crate::error::truncated(name)
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_is_no_looser_than_any_named_profile() {
        let strict = ServerProfile::strict();
        let tighter = |a: Option<usize>, b: Option<usize>| match (a, b) {
            (Some(a), Some(b)) => a <= b,
            (Some(_), None) => true,
            (None, _) => false,
        };
        for other in [
            ServerProfile::pusher(),
            ServerProfile::reverb(),
            ServerProfile::sockudo(),
        ] {
            assert!(tighter(
                strict.max_channel_name_len,
                other.max_channel_name_len
            ));
            assert!(tighter(strict.max_event_name_len, other.max_event_name_len));
            assert!(tighter(
                strict.max_channels_per_event,
                other.max_channels_per_event
            ));
            assert!(tighter(
                strict.max_events_per_batch,
                other.max_events_per_batch
            ));
            assert!(tighter(
                strict.max_event_data_bytes,
                other.max_event_data_bytes
            ));
        }
    }

    #[test]
    fn every_limit_name_sets_its_limit() {
        for name in ServerProfile::LIMIT_NAMES {
            let mut profile = ServerProfile::strict();
            let before = format!("{profile:?}");
            profile.set_limit(name, Some(12_345)).unwrap();
            let after = format!("{profile:?}");
            assert_ne!(before, after, "{name} changed nothing");
            assert!(after.contains(&format!("{name}: Some(12345)")), "{after}");
            profile.set_limit(name, None).unwrap();
            assert!(format!("{profile:?}").contains(&format!("{name}: None")));
        }
        let err = ServerProfile::strict()
            .set_limit("max_batch", Some(1))
            .unwrap_err();
        assert!(err.to_string().contains("max_events_per_batch"), "{err}");
    }

    #[test]
    fn parses_names() {
        for name in ["strict", "Pusher", "reverb", "sockudo", "soketi", "custom"] {
            let p: ServerProfile = name.parse().unwrap();
            assert!(name.eq_ignore_ascii_case(p.name()) || name == "soketi");
        }
        assert!(matches!(
            "pusherr".parse::<ServerProfile>(),
            Err(Error::InvalidConfig { .. })
        ));
    }
}
