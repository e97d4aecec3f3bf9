//! [`App`]: credentials + server profile + master key, and every signed request built from them.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::credentials::{Credentials, MasterKey};
use crate::crypto::{encrypt_data, ChannelKey};
use crate::error::{truncated, Error, Result, SizeScope};
use crate::event::{batch_body, Event, WireEvent};
use crate::profile::ServerProfile;
use crate::signing::{decimal_digits, sign_request, Method, SignedRequest, TransportHeaders};
use crate::validate::{
    validate_channel, validate_event_name, validate_socket_id, validate_user_id, ChannelKind,
    SERVER_TO_USER_PREFIX,
};

/// One Pusher app on one kind of server: everything needed to validate, encrypt, sign and
/// authorize, without I/O. Cheap to clone; `Send + Sync`.
#[derive(Debug, Clone)]
pub struct App {
    credentials: Credentials,
    profile: ServerProfile,
    master_key: Option<MasterKey>,
    /// The headers of the transport that will send the requests, when known: whole-request
    /// sizes are then exact.
    transport: Option<TransportHeaders>,
}

/// Unix time in seconds, for `auth_timestamp`.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl App {
    /// An app with the strict default profile and no encryption.
    pub fn new(credentials: Credentials) -> Self {
        App {
            credentials,
            profile: ServerProfile::strict(),
            master_key: None,
            transport: None,
        }
    }

    /// Declares the header lines the transport sends (see [`TransportHeaders`]): the
    /// whole-request limit is then checked on the exact size instead of with
    /// [`crate::HEADER_ALLOWANCE_BYTES`]. pushcast's own publisher sets this.
    #[must_use]
    pub fn with_transport_headers(mut self, transport: TransportHeaders) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Sets the server profile.
    #[must_use]
    pub fn with_profile(mut self, profile: ServerProfile) -> Self {
        self.profile = profile;
        self
    }

    /// Enables end-to-end encrypted channels.
    #[must_use]
    pub fn with_master_key(mut self, master_key: MasterKey) -> Self {
        self.master_key = Some(master_key);
        self
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The server profile.
    pub fn profile(&self) -> &ServerProfile {
        &self.profile
    }

    /// A hex SHA-256 of everything that makes this app itself: app id, key, secret, profile,
    /// master key and transport headers. Two apps with the same identity behave the same; the
    /// secret and master key cannot be read back from it (the PHP extension keys its shared
    /// engines with it).
    pub fn identity(&self) -> String {
        use sha2::{Digest, Sha256};
        // Destructured so that a new field cannot be left out of the identity unnoticed.
        let App {
            credentials,
            profile,
            master_key,
            transport,
        } = self;
        let mut hash = Sha256::new();
        for part in [
            credentials.app_id().as_bytes(),
            credentials.key().as_bytes(),
            credentials.secret().expose().as_bytes(),
            master_key.as_ref().map_or(&[][..], |k| &k.bytes()[..]),
            format!("{profile:?}\u{0}{transport:?}").as_bytes(),
        ] {
            // Length-prefixed: ("ab", "c") and ("a", "bc") must not hash alike.
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
        // The master key's presence besides its bytes: an absent key is not an empty one.
        hash.update([u8::from(master_key.is_some())]);
        hex::encode(hash.finalize())
    }

    /// The key of an encrypted channel, or [`Error::MissingMasterKey`].
    pub fn channel_key(&self, channel: &str) -> Result<ChannelKey> {
        let master = self
            .master_key
            .as_ref()
            .ok_or_else(|| Error::MissingMasterKey {
                channel: truncated(channel),
            })?;
        Ok(ChannelKey::derive(master, channel))
    }

    /// Validates `event` against the profile and encrypts it where needed.
    ///
    /// Returns one [`WireEvent`] for plain channels, or one per channel for encrypted ones
    /// (each channel has its own key). Checks: at least one channel, no duplicates, the
    /// channel-count limit, every channel and the event name, the socket id, the `info`
    /// attribute list, no mix of encrypted and plain channels, and the data size as sent.
    pub fn prepare(&self, event: Event) -> Result<Vec<WireEvent>> {
        let Event {
            channels,
            name,
            data,
            socket_id,
            info,
        } = event;
        if channels.is_empty() {
            return Err(Error::NoChannels);
        }
        if let Some(limit) = self.profile.max_channels_per_event {
            if channels.len() > limit {
                return Err(Error::TooManyChannels {
                    count: channels.len(),
                    limit,
                });
            }
        }
        let mut encrypted = 0usize;
        for (i, channel) in channels.iter().enumerate() {
            match validate_channel(channel, &self.profile)? {
                ChannelKind::PrivateEncrypted => encrypted += 1,
                ChannelKind::ServerToUser => {
                    self.check_user_sign_in("publishing to #server-to-user- channels")?
                }
                _ => {}
            }
            if channels[..i].contains(channel) {
                return Err(Error::DuplicateChannel {
                    value: truncated(channel),
                });
            }
        }
        validate_event_name(&name, &self.profile)?;
        if let Some(socket_id) = &socket_id {
            validate_socket_id(socket_id)?;
        }
        if let Some(info) = &info {
            validate_info(info)?;
        }
        if encrypted == 0 {
            self.check_data_size(&data)?;
            return Ok(vec![WireEvent {
                channels,
                name,
                data,
                socket_id,
                info,
            }]);
        }
        if encrypted != channels.len() {
            return Err(Error::MixedEncryption);
        }
        channels
            .into_iter()
            .map(|channel| {
                let sealed = encrypt_data(&self.channel_key(&channel)?, data.as_bytes())?;
                self.check_data_size(&sealed)?;
                Ok(WireEvent {
                    channels: vec![channel],
                    name: name.clone(),
                    data: sealed,
                    socket_id: socket_id.clone(),
                    info: info.clone(),
                })
            })
            .collect()
    }

    fn check_data_size(&self, data: &str) -> Result<()> {
        match self.profile.max_event_data_bytes {
            Some(limit) if data.len() > limit => Err(Error::PayloadTooLarge {
                scope: SizeScope::EventData,
                size: data.len(),
                limit,
            }),
            _ => Ok(()),
        }
    }

    fn path(&self, rest: &str) -> String {
        format!("/apps/{}/{rest}", self.credentials.app_id())
    }

    fn sign(
        &self,
        method: Method,
        rest: &str,
        params: &BTreeMap<String, String>,
        body: Option<Vec<u8>>,
        timestamp: u64,
    ) -> Result<SignedRequest> {
        let request = sign_request(
            &self.credentials,
            method,
            &self.path(rest),
            params,
            body,
            timestamp,
        )?;
        request.check_size_with(&self.profile, self.transport.as_ref())?;
        Ok(request)
    }

    /// Signs a request to any path of the app's API (`rest` after `/apps/{app_id}`, with or
    /// without its leading `/`), with the caller's query `params`: pusher-http-php's `get` and
    /// `post`. A POST without a body signs `{}`. Parameters the signature owns are refused.
    pub fn api_request(
        &self,
        method: Method,
        rest: &str,
        params: &BTreeMap<String, String>,
        body: Option<Vec<u8>>,
        timestamp: u64,
    ) -> Result<SignedRequest> {
        if rest.split('/').any(is_dot_segment) {
            return Err(Error::InvalidConfig {
                field: "path",
                reason: "a path segment of only dots cannot be sent in a URL path (HTTP resolves \
                         . and .. as directories, so the request would reach another resource)"
                    .to_owned(),
            });
        }
        self.sign(
            method,
            rest.trim_start_matches('/'),
            params,
            body,
            timestamp,
        )
    }

    /// Signs `POST /events` for one event. An event for several encrypted channels is sent as a
    /// batch instead, one item per channel, each sealed with its own key.
    pub fn trigger_request(&self, event: Event, timestamp: u64) -> Result<SignedRequest> {
        let wire = self.prepare(event)?;
        match wire.as_slice() {
            [single] => self.sign(
                Method::Post,
                "events",
                &BTreeMap::new(),
                Some(single.trigger_body()?),
                timestamp,
            ),
            _ => self.signed_batch(&wire, timestamp),
        }
    }

    /// Signs `POST /batch_events` for `events`, one item per (event, channel).
    pub fn batch_request(&self, events: Vec<Event>, timestamp: u64) -> Result<SignedRequest> {
        let mut wire = Vec::with_capacity(events.len());
        for event in events {
            wire.extend(self.prepare(event)?);
        }
        self.signed_batch(&wire, timestamp)
    }

    /// Signs `POST /batch_events` for already prepared events.
    pub fn signed_batch(&self, wire: &[WireEvent], timestamp: u64) -> Result<SignedRequest> {
        let count: usize = wire.iter().map(WireEvent::batch_item_count).sum();
        if count == 0 {
            return Err(Error::EmptyBatch);
        }
        if let Some(limit) = self.profile.max_events_per_batch {
            if count > limit {
                return Err(Error::TooManyEvents { count, limit });
            }
        }
        self.sign(
            Method::Post,
            "batch_events",
            &BTreeMap::new(),
            Some(batch_body(wire)?),
            timestamp,
        )
    }

    /// Signs `POST /batch_events` over an already built body (see
    /// [`crate::batch_body_from_items`]), checking the profile's size limits. A publisher
    /// signs again on every retry, so a request retried after minutes carries a fresh
    /// timestamp (servers refuse timestamps more than 600 s away).
    pub fn sign_batch_body(&self, body: Vec<u8>, timestamp: u64) -> Result<SignedRequest> {
        self.sign(
            Method::Post,
            "batch_events",
            &BTreeMap::new(),
            Some(body),
            timestamp,
        )
    }

    /// The largest `batch_events` body the profile allows; `None` if unlimited. For a
    /// whole-request limit it counts the path and the signed query (with a timestamp as wide as
    /// now's), and the headers: exactly when the transport's are known
    /// ([`App::with_transport_headers`]), else [`crate::HEADER_ALLOWANCE_BYTES`].
    pub fn max_batch_body_bytes(&self) -> Option<usize> {
        let whole = self.profile.max_request_bytes.map(|limit| {
            let path = self.path("batch_events").len();
            // auth_key=K&auth_timestamp=T&auth_version=1.0&body_md5=M&auth_signature=S
            let query = "auth_key=".len()
                + crate::signing::encoded_len(self.credentials.key())
                + "&auth_timestamp=".len()
                + decimal_digits(unix_now())
                + "&auth_version=1.0&body_md5=".len()
                + 32
                + "&auth_signature=".len()
                + 64;
            match &self.transport {
                Some(head) => head.max_body_within(limit, path + 1 + query).unwrap_or(0),
                None => {
                    limit.saturating_sub(path + 1 + query + crate::signing::HEADER_ALLOWANCE_BYTES)
                }
            }
        });
        match (self.profile.max_body_bytes, whole) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Checks that `wire`, alone in a request, fits the profile's body and whole-request
    /// limits; catches, before the network, an event Reverb would refuse with 413.
    ///
    /// Exactly when each of its batch items, alone in a batch, is within
    /// [`App::max_batch_body_bytes`], the budget a publisher fills batches to: an event
    /// accepted here is never refused later for its size, whatever the clock says when it is
    /// signed.
    pub fn check_fits_alone(&self, wire: &WireEvent) -> Result<()> {
        let Some(budget) = self.max_batch_body_bytes() else {
            return Ok(());
        };
        // JSON escaping grows a byte to at most six ("\u00XX"), and one item's field names
        // with the batch brackets add at most 71 bytes: below that bound, no need to
        // serialize on the caller's path.
        if wire.approximate_len().saturating_mul(6).saturating_add(80) <= budget {
            return Ok(());
        }
        // Signed with now's timestamp, as wide as the budget counts it.
        for item in wire.batch_items_json()? {
            self.sign_batch_body(
                crate::event::batch_body_from_items([item.as_slice()]),
                unix_now(),
            )?;
        }
        Ok(())
    }

    /// Signs `POST /events` over an already built body: one channel's item (from
    /// [`WireEvent::batch_item_json`], which is also a valid `POST /events` body), for an event
    /// the server cannot take in a batch (see [`ServerProfile::socket_id_in_batches`]).
    pub fn sign_trigger_body(&self, body: Vec<u8>, timestamp: u64) -> Result<SignedRequest> {
        self.sign(
            Method::Post,
            "events",
            &BTreeMap::new(),
            Some(body),
            timestamp,
        )
    }

    /// Signs `POST /events` for an already prepared event.
    pub fn signed_trigger(&self, wire: &WireEvent, timestamp: u64) -> Result<SignedRequest> {
        self.sign(
            Method::Post,
            "events",
            &BTreeMap::new(),
            Some(wire.trigger_body()?),
            timestamp,
        )
    }

    /// The event `sendToUser` publishes: `name` on `#server-to-user-{user_id}`.
    pub fn send_to_user_event(
        &self,
        user_id: &str,
        name: impl Into<String>,
        data: impl Into<String>,
    ) -> Result<Event> {
        self.check_user_sign_in("sendToUser (#server-to-user- channels)")?;
        validate_user_id(user_id, &self.profile)?;
        Ok(Event::new(
            [format!("{SERVER_TO_USER_PREFIX}{user_id}")],
            name,
            data,
        ))
    }

    /// Refuses `what` where the profile's server has no user sign-in: an event sent to a user
    /// there is answered 200 and never delivered.
    pub(crate) fn check_user_sign_in(&self, what: &'static str) -> Result<()> {
        if self.profile.supports_user_sign_in {
            return Ok(());
        }
        Err(Error::Unsupported {
            what,
            server: self.profile.name(),
            reason:
                "the server has no user sign-in (it answers pusher:signin with error 4200), so \
                     an event for a user would be accepted and never delivered; publish to a \
                     private channel of that user instead (e.g. private-App.Models.User.{id})",
        })
    }

    /// Signs `GET /channels`, optionally filtered by prefix and with `info` attributes.
    pub fn channels_request(
        &self,
        filter_by_prefix: Option<&str>,
        info: Option<&str>,
        timestamp: u64,
    ) -> Result<SignedRequest> {
        let mut params = BTreeMap::new();
        if let Some(prefix) = filter_by_prefix {
            params.insert("filter_by_prefix".to_owned(), prefix.to_owned());
        }
        if let Some(info) = info {
            validate_info(info)?;
            params.insert("info".to_owned(), info.to_owned());
        }
        self.sign(Method::Get, "channels", &params, None, timestamp)
    }

    /// Signs `GET /channels/{channel}` with optional `info` attributes.
    pub fn channel_info_request(
        &self,
        channel: &str,
        info: Option<&str>,
        timestamp: u64,
    ) -> Result<SignedRequest> {
        validate_channel(channel, &self.profile)?;
        check_path_segment(channel, false)?;
        let mut params = BTreeMap::new();
        if let Some(info) = info {
            validate_info(info)?;
            params.insert("info".to_owned(), info.to_owned());
        }
        self.sign(
            Method::Get,
            &format!("channels/{channel}"),
            &params,
            None,
            timestamp,
        )
    }

    /// Signs `GET /channels/{channel}/users` (presence channels only).
    pub fn presence_users_request(&self, channel: &str, timestamp: u64) -> Result<SignedRequest> {
        if validate_channel(channel, &self.profile)? != ChannelKind::Presence {
            return Err(Error::InvalidChannelName {
                value: truncated(channel),
                rule: crate::error::NameRule::NotOfKind {
                    needed: "users can only be listed on presence channels (named presence-...)",
                },
            });
        }
        check_path_segment(channel, false)?;
        self.sign(
            Method::Get,
            &format!("channels/{channel}/users"),
            &BTreeMap::new(),
            None,
            timestamp,
        )
    }

    /// Signs `POST /users/{user_id}/terminate_connections` (body `{}`).
    pub fn terminate_user_connections_request(
        &self,
        user_id: &str,
        timestamp: u64,
    ) -> Result<SignedRequest> {
        validate_user_id(user_id, &self.profile)?;
        check_path_segment(user_id, true)?;
        self.sign(
            Method::Post,
            &format!("users/{user_id}/terminate_connections"),
            &BTreeMap::new(),
            Some(b"{}".to_vec()),
            timestamp,
        )
    }
}

/// `.` or `..`: a URL path segment every HTTP client resolves as a directory.
fn is_dot_segment(segment: &str) -> bool {
    segment == "." || segment == ".."
}

/// A channel name or user id that goes into a URL path as one segment: `.` and `..` are valid
/// names, but every HTTP client resolves them as directories (`/channels/..` becomes `/`), so
/// the request would reach another resource under a signature made for this one. Found by
/// scripts/crosscheck-php: pusher-http-php sends `GET /channels/..` as `GET /channels/` and
/// returns the channel list as the channel's info.
fn check_path_segment(value: &str, is_user_id: bool) -> Result<()> {
    if !is_dot_segment(value) {
        return Ok(());
    }
    let rule = crate::error::NameRule::NotOfKind {
        needed: "a name of only dots cannot be sent in a URL path (HTTP resolves . and .. as \
                 directories); it can receive events but not be queried",
    };
    Err(if is_user_id {
        Error::InvalidUserId {
            value: value.to_owned(),
            rule,
        }
    } else {
        Error::InvalidChannelName {
            value: value.to_owned(),
            rule,
        }
    })
}

/// `info` is a comma-separated list of attribute names (`user_count`, `subscription_count`).
fn validate_info(info: &str) -> Result<()> {
    let ok = info
        .split(',')
        .all(|attr| !attr.is_empty() && attr.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidConfig {
            field: "info",
            reason: format!(
                "{:?} is not a comma-separated list of attribute names like \"subscription_count,user_count\"",
                truncated(info)
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::decrypt_data;

    fn app() -> App {
        App::new(Credentials::new("1", "thisisaauthkey", "thisisasecret").unwrap())
    }

    fn encrypted_app() -> App {
        app().with_master_key(MasterKey::from_bytes(&[b'a'; 32]).unwrap())
    }

    #[test]
    fn identity_covers_the_secret_and_master_key_without_showing_them() {
        let base = app().identity();
        assert_eq!(base, app().identity());
        let other_secret =
            App::new(Credentials::new("1", "thisisaauthkey", "othersecret").unwrap());
        assert_ne!(base, other_secret.identity());
        assert_ne!(base, encrypted_app().identity());
        let other_key = app().with_master_key(MasterKey::from_bytes(&[b'b'; 32]).unwrap());
        assert_ne!(encrypted_app().identity(), other_key.identity());
        assert_ne!(
            base,
            app().with_profile(ServerProfile::sockudo()).identity()
        );
        assert!(!base.contains("thisisasecret"));
    }

    #[test]
    fn trigger_matches_golden_signature() {
        let req = app()
            .trigger_request(
                Event::new(["my-channel"], "my_event", r#"{"message":"hello"}"#),
                1_700_000_000,
            )
            .unwrap();
        assert_eq!(req.path, "/apps/1/events");
        assert_eq!(
            req.signature,
            "f005924ff5a876bff819340b645a39292ba49aa6ddad1c2d554197fd36127741"
        );
    }

    #[test]
    fn validation_happens_before_signing() {
        let a = app();
        let empty: [&str; 0] = [];
        assert_eq!(
            a.prepare(Event::new(empty, "e", "{}")),
            Err(Error::NoChannels)
        );
        assert!(matches!(
            a.prepare(Event::new(["a", "a"], "e", "{}")),
            Err(Error::DuplicateChannel { .. })
        ));
        let many: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
        assert!(matches!(
            a.prepare(Event::new(many, "e", "{}")),
            Err(Error::TooManyChannels {
                count: 101,
                limit: 100
            })
        ));
        assert!(matches!(
            a.prepare(Event::new(["a"], "e", "{}").excluding("nope")),
            Err(Error::InvalidSocketId { .. })
        ));
        assert!(matches!(
            a.prepare(Event::new(["a"], "e", "x".repeat(10_001))),
            Err(Error::PayloadTooLarge {
                scope: SizeScope::EventData,
                ..
            })
        ));
        assert!(matches!(
            a.prepare(Event::new(["a"], "e", "{}").with_info("user_count;drop")),
            Err(Error::InvalidConfig { field: "info", .. })
        ));
    }

    #[test]
    fn encryption_needs_a_key_and_no_mixing() {
        assert!(matches!(
            app().prepare(Event::new(["private-encrypted-a"], "e", "{}")),
            Err(Error::MissingMasterKey { .. })
        ));
        assert_eq!(
            encrypted_app().prepare(Event::new(["private-encrypted-a", "public"], "e", "{}")),
            Err(Error::MixedEncryption)
        );
    }

    #[test]
    fn each_encrypted_channel_gets_its_own_ciphertext() {
        let a = encrypted_app();
        let wire = a
            .prepare(Event::new(
                ["private-encrypted-a", "private-encrypted-b"],
                "e",
                r#"{"secret":true}"#,
            ))
            .unwrap();
        assert_eq!(wire.len(), 2);
        for w in &wire {
            let key = a.channel_key(&w.channels[0]).unwrap();
            assert_eq!(decrypt_data(&key, &w.data).unwrap(), br#"{"secret":true}"#);
        }
        // And the multi-channel trigger goes out as a batch, one item per channel.
        let req = a
            .trigger_request(
                Event::new(["private-encrypted-a", "private-encrypted-b"], "e", "{}"),
                1,
            )
            .unwrap();
        assert_eq!(req.path, "/apps/1/batch_events");
    }

    #[test]
    fn batch_limits() {
        let a = app();
        let events: Vec<Event> = (0..11)
            .map(|i| Event::new([format!("c{i}")], "e", "{}"))
            .collect();
        assert!(matches!(
            a.batch_request(events, 1),
            Err(Error::TooManyEvents {
                count: 11,
                limit: 10
            })
        ));
        assert_eq!(a.batch_request(vec![], 1), Err(Error::EmptyBatch));
    }

    #[test]
    fn query_requests() {
        let a = app();
        let r = a
            .channels_request(Some("presence-"), Some("user_count"), 1)
            .unwrap();
        assert_eq!(r.method, Method::Get);
        assert!(r.query.contains("filter_by_prefix=presence-"));
        assert_eq!(
            a.channel_info_request("my-channel", Some("subscription_count"), 1)
                .unwrap()
                .path,
            "/apps/1/channels/my-channel"
        );
        assert!(a.presence_users_request("private-x", 1).is_err());
        assert_eq!(
            a.presence_users_request("presence-x", 1).unwrap().path,
            "/apps/1/channels/presence-x/users"
        );
        let t = a.terminate_user_connections_request("42", 1).unwrap();
        assert_eq!(t.path, "/apps/1/users/42/terminate_connections");
        // Dots alone would be resolved away by any HTTP client: refused before the network.
        for dots in [".", ".."] {
            assert!(matches!(
                a.channel_info_request(dots, None, 1),
                Err(Error::InvalidChannelName { .. })
            ));
            assert!(matches!(
                a.presence_users_request(dots, 1),
                Err(Error::InvalidChannelName { .. })
            ));
            assert!(matches!(
                a.terminate_user_connections_request(dots, 1),
                Err(Error::InvalidUserId { .. })
            ));
        }
        assert!(a.channel_info_request("a.", None, 1).is_ok());
        assert!(a
            .api_request(Method::Get, "/channels/..", &BTreeMap::new(), None, 1)
            .is_err());
        assert!(a
            .api_request(Method::Get, "/channels/a..", &BTreeMap::new(), None, 1)
            .is_ok());
        assert_eq!(t.body.as_deref(), Some(&b"{}"[..]));
        assert!(a.terminate_user_connections_request("", 1).is_err());
        let e = a.send_to_user_event("42", "hello", "{}").unwrap();
        assert_eq!(e.channels, ["#server-to-user-42"]);
        assert!(a.prepare(e).is_ok());
    }

    #[test]
    fn reverb_whole_request_rule() {
        let a = app().with_profile(ServerProfile::reverb());
        // 9,500 bytes of data fit Reverb's per-event rule (none) but not its whole-request rule.
        let err = a
            .trigger_request(Event::new(["c"], "e", "x".repeat(9_500)), 1)
            .unwrap_err();
        assert!(matches!(
            err,
            Error::PayloadTooLarge {
                scope: SizeScope::WholeRequest,
                ..
            }
        ));
    }
}
