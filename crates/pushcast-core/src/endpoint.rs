//! Pusher connection settings (`host`, `port`, `scheme`, `useTLS`, `cluster`, `path`) → the
//! base URL of the server's HTTP API, by one rule: pusher-http-php 7.2.7's.
//!
//! The PHP extension (pusher-http-php's options array) and the CLI (`PUSHER_HOST`,
//! `REVERB_PORT`, ...) both build their endpoint here, so one set of settings names one server
//! everywhere.

use crate::error::{Error, Result};

/// The connection settings as the user gave them; `None` is "not set" (PHP's `isset`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PusherEndpoint<'a> {
    /// Server host, possibly with an `http://` or `https://` prefix (removed, as
    /// pusher-http-php does).
    pub host: Option<&'a str>,
    /// Server port.
    pub port: Option<u64>,
    /// `http` or `https`.
    pub scheme: Option<&'a str>,
    /// pusher-http-php's `useTLS` (default true): https on 443 when neither `scheme` nor
    /// `port` is set. pusher-http-php 7 ignores the older `encrypted`; so does pushcast.
    pub use_tls: Option<bool>,
    /// Hosted Pusher cluster (`eu`): the host `api-{cluster}.pusher.com` when `host` is unset.
    pub cluster: Option<&'a str>,
    /// A path prefix between the port and `/apps/{app_id}` (a proxy's), empty or starting
    /// with `/`.
    pub path: Option<&'a str>,
}

fn bad(field: &'static str, reason: String) -> Error {
    Error::InvalidConfig { field, reason }
}

/// Removes the first `http://` or `https://` found in `host`, as pusher-http-php's
/// `preg_replace('/http[s]?\:\/\//', '', $host, 1)` does.
fn strip_scheme(host: &str) -> String {
    for (at, _) in host.match_indices("http") {
        let rest = &host[at + 4..];
        let skip = if rest.starts_with("://") {
            7
        } else if rest.starts_with("s://") {
            8
        } else {
            continue;
        };
        return format!("{}{}", &host[..at], &host[at + skip..]);
    }
    host.to_owned()
}

impl PusherEndpoint<'_> {
    /// The base URL `scheme://host:port[path]`, as pusher-http-php builds it: `useTLS` (default
    /// true) gives https on 443 when neither `scheme` nor `port` is set; otherwise `scheme`
    /// defaults to http and `port` to 80 (so `port` 443 alone is http, as there). The host is
    /// `host` without its scheme prefix, else `api-{cluster}.pusher.com`, else
    /// `api-mt1.pusher.com`.
    ///
    /// Stricter than pusher-http-php, which builds any URL and fails on the first request: a
    /// host that still holds a scheme, port, path or user part, a scheme other than
    /// http/https, a port outside 1..=65535 and a path that is not a prefix are errors naming
    /// the setting.
    pub fn url(&self) -> Result<String> {
        let use_tls = self.use_tls.unwrap_or(true);
        let (scheme, port) = match (self.scheme, self.port) {
            (None, None) if use_tls => ("https", 443),
            (scheme, port) => (scheme.unwrap_or("http"), port.unwrap_or(80)),
        };
        let host = match (self.host, self.cluster) {
            (Some(host), _) => strip_scheme(host),
            (None, Some(cluster)) => format!("api-{cluster}.pusher.com"),
            (None, None) => "api-mt1.pusher.com".to_owned(),
        };
        if scheme != "http" && scheme != "https" {
            return Err(bad(
                "scheme",
                format!("must be http or https, got {scheme:?}"),
            ));
        }
        if !(1..=65535).contains(&port) {
            return Err(bad(
                "port",
                format!("must be between 1 and 65535, got {port}"),
            ));
        }
        let bracketed_ipv6 = host.starts_with('[') && host.ends_with(']');
        let not_host = |c: char| {
            c.is_whitespace()
                || matches!(c, '/' | '?' | '#' | '@' | '\\')
                || (c == ':' && !bracketed_ipv6)
        };
        if host.is_empty() || host.contains(not_host) {
            return Err(bad(
                "host",
                format!("must be a host name or address only (put the port in `port` and the scheme in `scheme`), got {host:?}"),
            ));
        }
        let path = self.path.unwrap_or("");
        if !(path.is_empty() || path.starts_with('/')) || path.contains(['?', '#', ' ']) {
            return Err(bad(
                "path",
                format!("must be empty or start with `/` (a path prefix only), got {path:?}"),
            ));
        }
        Ok(format!(
            "{scheme}://{host}:{port}{}",
            path.trim_end_matches('/')
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(e: PusherEndpoint<'_>) -> String {
        e.url().unwrap()
    }

    #[test]
    fn follows_pusher_http_php() {
        let none = PusherEndpoint::default();
        assert_eq!(url(none), "https://api-mt1.pusher.com:443");
        let host = |h| PusherEndpoint {
            host: Some(h),
            ..none
        };
        assert_eq!(url(host("h")), "https://h:443");
        assert_eq!(url(host("http://h")), "https://h:443");
        assert_eq!(
            url(PusherEndpoint {
                use_tls: Some(false),
                ..host("h")
            }),
            "http://h:80"
        );
        // A port alone keeps pusher-http-php's default scheme, http, even on 443.
        assert_eq!(
            url(PusherEndpoint {
                port: Some(443),
                ..host("h")
            }),
            "http://h:443"
        );
        assert_eq!(
            url(PusherEndpoint {
                scheme: Some("https"),
                ..host("h")
            }),
            "https://h:80"
        );
        assert_eq!(
            url(PusherEndpoint {
                cluster: Some("eu"),
                ..none
            }),
            "https://api-eu.pusher.com:443"
        );
        assert_eq!(
            url(PusherEndpoint {
                cluster: Some("eu"),
                path: Some("/proxy/"),
                ..host("h")
            }),
            "https://h:443/proxy"
        );
        assert_eq!(url(host("[::1]")), "https://[::1]:443");
    }

    #[test]
    fn errors_name_the_setting() {
        let field = |e: PusherEndpoint<'_>| match e.url() {
            Err(Error::InvalidConfig { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        for h in ["http://h:6001", "h/apps", "", "user@h", "http://http://x"] {
            assert_eq!(
                field(PusherEndpoint {
                    host: Some(h),
                    ..PusherEndpoint::default()
                }),
                "host",
                "{h}"
            );
        }
        assert_eq!(
            field(PusherEndpoint {
                scheme: Some("ftp"),
                ..PusherEndpoint::default()
            }),
            "scheme"
        );
        assert_eq!(
            field(PusherEndpoint {
                port: Some(70000),
                ..PusherEndpoint::default()
            }),
            "port"
        );
        assert_eq!(
            field(PusherEndpoint {
                path: Some("x"),
                ..PusherEndpoint::default()
            }),
            "path"
        );
    }
}
