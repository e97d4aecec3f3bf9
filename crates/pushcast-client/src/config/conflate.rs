//! Conflation rules as configured, and their checks (what conflation does with them is
//! `crate::conflate`).

use std::time::Duration;

use pushcast_core::{Error, Result};

/// One conflation rule. An event matches when its name matches `event` and its channel
/// matches `channel` (each a glob: `*` any run of characters, `?` one character; `None`
/// matches everything, but a rule needs at least one of the two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflateRule {
    /// Glob over event names, e.g. `RoomsUpdated` or `App\\Events\\*Updated`.
    pub event: Option<String>,
    /// Glob over channel names, e.g. `private-dashboard.*`.
    pub channel: Option<String>,
    /// A top-level field of the JSON payload whose value is part of the key (e.g. `room_id`);
    /// `None`: every matching event on a channel shares one key.
    pub key: Option<String>,
    /// How long a run of replacements may last, from its first event.
    pub window: Duration,
}

impl ConflateRule {
    /// A rule for events named like `event` on any channel, without a payload key.
    pub fn for_event(event: impl Into<String>, window: Duration) -> Self {
        ConflateRule {
            event: Some(event.into()),
            channel: None,
            key: None,
            window,
        }
    }

    /// The same rule, keyed by a payload field as well.
    pub fn keyed_by(mut self, field: impl Into<String>) -> Self {
        self.key = Some(field.into());
        self
    }
}

pub(crate) fn validate(rules: &[ConflateRule]) -> Result<()> {
    for (i, rule) in rules.iter().enumerate() {
        let bad = |reason: String| {
            Err(Error::InvalidConfig {
                field: "conflate",
                reason: format!("rule {i}: {reason}"),
            })
        };
        if rule.event.is_none() && rule.channel.is_none() {
            return bad("needs an event or a channel pattern".into());
        }
        if rule.event.as_deref() == Some("") || rule.channel.as_deref() == Some("") {
            return bad("an empty pattern matches nothing".into());
        }
        if rule.key.as_deref() == Some("") {
            return bad("the key field name is empty".into());
        }
        if rule.window.is_zero() {
            return bad("the window must be more than zero".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_checked() {
        let ok = ConflateRule::for_event("E", Duration::from_secs(1)).keyed_by("id");
        assert!(validate(std::slice::from_ref(&ok)).is_ok());
        for bad in [
            ConflateRule {
                event: None,
                ..ok.clone()
            },
            ConflateRule {
                window: Duration::ZERO,
                ..ok.clone()
            },
            ConflateRule {
                key: Some(String::new()),
                ..ok.clone()
            },
        ] {
            assert!(validate(&[bad]).is_err());
        }
    }
}
