//! The CLI's one error type and its exit codes. `pushcast_core::Error` is mapped here, once.

use std::fmt;
use std::process::ExitCode;

use pushcast_core::ErrorKind;

/// Exit codes, stable for scripts (documented in `pushcast --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 1: anything else (I/O on a local file, decryption failure, unreadable server answer).
    Failure = 1,
    /// 2: bad command line or bad input (caught before anything touches the network).
    Usage = 2,
    /// 3: missing or unusable configuration.
    Config = 3,
    /// 4: the server refused, could not be reached, or events were not all delivered in time.
    Delivery = 4,
    /// 5: the webhook did not pass verification.
    InvalidWebhook = 5,
    /// 6: the server refused a subscription or the connection (`pushcast tail`).
    Refused = 6,
    /// 7: nothing arrived within `--timeout` (`pushcast tail`).
    Timeout = 7,
}

/// A failure of one command: what to print and how to exit.
#[derive(Debug)]
pub struct CliError {
    /// The exit code family.
    pub exit: Exit,
    /// The message printed after `pushcast: error: `.
    pub message: String,
}

impl CliError {
    /// An error of the given family.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        CliError {
            exit,
            message: message.into(),
        }
    }

    /// Bad input or usage.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// Missing or unusable configuration.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(Exit::Config, message)
    }

    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit as u8)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<pushcast_core::Error> for CliError {
    fn from(error: pushcast_core::Error) -> Self {
        let exit = match error.kind() {
            ErrorKind::Validation => Exit::Usage,
            ErrorKind::Config => Exit::Config,
            ErrorKind::Webhook => Exit::InvalidWebhook,
            ErrorKind::Api
            | ErrorKind::Transport
            | ErrorKind::Timeout
            | ErrorKind::QueueFull
            | ErrorKind::ShutDown => Exit::Delivery,
            _ => Exit::Failure,
        };
        CliError::new(exit, error.to_string())
    }
}

/// Shorthand for results of the CLI.
pub type CliResult<T = ()> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_their_exit_family() {
        let bad_channel: CliError = pushcast_core::Error::NoChannels.into();
        assert_eq!(bad_channel.exit, Exit::Usage);
        let refused: CliError = pushcast_core::Error::Api {
            status: 401,
            message: "bad signature".into(),
        }
        .into();
        assert_eq!(refused.exit, Exit::Delivery);
        assert!(refused.message.contains("401"));
        let webhook: CliError =
            pushcast_core::Error::WebhookRejected(pushcast_core::WebhookRejection::BadSignature)
                .into();
        assert_eq!(webhook.exit, Exit::InvalidWebhook);
    }
}
