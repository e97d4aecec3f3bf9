//! `pushcast channels` and `pushcast users`: the HTTP API's queries, through the client.

use serde_json::json;

use crate::cli::{ChannelsArgs, UsersArgs};
use crate::client::build;
use crate::config::Resolved;
use crate::error::CliResult;

/// Prints `{"channels": {name: {attributes}}}`.
pub fn channels(config: &Resolved, args: &ChannelsArgs) -> CliResult {
    let client = build(config)?;
    let answer = client.channels(args.prefix.as_deref(), args.info.as_deref())?;
    println!("{}", json!({ "channels": answer.channels }));
    Ok(())
}

/// Prints `{"users": [{"id": ..}, ..]}`, as the server answers.
pub fn users(config: &Resolved, args: &UsersArgs) -> CliResult {
    let client = build(config)?;
    let ids = client.presence_users(&args.channel)?;
    let users: Vec<_> = ids.into_iter().map(|id| json!({ "id": id })).collect();
    println!("{}", json!({ "users": users }));
    Ok(())
}
