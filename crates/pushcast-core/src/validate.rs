//! Validation of names and ids, before anything touches the network.
//!
//! No regex: each rule is a byte scan, so validation costs nanoseconds on the publish path
//! (pusher-http-rust compiled a regex on every call).

use crate::error::{truncated, Error, NameRule, Result};
use crate::profile::ServerProfile;

/// The prefix of the channel `sendToUser` publishes to.
pub const SERVER_TO_USER_PREFIX: &str = "#server-to-user-";

/// What kind of channel a name denotes, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// No special prefix.
    Public,
    /// `private-` (but not `private-encrypted-`).
    Private,
    /// `private-encrypted-`: end-to-end encrypted.
    PrivateEncrypted,
    /// `presence-`.
    Presence,
    /// `#server-to-user-{user id}`.
    ServerToUser,
}

impl ChannelKind {
    /// Classifies a channel name by its prefix (does not validate it).
    pub fn of(channel: &str) -> Self {
        if channel.starts_with("private-encrypted-") {
            ChannelKind::PrivateEncrypted
        } else if channel.starts_with("private-") {
            ChannelKind::Private
        } else if channel.starts_with("presence-") {
            ChannelKind::Presence
        } else if channel.starts_with(SERVER_TO_USER_PREFIX) {
            ChannelKind::ServerToUser
        } else {
            ChannelKind::Public
        }
    }

    /// Whether subscribing needs a signature from the app (private, presence, encrypted).
    pub fn needs_authorization(self) -> bool {
        matches!(
            self,
            ChannelKind::Private | ChannelKind::PrivateEncrypted | ChannelKind::Presence
        )
    }
}

fn check_length(len: usize, max: Option<usize>) -> Result<(), NameRule> {
    match max {
        Some(max) if len > max => Err(NameRule::TooLong { length: len, max }),
        _ => Ok(()),
    }
}

fn check_charset(name: &str, profile: &ServerProfile) -> Result<(), NameRule> {
    let charset = profile.channel_charset;
    match name.char_indices().find(|(_, c)| !charset.allows(*c)) {
        Some((offset, character)) => Err(NameRule::ForbiddenCharacter {
            character,
            offset,
            allowed: charset.describe(),
        }),
        None => Ok(()),
    }
}

fn channel_rule(channel: &str, profile: &ServerProfile) -> Result<(), NameRule> {
    if channel.is_empty() {
        return Err(NameRule::Empty);
    }
    check_length(channel.len(), profile.max_channel_name_len)?;
    match channel.strip_prefix(SERVER_TO_USER_PREFIX) {
        // The user id's rule, with a refused character located in the whole channel name (the
        // value the error shows), not in the user id after the prefix.
        Some(user_id) => user_id_rule(user_id, profile).map_err(|rule| match rule {
            NameRule::ForbiddenCharacter {
                character,
                offset,
                allowed,
            } => NameRule::ForbiddenCharacter {
                character,
                offset: SERVER_TO_USER_PREFIX.len() + offset,
                allowed,
            },
            other => other,
        }),
        None if channel.starts_with('#') => Err(NameRule::ReservedHashPrefix),
        None => check_charset(channel, profile),
    }
}

fn user_id_rule(user_id: &str, profile: &ServerProfile) -> Result<(), NameRule> {
    if user_id.is_empty() {
        return Err(NameRule::Empty);
    }
    check_charset(user_id, profile)
}

/// Checks a channel name against the profile: non-empty, within the length limit (bytes),
/// only allowed characters, and a leading `#` only in `#server-to-user-{user id}`.
pub fn validate_channel(channel: &str, profile: &ServerProfile) -> Result<ChannelKind> {
    channel_rule(channel, profile).map_err(|rule| Error::InvalidChannelName {
        value: truncated(channel),
        rule,
    })?;
    Ok(ChannelKind::of(channel))
}

/// Checks an event name: non-empty, within the length limit (bytes), and not in the
/// `pusher:` / `pusher_internal:` namespaces the protocol reserves for itself.
pub fn validate_event_name(event: &str, profile: &ServerProfile) -> Result<()> {
    let rule = if event.is_empty() {
        Err(NameRule::Empty)
    } else if let Some(prefix) = ["pusher:", "pusher_internal:"]
        .into_iter()
        .find(|p| event.starts_with(p))
    {
        Err(NameRule::ReservedPrefix { prefix })
    } else {
        check_length(event.len(), profile.max_event_name_len)
    };
    rule.map_err(|rule| Error::InvalidEventName {
        value: truncated(event),
        rule,
    })
}

/// Checks a socket id: two unsigned 64-bit integers joined by a dot (`1234.5678`).
///
/// The strictest reading of both pusher-http-php (`\d+\.\d+`) and sockudo (`u64.u64`).
pub fn validate_socket_id(socket_id: &str) -> Result<()> {
    let valid = socket_id
        .split_once('.')
        .is_some_and(|(a, b)| is_u64(a) && is_u64(b));
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidSocketId {
            value: truncated(socket_id),
        })
    }
}

fn is_u64(digits: &str) -> bool {
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.parse::<u64>().is_ok()
}

/// Checks a user id used in a channel name or URL path (send to user, terminate connections):
/// non-empty and made of channel-name characters, so that `#server-to-user-{id}` is a valid
/// channel and the path needs no escaping.
///
/// Unlike pusher-http-php, `"0"` is accepted: its rejection there is an artefact of PHP's
/// `empty()`, and the protocol has no such rule.
pub fn validate_user_id(user_id: &str, profile: &ServerProfile) -> Result<()> {
    user_id_rule(user_id, profile)
        .and_then(|()| {
            let max = profile
                .max_channel_name_len
                .map(|m| m.saturating_sub(SERVER_TO_USER_PREFIX.len()));
            check_length(user_id.len(), max)
        })
        .map_err(|rule| Error::InvalidUserId {
            value: truncated(user_id),
            rule,
        })
}

/// Checks a presence or sign-in user id, which travels inside JSON and so only needs to be
/// non-empty.
pub fn validate_json_user_id(user_id: &str) -> Result<()> {
    if user_id.is_empty() {
        return Err(Error::InvalidUserId {
            value: String::new(),
            rule: NameRule::Empty,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> ServerProfile {
        ServerProfile::strict()
    }

    #[test]
    fn channel_kinds() {
        assert_eq!(ChannelKind::of("orders"), ChannelKind::Public);
        assert_eq!(ChannelKind::of("private-orders.1"), ChannelKind::Private);
        assert_eq!(
            ChannelKind::of("private-encrypted-x"),
            ChannelKind::PrivateEncrypted
        );
        assert_eq!(ChannelKind::of("presence-chat.1"), ChannelKind::Presence);
        assert_eq!(
            ChannelKind::of("#server-to-user-7"),
            ChannelKind::ServerToUser
        );
    }

    #[test]
    fn channel_names() {
        assert!(validate_channel("-azAZ9_=@,.;", &strict()).is_ok());
        assert!(validate_channel("#server-to-user-42", &strict()).is_ok());
        assert!(matches!(
            validate_channel("#general", &strict()),
            Err(Error::InvalidChannelName {
                rule: NameRule::ReservedHashPrefix,
                ..
            })
        ));
        assert!(matches!(
            validate_channel("#server-to-user-", &strict()),
            Err(Error::InvalidChannelName {
                rule: NameRule::Empty,
                ..
            })
        ));
        assert!(matches!(
            validate_channel("a:b", &strict()),
            Err(Error::InvalidChannelName {
                rule: NameRule::ForbiddenCharacter {
                    character: ':',
                    offset: 1,
                    ..
                },
                ..
            })
        ));
        assert!(validate_channel("a:b", &ServerProfile::sockudo()).is_ok());
        assert!(matches!(
            validate_channel(&"a".repeat(101), &strict()),
            Err(Error::InvalidChannelName {
                rule: NameRule::TooLong {
                    length: 101,
                    max: 100
                },
                ..
            })
        ));
        assert!(validate_channel(&"a".repeat(1000), &ServerProfile::reverb()).is_ok());
    }

    #[test]
    fn socket_ids() {
        assert!(validate_socket_id("1.1").is_ok());
        assert!(validate_socket_id("18446744073709551615.0").is_ok());
        for bad in [
            "",
            "1",
            "1.",
            ".1",
            "1.1.1",
            "a.1",
            "1.1\n",
            "+1.1",
            "18446744073709551616.1",
        ] {
            assert!(validate_socket_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn event_and_user_names() {
        assert!(validate_event_name("App\\Events\\OrderShipped", &strict()).is_ok());
        assert!(validate_event_name("", &strict()).is_err());
        assert!(validate_event_name("pusher:subscribe", &strict()).is_err());
        assert!(validate_event_name(&"e".repeat(101), &strict()).is_err());
        assert!(validate_user_id("0", &strict()).is_ok());
        assert!(validate_user_id("", &strict()).is_err());
        assert!(validate_user_id("a b", &strict()).is_err());
        assert!(validate_user_id(&"u".repeat(85), &strict()).is_err());
        assert!(validate_json_user_id("José").is_ok());
    }
}
