//! Webhook parsing and verification.
//!
//! The first byte picks the mode:
//! * `0x00..=0x7f`, signed: bytes 1..5 are tamper position (2), tamper xor, header-name case;
//!   the rest is the body, signed with the secret. A signed body verifies, a tampered byte or
//!   signature fails; bit 0x10 of the first byte adds a freshness window. Raw, so that seeds
//!   are plain JSON bodies and mutations stay close to them.
//! * `0x80..=0xbf`, raw: arbitrary secret, headers and body; the signature check answers
//!   exactly what the rules say, and never panics.
//! * `0xc0..=0xff`, structured: a webhook built field by field (encrypted client events
//!   included) comes back field by field.

#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use pushcast_fuzz::checks::{self, SignedWebhookCase, StructuredWebhookCase, WebhookEventCase};
use pushcast_fuzz::gen;

fn header(u: &mut Unstructured<'_>) -> Result<(String, String)> {
    let name = match u.int_in_range(0u8..=4)? {
        0 => "X-Pusher-Key".to_owned(),
        1 => "x-pusher-signature".to_owned(),
        2 => "X-PUSHER-SIGNATURE".to_owned(),
        _ => u.arbitrary()?,
    };
    let value = match u.int_in_range(0u8..=3)? {
        0 => checks::KEY.to_owned(),
        1 => {
            let raw: [u8; 32] = u.arbitrary()?;
            hex::encode(raw)
        }
        _ => u.arbitrary()?,
    };
    Ok((name, value))
}

fn raw(u: &mut Unstructured<'_>) -> Result<()> {
    let secret = gen::secret_like(u)?;
    let n = u.int_in_range(0..=4)?;
    let mut headers = (0..n).map(|_| header(u)).collect::<Result<Vec<_>>>()?;
    let body: Vec<u8> = u.arbitrary()?;
    if u.ratio(1u8, 2)? {
        // A correct signature somewhere in the list, so the body is read too.
        let at = u.int_in_range(0..=headers.len())?;
        let signature = checks::hmac_hex(secret.as_bytes(), &body);
        headers.insert(at, ("X-Pusher-Signature".to_owned(), signature));
        headers.insert(at, ("X-Pusher-Key".to_owned(), checks::KEY.to_owned()));
    }
    checks::webhook_raw(&secret, &headers, &body);
    Ok(())
}

fn opt(u: &mut Unstructured<'_>) -> Result<Option<String>> {
    Ok(if u.ratio(1u8, 2)? {
        Some(gen::name_like(u)?)
    } else {
        None
    })
}

fn structured(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(0..=4)?;
    let mut events = Vec::with_capacity(n);
    for _ in 0..n {
        let extra_count = u.int_in_range(0..=2)?;
        events.push(WebhookEventCase {
            name: gen::name_like(u)?,
            channel: opt(u)?,
            event: opt(u)?,
            data: if u.ratio(2u8, 3)? {
                Some(gen::data_like(u)?)
            } else {
                None
            },
            socket_id: opt(u)?,
            user_id: opt(u)?,
            extra: (0..extra_count)
                .map(|_| Ok((u.arbitrary()?, u.arbitrary()?)))
                .collect::<Result<_>>()?,
            encrypt: u.ratio(1u8, 3)?,
        });
    }
    let case = StructuredWebhookCase {
        time_ms: u.arbitrary()?,
        events,
        freshness: if u.ratio(1u8, 2)? {
            Some((u.int_in_range(0..=600_000)?, u.int_in_range(0..=300_000)?))
        } else {
            None
        },
    };
    checks::webhook_structured(&case);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode < 0x80 {
        if rest.len() < 4 {
            return;
        }
        let (head, body) = rest.split_at(4);
        checks::webhook_signed(&SignedWebhookCase {
            secret: checks::SECRET.to_owned(),
            body: body.to_vec(),
            tamper_at: usize::from(u16::from_le_bytes([head[0], head[1]])),
            tamper_xor: head[2],
            uppercase: mode & 1 == 1,
            header_case: u32::from(head[3]) * 0x0101_0101,
            freshness: (mode & 0x10 != 0).then(|| (u64::from(head[2]) * 4_000, 300_000)),
        });
    } else if mode < 0xc0 {
        let _ = raw(&mut Unstructured::new(rest));
    } else {
        let _ = structured(&mut Unstructured::new(rest));
    }
});
