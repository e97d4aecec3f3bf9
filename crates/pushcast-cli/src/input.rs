//! Reading data and bodies from arguments, files or stdin.

use std::io::{IsTerminal, Read};
use std::path::Path;

use crate::error::{CliError, CliResult, Exit};

fn read_stdin() -> CliResult<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| CliError::new(Exit::Failure, format!("cannot read stdin: {e}")))?;
    Ok(text)
}

/// Event data: the argument, or stdin for `-` or when no argument is given and stdin is not a
/// terminal. One trailing newline from stdin is removed (`echo` adds it).
pub fn event_data(arg: Option<&str>) -> CliResult<String> {
    match arg {
        Some("-") => read_stdin().map(trim_one_newline),
        Some(data) => Ok(data.to_owned()),
        None if !std::io::stdin().is_terminal() => read_stdin().map(trim_one_newline),
        None => Err(CliError::usage(
            "no event data: pass it as an argument, or `-` (or a pipe) to read stdin",
        )),
    }
}

fn trim_one_newline(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    text
}

/// A body read byte for byte from a file, or stdin for `-` / no path.
pub fn body(path: Option<&Path>) -> CliResult<Vec<u8>> {
    match path {
        Some(p) if p != Path::new("-") => std::fs::read(p)
            .map_err(|e| CliError::new(Exit::Failure, format!("cannot read {}: {e}", p.display()))),
        _ => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| CliError::new(Exit::Failure, format!("cannot read stdin: {e}")))?;
            Ok(bytes)
        }
    }
}

/// A JSON argument, parsed.
pub fn json_arg(text: &str, flag: &str) -> CliResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| CliError::usage(format!("{flag} is not JSON: {e}")))
}
