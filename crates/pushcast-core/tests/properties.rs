//! Property tests: the validators accept exactly the allowed language and limits (checked
//! against a regex oracle, an independent implementation of the same rules), serialization
//! round-trips, and no input of any shape makes anything panic.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use pushcast_core::crypto::{decrypt_data, encrypt_data, ChannelKey};
use pushcast_core::response::{
    parse_batch_response, parse_channel_info_response, parse_channels_response,
    parse_trigger_response, parse_users_response,
};
use pushcast_core::validate::{
    validate_channel, validate_event_name, validate_socket_id, validate_user_id,
};
use pushcast_core::{
    App, Credentials, Error, Event, Freshness, MasterKey, NameRule, ServerProfile,
};
use regex::Regex;

const PUSHER_CHARS: &str = "-a-zA-Z0-9_=@,.;";

fn app(profile: ServerProfile) -> App {
    App::new(Credentials::new("12345", "key", "secret").unwrap())
        .with_profile(profile)
        .with_master_key(MasterKey::from_bytes(&[9u8; 32]).unwrap())
}

/// The channel rule as a regex: the charset, or `#server-to-user-` + charset; then a length.
fn channel_oracle(profile: &ServerProfile) -> impl Fn(&str) -> bool {
    let chars = match profile.channel_charset {
        pushcast_core::ChannelCharset::Pusher => PUSHER_CHARS.to_owned(),
        pushcast_core::ChannelCharset::PusherWithColon => format!("{PUSHER_CHARS}:"),
    };
    let re = Regex::new(&format!("^(#server-to-user-)?[{chars}]+$")).unwrap();
    let max = profile.max_channel_name_len;
    move |s: &str| re.is_match(s) && max.is_none_or(|m| s.len() <= m)
}

fn profiles() -> impl Strategy<Value = ServerProfile> {
    prop_oneof![
        Just(ServerProfile::strict()),
        Just(ServerProfile::pusher()),
        Just(ServerProfile::reverb()),
        Just(ServerProfile::sockudo()),
    ]
}

/// Strings that are mostly near the language: allowed characters, a few forbidden ones,
/// the `#server-to-user-` prefix, lengths around the limits.
fn channel_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-a-zA-Z0-9_=@,.;]{1,220}",
        "[-a-zA-Z0-9_=@,.;:]{0,120}",
        "#server-to-user-[-a-zA-Z0-9_=@,.;:]{0,100}",
        "[-a-zA-Z0-9_=@,.; #:/é\u{0}\n]{0,40}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn channel_validation_matches_the_oracle(name in channel_like(), profile in profiles()) {
        let oracle = channel_oracle(&profile);
        let ours = validate_channel(&name, &profile);
        prop_assert_eq!(ours.is_ok(), oracle(&name), "{:?} -> {:?}", name, ours);
        if let Err(e) = ours {
            let is_channel_error = matches!(e, Error::InvalidChannelName { .. });
            prop_assert!(is_channel_error);
        }
    }

    #[test]
    fn forbidden_character_is_located(prefix in "[a-z]{0,20}", bad in "[ /#:é\t\"]", suffix in "[a-z]{0,20}") {
        let name = format!("{prefix}{bad}{suffix}");
        // ':' is allowed by sockudo but not by the strict profile; '#' mid-name is always a charset error.
        match validate_channel(&name, &ServerProfile::strict()) {
            Err(Error::InvalidChannelName { rule: NameRule::ForbiddenCharacter { character, offset, .. }, .. }) => {
                prop_assert_eq!(offset, prefix.len());
                prop_assert_eq!(Some(character), bad.chars().next());
            }
            Err(Error::InvalidChannelName { rule: NameRule::ReservedHashPrefix, .. }) => {
                prop_assert!(prefix.is_empty() && bad == "#");
            }
            other => prop_assert!(false, "{:?} gave {:?}", name, other),
        }
    }

    #[test]
    fn socket_id_validation_matches_the_oracle(s in prop_oneof!["[0-9]{0,21}\\.[0-9]{0,21}", "[0-9.a+-]{0,10}", any::<String>()]) {
        let re = Regex::new(r"^[0-9]+\.[0-9]+$").unwrap();
        let fits_u64 = |s: &str| s.split('.').all(|p| p.parse::<u64>().is_ok());
        let expected = re.is_match(&s) && fits_u64(&s);
        prop_assert_eq!(validate_socket_id(&s).is_ok(), expected, "{:?}", s);
    }

    #[test]
    fn event_name_validation_matches_the_oracle(name in prop_oneof!["[ -~]{0,210}", "pusher(_internal)?:[a-z]{0,5}", any::<String>()], profile in profiles()) {
        let expected = !name.is_empty()
            && !name.starts_with("pusher:")
            && !name.starts_with("pusher_internal:")
            && profile.max_event_name_len.is_none_or(|m| name.len() <= m);
        prop_assert_eq!(validate_event_name(&name, &profile).is_ok(), expected);
    }

    #[test]
    fn user_id_validation_matches_the_oracle(id in prop_oneof!["[-a-zA-Z0-9_=@,.;]{0,100}", any::<String>()], profile in profiles()) {
        let as_channel = format!("#server-to-user-{id}");
        let expected = channel_oracle(&profile)(&as_channel);
        prop_assert_eq!(validate_user_id(&id, &profile).is_ok(), expected, "{:?}", id);
        // Whatever user id is accepted makes a valid send-to-user channel.
        if validate_user_id(&id, &profile).is_ok() {
            prop_assert!(validate_channel(&as_channel, &profile).is_ok());
        }
    }

    #[test]
    fn trigger_body_round_trips(
        channels in prop::collection::btree_set("[-a-zA-Z0-9_=@,.;]{1,40}", 1..5),
        name in "[ -~]{1,50}",
        data in any::<String>(),
        socket in prop::option::of("[0-9]{1,10}\\.[0-9]{1,10}"),
    ) {
        prop_assume!(!name.starts_with("pusher"));
        prop_assume!(data.len() <= 10_000);
        let channels: Vec<String> = channels.into_iter().filter(|c| !c.starts_with("private-encrypted-")).collect();
        prop_assume!(!channels.is_empty());
        let mut event = Event::new(channels.clone(), name.clone(), data.clone());
        event.socket_id = socket.clone();
        let request = app(ServerProfile::sockudo()).trigger_request(event, 1).unwrap();
        let body: serde_json::Value = serde_json::from_slice(request.body.as_ref().unwrap()).unwrap();
        prop_assert_eq!(body["name"].as_str(), Some(name.as_str()));
        prop_assert_eq!(body["data"].as_str(), Some(data.as_str()));
        if channels.len() == 1 {
            prop_assert_eq!(body["channel"].as_str(), Some(channels[0].as_str()));
        } else {
            let got: Vec<String> = serde_json::from_value(body["channels"].clone()).unwrap();
            prop_assert_eq!(got, channels);
        }
        prop_assert_eq!(body["socket_id"].as_str(), socket.as_deref());
        prop_assert_eq!(request.query.matches("body_md5=").count(), 1);
    }

    #[test]
    fn batch_body_round_trips(items in prop::collection::vec(("[a-z]{1,10}", "[a-zA-Z]{1,10}", any::<String>()), 1..10)) {
        let events: Vec<Event> = items.iter().map(|(c, n, d)| Event::new([c.clone()], n.clone(), d.clone())).collect();
        prop_assume!(items.iter().all(|(_, _, d)| d.len() <= 100 * 1024));
        let request = app(ServerProfile::sockudo()).batch_request(events, 1).unwrap();
        let body: serde_json::Value = serde_json::from_slice(request.body.as_ref().unwrap()).unwrap();
        let batch = body["batch"].as_array().unwrap();
        prop_assert_eq!(batch.len(), items.len());
        for (item, (c, n, d)) in batch.iter().zip(&items) {
            prop_assert_eq!(item["channel"].as_str(), Some(c.as_str()));
            prop_assert_eq!(item["name"].as_str(), Some(n.as_str()));
            prop_assert_eq!(item["data"].as_str(), Some(d.as_str()));
        }
    }

    #[test]
    fn encryption_round_trips_per_channel(plain in any::<Vec<u8>>(), channel in "private-encrypted-[a-z0-9]{1,20}") {
        let master = MasterKey::from_bytes(&[3u8; 32]).unwrap();
        let key = ChannelKey::derive(&master, &channel);
        let sealed = encrypt_data(&key, &plain).unwrap();
        prop_assert_eq!(decrypt_data(&key, &sealed).unwrap(), plain);
        let other = ChannelKey::derive(&master, &format!("{channel}x"));
        prop_assert!(decrypt_data(&other, &sealed).is_err());
    }

    #[test]
    fn presence_auth_signs_exactly_the_channel_data_it_returns(user_id in "[^\u{0}]{1,20}", info in any::<Option<String>>()) {
        let a = app(ServerProfile::strict());
        let info = info.map(|i| serde_json::json!({"name": i}));
        let auth = a.authorize_presence_channel("1.2", "presence-room", &user_id, info.as_ref()).unwrap();
        let data = auth.channel_data.clone().unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&data).unwrap();
        prop_assert_eq!(parsed["user_id"].as_str(), Some(user_id.as_str()));
        let again = a.authorize_channel("1.2", "presence-room", Some(&data)).unwrap();
        prop_assert_eq!(again.auth, auth.auth);
    }

    #[test]
    fn no_input_panics(
        s1 in any::<String>(), s2 in any::<String>(), s3 in any::<String>(),
        bytes in any::<Vec<u8>>(), status in any::<u16>(), now in any::<u64>(), age in any::<u64>(),
    ) {
        let a = app(ServerProfile::strict());
        let _ = a.authorize_channel(&s1, &s2, Some(&s3));
        let _ = a.authorize_channel(&s1, &s2, None);
        let _ = a.authorize_presence_channel(&s1, &s2, &s3, Some(&serde_json::json!(s3)));
        let _ = a.authenticate_user(&s1, &s2);
        let _ = a.trigger_request(Event::new([s1.clone(), s2.clone()], s3.clone(), s1.clone()).excluding(s2.clone()).with_info(s3.clone()), now);
        let _ = a.channels_request(Some(&s1), Some(&s2), now);
        let _ = a.channel_info_request(&s1, Some(&s2), now);
        let _ = a.presence_users_request(&s1, now);
        let _ = a.terminate_user_connections_request(&s1, now);
        let _ = a.send_to_user_event(&s1, s2.clone(), s3.clone());
        let headers = [("X-Pusher-Key", s1.as_str()), ("X-Pusher-Signature", s2.as_str())];
        let _ = a.verify_webhook(&headers, &bytes, Some(Freshness { now_ms: now, max_age_ms: age }));
        let _ = a.verify_webhook(&[("X-Pusher-Key", "key"), ("X-Pusher-Signature", s2.as_str())], &bytes, None);
        let _ = parse_trigger_response(status, &bytes);
        let _ = parse_batch_response(status, &bytes);
        let _ = parse_channels_response(status, &bytes);
        let _ = parse_channel_info_response(status, &bytes);
        let _ = parse_users_response(status, &bytes);
        let _ = MasterKey::from_base64(&s1);
        let _ = decrypt_data(&a.channel_key("private-encrypted-x").unwrap(), &s1);
        let _ = s1.parse::<ServerProfile>();
    }

    #[test]
    fn webhook_json_shapes_do_not_panic(body in r#"\{"time_ms":-?[0-9]{0,25}(\.[0-9])?,"events":\[(\{"name":"[a-z_]{0,10}"(,"channel":"private-encrypted-[a-z]{1,3}","data":"[^"\\]{0,20}")?\})?\]\}"#) {
        let a = app(ServerProfile::strict());
        let sig = a.credentials().sign_hex(&[body.as_bytes()]);
        let _ = a.verify_webhook(&[("X-Pusher-Key", "key"), ("X-Pusher-Signature", &sig)], body.as_bytes(), None);
    }
}
