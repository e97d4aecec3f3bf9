//! `pushcast auth`: the JSON an auth endpoint answers, signed locally by the core.

use pushcast_core::validate::ChannelKind;
use serde_json::Value;

use crate::cli::AuthCommand;
use crate::config::Resolved;
use crate::error::{CliError, CliResult};
use crate::input::json_arg;

/// Prints the auth JSON for the subcommand.
pub fn run(config: &Resolved, command: &AuthCommand) -> CliResult {
    let app = config.app(false)?;
    let json = match command {
        AuthCommand::Private { channel, socket_id } => {
            match ChannelKind::of(channel) {
                ChannelKind::Private | ChannelKind::PrivateEncrypted => {}
                ChannelKind::Presence => {
                    return Err(CliError::usage(format!(
                        "{channel:?} is a presence channel: use `pushcast auth presence`"
                    )))
                }
                _ => {
                    return Err(CliError::usage(format!(
                        "{channel:?} is public: only private-, private-encrypted- and presence- channels need auth"
                    )))
                }
            }
            app.authorize_channel(socket_id, channel, None)?.to_json()
        }
        AuthCommand::Presence {
            channel,
            socket_id,
            user_id,
            user_info,
        } => {
            if ChannelKind::of(channel) != ChannelKind::Presence {
                return Err(CliError::usage(format!(
                    "{channel:?} is not a presence- channel"
                )));
            }
            let info = user_info
                .as_deref()
                .map(|t| json_arg(t, "--user-info"))
                .transpose()?;
            app.authorize_presence_channel(socket_id, channel, user_id, info.as_ref())?
                .to_json()
        }
        AuthCommand::User {
            socket_id,
            user_id,
            user_info,
            user_data,
        } => match (user_data, user_id) {
            (Some(raw), _) => app.authenticate_user(socket_id, raw)?.to_json(),
            (None, Some(id)) => {
                let mut data = match user_info.as_deref() {
                    Some(text) => match json_arg(text, "--user-info")? {
                        Value::Object(map) => map,
                        _ => return Err(CliError::usage("--user-info must be a JSON object")),
                    },
                    None => serde_json::Map::new(),
                };
                data.insert("id".into(), Value::String(id.clone()));
                app.authenticate_user_value(socket_id, &Value::Object(data))?
                    .to_json()
            }
            (None, None) => return Err(CliError::usage("pass --user-id or --user-data")),
        },
    };
    println!("{json}");
    Ok(())
}
