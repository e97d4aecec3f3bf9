//! Where the app's settings come from: flags, then the environment, then a Laravel `.env`.
//!
//! Each setting is looked up in three layers, first hit wins: a command-line flag, the process
//! environment, the `.env` file (`--env-file`, or `./.env` when present; read with dotenvy
//! without touching the process environment). Within a layer the names are tried in order:
//! `PUSHCAST_*`, then Laravel's `REVERB_*`, then `PUSHER_*` (`PUSHER_*` first when
//! `BROADCAST_CONNECTION`, or the older `BROADCAST_DRIVER`, says `pusher`). Empty values count
//! as unset, as Laravel's `PUSHER_APP_ID=` placeholders are.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use clap::Args;
use pushcast_core::{App, Credentials, Error, MasterKey, PusherEndpoint, ServerProfile};

use crate::error::{CliError, CliResult};

/// Connection and credential flags, accepted by every command.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Connection and credentials (every command)")]
pub struct ConfigFlags {
    /// App id [env: PUSHCAST_APP_ID, REVERB_APP_ID, PUSHER_APP_ID].
    #[arg(long, global = true)]
    pub app_id: Option<String>,
    /// App key [env: PUSHCAST_KEY, REVERB_APP_KEY, PUSHER_APP_KEY].
    #[arg(long, global = true)]
    pub app_key: Option<String>,
    /// App secret [env: PUSHCAST_SECRET, REVERB_APP_SECRET, PUSHER_APP_SECRET].
    #[arg(long, global = true)]
    pub app_secret: Option<String>,
    /// Server host [env: PUSHCAST_HOST, REVERB_HOST, PUSHER_HOST].
    #[arg(long, global = true)]
    pub host: Option<String>,
    /// Server port [env: PUSHCAST_PORT, REVERB_PORT, PUSHER_PORT].
    #[arg(long, global = true)]
    pub port: Option<String>,
    /// http or https [env: PUSHCAST_SCHEME, REVERB_SCHEME, PUSHER_SCHEME].
    #[arg(long, global = true)]
    pub scheme: Option<String>,
    /// Base URL of the HTTP API, instead of host/port/scheme [env: PUSHCAST_URL].
    #[arg(long, global = true)]
    pub url: Option<String>,
    /// Hosted Pusher cluster, when no host is set [env: PUSHCAST_CLUSTER, PUSHER_APP_CLUSTER].
    #[arg(long, global = true)]
    pub cluster: Option<String>,
    /// Encryption master key, base64 of 32 bytes [env: PUSHCAST_ENCRYPTION_MASTER_KEY,
    /// PUSHER_ENCRYPTION_MASTER_KEY].
    #[arg(long, global = true)]
    pub encryption_master_key: Option<String>,
    /// Server profile: strict, pusher, reverb, sockudo, soketi, custom [env: PUSHCAST_PROFILE].
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Laravel .env file to read (default: ./.env when it exists).
    #[arg(long, global = true, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
    /// Do not read any .env file.
    #[arg(long, global = true)]
    pub no_env_file: bool,
}

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag(&'static str),
    /// A process environment variable.
    Env(String),
    /// A variable of the .env file.
    DotEnv(PathBuf, String),
    /// Worked out from other settings.
    Derived(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(name) => write!(f, "environment {name}"),
            Source::DotEnv(path, name) => write!(f, "{} {name}", path.display()),
            Source::Derived(how) => write!(f, "derived: {how}"),
        }
    }
}

/// One resolved value and its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value.
    pub value: String,
    /// Where it came from.
    pub source: Source,
}

/// The settings a command may need, each with its origin.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// App id.
    pub app_id: Option<Setting>,
    /// App key.
    pub key: Option<Setting>,
    /// App secret.
    pub secret: Option<Setting>,
    /// Base URL of the HTTP API.
    pub http_url: Option<Setting>,
    /// WebSocket base URL (`ws://host:port`).
    pub ws_url: Option<Setting>,
    /// Encryption master key (base64).
    pub master_key: Option<Setting>,
    /// Server profile name.
    pub profile: Setting,
    /// The .env file read, if any.
    pub env_file: Option<PathBuf>,
}

/// Which names each setting is read from, in the `PUSHCAST_`, `REVERB_`, `PUSHER_` families.
struct Names {
    pushcast: &'static [&'static str],
    reverb: &'static [&'static str],
    pusher: &'static [&'static str],
}

const APP_ID: Names = Names {
    pushcast: &["PUSHCAST_APP_ID"],
    reverb: &["REVERB_APP_ID"],
    pusher: &["PUSHER_APP_ID"],
};
const KEY: Names = Names {
    pushcast: &["PUSHCAST_KEY", "PUSHCAST_APP_KEY"],
    reverb: &["REVERB_APP_KEY"],
    pusher: &["PUSHER_APP_KEY"],
};
const SECRET: Names = Names {
    pushcast: &["PUSHCAST_SECRET", "PUSHCAST_APP_SECRET"],
    reverb: &["REVERB_APP_SECRET"],
    pusher: &["PUSHER_APP_SECRET"],
};
const HOST: Names = Names {
    pushcast: &["PUSHCAST_HOST"],
    reverb: &["REVERB_HOST"],
    pusher: &["PUSHER_HOST"],
};
const PORT: Names = Names {
    pushcast: &["PUSHCAST_PORT"],
    reverb: &["REVERB_PORT"],
    pusher: &["PUSHER_PORT"],
};
const SCHEME: Names = Names {
    pushcast: &["PUSHCAST_SCHEME"],
    reverb: &["REVERB_SCHEME"],
    pusher: &["PUSHER_SCHEME"],
};
const URL: Names = Names {
    pushcast: &["PUSHCAST_URL"],
    reverb: &[],
    pusher: &[],
};
const CLUSTER: Names = Names {
    pushcast: &["PUSHCAST_CLUSTER"],
    reverb: &[],
    pusher: &["PUSHER_APP_CLUSTER"],
};
const MASTER_KEY: Names = Names {
    pushcast: &["PUSHCAST_ENCRYPTION_MASTER_KEY"],
    reverb: &[],
    // Laravel's broadcasting docs use PUSHER_ENCRYPTION_MASTER_KEY; some apps add _BASE64.
    pusher: &[
        "PUSHER_ENCRYPTION_MASTER_KEY",
        "PUSHER_ENCRYPTION_MASTER_KEY_BASE64",
    ],
};
const PROFILE: Names = Names {
    pushcast: &["PUSHCAST_PROFILE"],
    reverb: &[],
    pusher: &[],
};

/// The environment and .env layers, looked up by name.
struct Layers<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    dotenv: HashMap<String, String>,
    dotenv_path: Option<PathBuf>,
    pusher_first: bool,
}

impl Layers<'_> {
    fn names<'n>(&self, names: &'n Names) -> Vec<&'n str> {
        let (second, third) = if self.pusher_first {
            (names.pusher, names.reverb)
        } else {
            (names.reverb, names.pusher)
        };
        names
            .pushcast
            .iter()
            .chain(second)
            .chain(third)
            .copied()
            .collect()
    }

    /// Flag, then every name in the environment, then every name in the .env file.
    fn lookup(&self, flag: (&'static str, &Option<String>), names: &Names) -> Option<Setting> {
        if let Some(value) = flag.1.as_ref().filter(|v| !v.is_empty()) {
            return Some(Setting {
                value: value.clone(),
                source: Source::Flag(flag.0),
            });
        }
        let names = self.names(names);
        for name in &names {
            if let Some(value) = (self.env)(name).filter(|v| !v.is_empty()) {
                return Some(Setting {
                    value,
                    source: Source::Env((*name).to_owned()),
                });
            }
        }
        let path = self.dotenv_path.as_ref()?;
        names.iter().find_map(|name| {
            self.dotenv
                .get(*name)
                .filter(|v| !v.is_empty())
                .map(|value| Setting {
                    value: value.clone(),
                    source: Source::DotEnv(path.clone(), (*name).to_owned()),
                })
        })
    }

    fn plain(&self, name: &str) -> Option<String> {
        (self.env)(name)
            .filter(|v| !v.is_empty())
            .or_else(|| self.dotenv.get(name).filter(|v| !v.is_empty()).cloned())
    }
}

/// Reads a .env file's variables without setting them in the process environment.
fn read_dotenv(path: &Path) -> CliResult<HashMap<String, String>> {
    let entries = dotenvy::from_path_iter(path)
        .map_err(|e| CliError::config(format!("cannot read {}: {e}", path.display())))?;
    let mut map = HashMap::new();
    for entry in entries {
        let (name, value) =
            entry.map_err(|e| CliError::config(format!("cannot parse {}: {e}", path.display())))?;
        map.insert(name, value);
    }
    Ok(map)
}

/// Resolves every setting from `flags`, the environment `env` and the .env file.
///
/// `default_env_file` is read only when it exists and no `--env-file` was given.
pub fn resolve(
    flags: &ConfigFlags,
    env: &dyn Fn(&str) -> Option<String>,
    default_env_file: &Path,
) -> CliResult<Resolved> {
    let dotenv_path = match (&flags.env_file, flags.no_env_file) {
        (_, true) => None,
        (Some(path), false) => Some(path.clone()),
        (None, false) => default_env_file
            .is_file()
            .then(|| default_env_file.to_path_buf()),
    };
    let dotenv = match &dotenv_path {
        Some(path) => read_dotenv(path)?,
        None => HashMap::new(),
    };
    let mut layers = Layers {
        env,
        dotenv,
        dotenv_path: dotenv_path.clone(),
        pusher_first: false,
    };
    layers.pusher_first = layers
        .plain("BROADCAST_CONNECTION")
        .or_else(|| layers.plain("BROADCAST_DRIVER"))
        .is_some_and(|c| c.eq_ignore_ascii_case("pusher"));

    let key = layers.lookup(("--app-key", &flags.app_key), &KEY);
    let host = layers.lookup(("--host", &flags.host), &HOST);
    let port = layers.lookup(("--port", &flags.port), &PORT);
    let scheme = layers.lookup(("--scheme", &flags.scheme), &SCHEME);
    let url = layers.lookup(("--url", &flags.url), &URL);
    let cluster = layers.lookup(("--cluster", &flags.cluster), &CLUSTER);
    let (http_url, ws_url) = endpoints(url, host, port, scheme, cluster.as_ref())?;

    let profile = layers
        .lookup(("--profile", &flags.profile), &PROFILE)
        .unwrap_or_else(|| default_profile(http_url.as_ref(), key.as_ref()));

    Ok(Resolved {
        app_id: layers.lookup(("--app-id", &flags.app_id), &APP_ID),
        key,
        secret: layers.lookup(("--app-secret", &flags.app_secret), &SECRET),
        http_url,
        ws_url,
        master_key: layers.lookup(
            ("--encryption-master-key", &flags.encryption_master_key),
            &MASTER_KEY,
        ),
        profile,
        env_file: dotenv_path,
    })
}

/// Hosted Pusher for a pusher.com endpoint, Reverb when the key came from `REVERB_*`, else the
/// strictest profile (every known server's limits at once).
fn default_profile(http_url: Option<&Setting>, key: Option<&Setting>) -> Setting {
    let (value, how) = if http_url.is_some_and(|u| u.value.contains(".pusher.com")) {
        ("pusher", "hosted Pusher endpoint")
    } else if key.is_some_and(
        |k| matches!(&k.source, Source::Env(n) | Source::DotEnv(_, n) if n.starts_with("REVERB_")),
    ) {
        ("reverb", "the key came from REVERB_APP_KEY")
    } else {
        ("strict", "default")
    };
    Setting {
        value: value.to_owned(),
        source: Source::Derived(how),
    }
}

type Endpoints = (Option<Setting>, Option<Setting>);

/// The HTTP API base URL and the WebSocket base URL from url, host/port/scheme or cluster.
fn endpoints(
    url: Option<Setting>,
    host: Option<Setting>,
    port: Option<Setting>,
    scheme: Option<Setting>,
    cluster: Option<&Setting>,
) -> CliResult<Endpoints> {
    if let Some(url) = url {
        let base = url.value.trim_end_matches('/').to_owned();
        let ws = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            return Err(CliError::config(format!(
                "URL {:?} ({}) must start with http:// or https://",
                url.value, url.source
            )));
        };
        let derived = Setting {
            value: ws,
            source: Source::Derived("from the URL"),
        };
        return Ok((Some(Setting { value: base, ..url }), Some(derived)));
    }
    if host.is_none() && cluster.is_none() {
        return Ok((None, None));
    }
    // The HTTP endpoint by pusher-http-php's rule, the one the PHP extension uses: scheme and
    // port unset give https on 443 (Laravel's `useTLS` follows the scheme, https by default),
    // a port alone gives http.
    let port_number = match &port {
        Some(p) => Some(p.value.parse::<u16>().map_err(|_| {
            CliError::config(format!(
                "port {:?} ({}) is not a port number",
                p.value, p.source
            ))
        })?),
        None => None,
    };
    let scheme_value = scheme.as_ref().map(|s| s.value.to_ascii_lowercase());
    let endpoint = PusherEndpoint {
        host: host.as_ref().map(|h| h.value.as_str()),
        port: port_number.map(u64::from),
        scheme: scheme_value.as_deref(),
        use_tls: None,
        cluster: cluster.map(|c| c.value.as_str()),
        path: None,
    };
    let http = endpoint.url().map_err(|e| {
        let origin = match &e {
            Error::InvalidConfig {
                field: "scheme", ..
            } => scheme.as_ref(),
            Error::InvalidConfig { field: "host", .. } => host.as_ref(),
            _ => None,
        };
        match origin {
            Some(s) => CliError::config(format!("{e} ({})", s.source)),
            None => CliError::from(e),
        }
    })?;
    let how = if host.is_some() {
        "host, port and scheme"
    } else {
        "hosted Pusher cluster"
    };
    // Hosted Pusher serves WebSockets on ws-{cluster}, not on the api- host.
    let ws = match (&host, cluster) {
        (None, Some(c)) => format!("wss://ws-{}.pusher.com:443", c.value),
        _ => match http.split_once("://") {
            Some(("https", rest)) => format!("wss://{rest}"),
            Some((_, rest)) => format!("ws://{rest}"),
            None => http.clone(),
        },
    };
    let derived = |value| Setting {
        value,
        source: Source::Derived(how),
    };
    Ok((Some(derived(http)), Some(derived(ws))))
}

fn required<'a>(setting: &'a Option<Setting>, what: &str, hint: &str) -> CliResult<&'a str> {
    setting.as_ref().map(|s| s.value.as_str()).ok_or_else(|| {
        CliError::config(format!(
            "missing {what}: pass {hint} (in the environment or the .env file)"
        ))
    })
}

impl Resolved {
    /// Resolves from the process environment and `./.env`.
    pub fn from_process(flags: &ConfigFlags) -> CliResult<Self> {
        resolve(flags, &|name| std::env::var(name).ok(), Path::new(".env"))
    }

    /// The app: credentials, profile and master key. `need_app_id`: false for commands that
    /// only sign (auth, webhook verify), where the app id takes part in no signature.
    pub fn app(&self, need_app_id: bool) -> CliResult<App> {
        let key = required(
            &self.key,
            "app key",
            "--app-key or set PUSHCAST_KEY, REVERB_APP_KEY or PUSHER_APP_KEY",
        )?;
        let secret = required(
            &self.secret,
            "app secret",
            "--app-secret or set PUSHCAST_SECRET, REVERB_APP_SECRET or PUSHER_APP_SECRET",
        )?;
        let app_id = match (&self.app_id, need_app_id) {
            (Some(id), _) => id.value.as_str(),
            // Only signing commands get here: no signature covers the app id.
            (None, false) => "unused",
            (None, true) => required(
                &self.app_id,
                "app id",
                "--app-id or set PUSHCAST_APP_ID, REVERB_APP_ID or PUSHER_APP_ID",
            )?,
        };
        let profile: ServerProfile = self.profile.value.parse()?;
        let mut app = App::new(Credentials::new(app_id, key, secret)?).with_profile(profile);
        if let Some(master) = &self.master_key {
            app = app.with_master_key(MasterKey::from_base64(&master.value)?);
        }
        Ok(app)
    }

    /// The HTTP API base URL.
    pub fn http_url(&self) -> CliResult<&str> {
        required(
            &self.http_url,
            "server address",
            "--host/--port/--scheme, --url or --cluster, or set PUSHCAST_HOST, REVERB_HOST or PUSHER_HOST",
        )
    }

    /// The WebSocket base URL.
    pub fn ws_url(&self) -> CliResult<&str> {
        required(
            &self.ws_url,
            "server address",
            "--host/--port/--scheme, --url or --cluster, or set PUSHCAST_HOST, REVERB_HOST or PUSHER_HOST",
        )
    }

    /// The resolved settings, one per line, the secret and master key masked.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let env_file = match &self.env_file {
            Some(p) => p.display().to_string(),
            None => "(none)".to_owned(),
        };
        out.push_str(&format!("{:<12} {env_file}\n", "env_file"));
        let rows: [(&str, Option<&Setting>, bool); 7] = [
            ("app_id", self.app_id.as_ref(), false),
            ("app_key", self.key.as_ref(), false),
            ("app_secret", self.secret.as_ref(), true),
            ("http_url", self.http_url.as_ref(), false),
            ("ws_url", self.ws_url.as_ref(), false),
            ("master_key", self.master_key.as_ref(), true),
            ("profile", Some(&self.profile), false),
        ];
        for (name, setting, secret) in rows {
            match setting {
                Some(s) => {
                    let shown = if secret {
                        mask(&s.value)
                    } else {
                        s.value.clone()
                    };
                    out.push_str(&format!("{name:<12} {shown:<40} ({})\n", s.source));
                }
                None => out.push_str(&format!("{name:<12} (unset)\n")),
            }
        }
        out
    }
}

/// A secret shown as its length only, so `pushcast config` output is safe to paste.
fn mask(secret: &str) -> String {
    format!("******** ({} chars)", secret.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn dotenv(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file
    }

    #[test]
    fn flags_beat_environment_which_beats_dotenv() {
        let file = dotenv(
            "REVERB_APP_ID=from-dotenv\nREVERB_APP_KEY=dotenv-key\nREVERB_APP_SECRET=dotenv-secret\nREVERB_HOST=dotenv.example\n",
        );
        let flags = ConfigFlags {
            app_id: Some("from-flag".into()),
            env_file: Some(file.path().to_path_buf()),
            ..ConfigFlags::default()
        };
        let env = env_of(&[("PUSHCAST_KEY", "env-key"), ("REVERB_APP_ID", "env-id")]);
        let r = resolve(&flags, &env, Path::new("/nonexistent/.env")).unwrap();
        let id = r.app_id.unwrap();
        assert_eq!(id.value, "from-flag");
        assert_eq!(id.source, Source::Flag("--app-id"));
        let key = r.key.unwrap();
        assert_eq!(key.value, "env-key");
        assert_eq!(key.source, Source::Env("PUSHCAST_KEY".into()));
        let secret = r.secret.unwrap();
        assert_eq!(secret.value, "dotenv-secret");
        assert!(matches!(secret.source, Source::DotEnv(_, ref n) if n == "REVERB_APP_SECRET"));
        assert_eq!(r.http_url.unwrap().value, "https://dotenv.example:443");
    }

    #[test]
    fn dotenv_is_read_without_touching_the_process_environment() {
        let file = dotenv(
            "PUSHCAST_TEST_ONLY_IN_DOTENV=1\nPUSHER_APP_KEY=k\nPUSHER_ENCRYPTION_MASTER_KEY=bWFzdGVy\n",
        );
        let flags = ConfigFlags {
            env_file: Some(file.path().to_path_buf()),
            ..ConfigFlags::default()
        };
        let r = resolve(&flags, &|_| None, Path::new("/nonexistent")).unwrap();
        assert_eq!(r.key.unwrap().value, "k");
        assert_eq!(r.master_key.unwrap().value, "bWFzdGVy");
        assert!(std::env::var("PUSHCAST_TEST_ONLY_IN_DOTENV").is_err());
    }

    #[test]
    fn pushcast_names_beat_reverb_which_beat_pusher_unless_laravel_says_pusher() {
        let env = env_of(&[("REVERB_APP_KEY", "reverb"), ("PUSHER_APP_KEY", "pusher")]);
        let r = resolve(&ConfigFlags::default(), &env, Path::new("/nonexistent")).unwrap();
        assert_eq!(r.key.unwrap().value, "reverb");
        assert_eq!(r.profile.value, "reverb");
        let env = env_of(&[
            ("REVERB_APP_KEY", "reverb"),
            ("PUSHER_APP_KEY", "pusher"),
            ("BROADCAST_CONNECTION", "pusher"),
        ]);
        let r = resolve(&ConfigFlags::default(), &env, Path::new("/nonexistent")).unwrap();
        assert_eq!(r.key.unwrap().value, "pusher");
    }

    #[test]
    fn empty_values_count_as_unset() {
        let env = env_of(&[("PUSHCAST_APP_ID", ""), ("PUSHER_APP_ID", "42")]);
        let r = resolve(&ConfigFlags::default(), &env, Path::new("/nonexistent")).unwrap();
        assert_eq!(r.app_id.unwrap().value, "42");
    }

    #[test]
    fn endpoints_from_host_url_and_cluster() {
        // pusher-http-php's rule (pushcast_core::PusherEndpoint): a port alone is http.
        let env = env_of(&[("PUSHCAST_HOST", "h"), ("PUSHCAST_PORT", "443")]);
        let r = resolve(&ConfigFlags::default(), &env, Path::new("/nonexistent")).unwrap();
        assert_eq!(r.http_url.unwrap().value, "http://h:443");
        assert_eq!(r.ws_url.unwrap().value, "ws://h:443");
        let env = env_of(&[("PUSHCAST_HOST", "h"), ("PUSHCAST_SCHEME", "https")]);
        let r = resolve(&ConfigFlags::default(), &env, Path::new("/nonexistent")).unwrap();
        assert_eq!(r.http_url.unwrap().value, "https://h:80");
        let env = env_of(&[("PUSHCAST_HOST", "h")]);
        let r = resolve(&ConfigFlags::default(), &env, Path::new("/nonexistent")).unwrap();
        assert_eq!(r.http_url.unwrap().value, "https://h:443");
        assert_eq!(r.ws_url.unwrap().value, "wss://h:443");
        let env = env_of(&[("PUSHER_APP_CLUSTER", "eu")]);
        let r = resolve(&ConfigFlags::default(), &env, Path::new("/nonexistent")).unwrap();
        assert_eq!(r.http_url.unwrap().value, "https://api-eu.pusher.com:443");
        assert_eq!(r.ws_url.unwrap().value, "wss://ws-eu.pusher.com:443");
        assert_eq!(r.profile.value, "pusher");
        let env = env_of(&[("PUSHCAST_URL", "http://127.0.0.1:6001/")]);
        let r = resolve(&ConfigFlags::default(), &env, Path::new("/nonexistent")).unwrap();
        assert_eq!(r.ws_url.unwrap().value, "ws://127.0.0.1:6001");
        let env = env_of(&[("PUSHCAST_HOST", "h"), ("PUSHCAST_SCHEME", "ftp")]);
        let err = resolve(&ConfigFlags::default(), &env, Path::new("/nonexistent")).unwrap_err();
        assert!(err.message.contains("must be http or https"), "{err}");
    }

    #[test]
    fn missing_values_name_every_way_to_set_them_and_secrets_are_masked() {
        let env = env_of(&[("PUSHCAST_KEY", "k"), ("PUSHCAST_SECRET", "topsecret")]);
        let r = resolve(&ConfigFlags::default(), &env, Path::new("/nonexistent")).unwrap();
        let err = r.app(true).unwrap_err();
        assert!(err.message.contains("PUSHCAST_APP_ID"), "{err}");
        assert!(r.app(false).is_ok());
        let shown = r.describe();
        assert!(!shown.contains("topsecret"), "{shown}");
        assert!(shown.contains("(9 chars)"), "{shown}");
        assert!(shown.contains("environment PUSHCAST_SECRET"), "{shown}");
    }
}
