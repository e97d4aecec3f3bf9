//! # pushcast-core
//!
//! The Pusher protocol, with no I/O: request signing (auth_version 1.0), validation of
//! channels, events, socket ids and user ids against a [`ServerProfile`], trigger and batch
//! serialization, channel authorization (private, presence, encrypted, user sign-in),
//! end-to-end encryption, webhook verification and server response parsing.
//!
//! Byte-compatible with pusher-http-php wherever the inputs are the same bytes; see
//! `shared/protocol.md` in the project for the facts and golden vectors it follows.
//!
//! ```
//! use pushcast_core::{App, Credentials, Event};
//!
//! let app = App::new(Credentials::new("1", "thisisaauthkey", "thisisasecret")?);
//! let request = app.trigger_request(
//!     Event::new(["my-channel"], "my_event", r#"{"message":"hello"}"#),
//!     1_700_000_000,
//! )?;
//! assert_eq!(request.path, "/apps/1/events");
//! assert_eq!(
//!     request.signature,
//!     "f005924ff5a876bff819340b645a39292ba49aa6ddad1c2d554197fd36127741"
//! );
//! let auth = app.authorize_channel("1.1", "private-orders.1", None)?;
//! assert!(auth.auth.starts_with("thisisaauthkey:"));
//! # Ok::<(), pushcast_core::Error>(())
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod app;
mod auth;
mod credentials;
pub mod crypto;
mod endpoint;
mod error;
mod event;
mod profile;
pub mod response;
mod signing;
pub mod validate;
mod webhook;

pub use app::{unix_now, App};
pub use auth::{ChannelAuth, UserAuth};
pub use credentials::{Credentials, MasterKey, Secret};
pub use endpoint::PusherEndpoint;
pub use error::{
    code_name, Error, ErrorKind, NameRule, Result, SizeScope, WebhookRejection, CODES,
    MAX_VALUE_CHARS_IN_ERRORS, RETIRED_CODES,
};
pub use event::{batch_body, batch_body_from_items, batch_body_len, Event, WireEvent};
pub use profile::{ChannelCharset, ServerKind, ServerProfile};
pub use signing::{
    body_md5, sign_request, Method, SignedRequest, TransportHeaders, HEADER_ALLOWANCE_BYTES,
};
pub use webhook::{Freshness, Webhook, WebhookEvent};
