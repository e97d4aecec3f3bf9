//! Channel authorization (private, presence, encrypted) and user sign-in, checked against an
//! independent HMAC-SHA256 and the derived shared secret.

#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use pushcast_fuzz::checks::{self, AuthCase};
use pushcast_fuzz::gen;

fn case(u: &mut Unstructured<'_>) -> Result<AuthCase> {
    Ok(AuthCase {
        profile: u.arbitrary()?,
        key: gen::key_like(u)?,
        secret: gen::secret_like(u)?,
        socket_id: gen::socket_like(u)?,
        channel: gen::name_like(u)?,
        channel_data: if u.ratio(1u8, 2)? {
            None
        } else {
            Some(gen::user_json(u, "user_id")?)
        },
        user_id: if u.ratio(1u8, 10)? {
            String::new()
        } else {
            gen::name_like(u)?
        },
        user_info: if u.ratio(1u8, 3)? {
            None
        } else {
            Some(gen::json_value(u, 3)?)
        },
        user_data: gen::user_json(u, "id")?,
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(case) = case(&mut Unstructured::new(data)) {
        checks::auth(&case);
    }
});
