//! Criterion benchmarks of the core's hot paths.
//!
//! Targets (issue 2): building and signing a trigger with a 1 KB payload ≤ 3 µs; private
//! channel auth ≥ 1M/s on one core. Run: `cargo bench -p pushcast-core --bench core`.
// Benchmarks are test harness code: a failed unwrap is a broken benchmark, reported at once.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use pushcast_core::{body_md5, App, Credentials, Event, ServerProfile};

fn app() -> App {
    App::new(Credentials::new("12345", "app-key", "app-secret").unwrap())
        .with_profile(ServerProfile::sockudo())
}

/// A 1 KB JSON payload shaped like a Laravel broadcast (`json_encode` of an event's public
/// properties).
fn payload_1kb() -> String {
    let mut items = Vec::new();
    let mut i = 0;
    loop {
        let s = format!(
            "{{\"id\":{i},\"status\":\"shipped\",\"note\":\"Parcel left the depot / 10:0{}\"}}",
            i % 10
        );
        let next_len: usize =
            items.iter().map(|s: &String| s.len() + 1).sum::<usize>() + s.len() + 40;
        if next_len > 1024 {
            break;
        }
        items.push(s);
        i += 1;
    }
    let mut out = format!(
        "{{\"order\":{{\"items\":[{}]}},\"socket\":null",
        items.join(",")
    );
    while out.len() < 1023 {
        out.push(' ');
    }
    out.push('}');
    out
}

fn sign_trigger(c: &mut Criterion) {
    let app = app();
    let data = payload_1kb();
    assert_eq!(data.len(), 1024);
    let mut group = c.benchmark_group("trigger");
    group.throughput(Throughput::Elements(1));
    group.bench_function("build_and_sign_1kb", |b| {
        b.iter(|| {
            let event = Event::new(
                ["private-orders.1"],
                "App\\Events\\OrderShipped",
                data.as_str(),
            );
            black_box(
                app.trigger_request(black_box(event), 1_700_000_000)
                    .unwrap(),
            )
        })
    });
    // Where the time goes: the body's MD5 (mandatory in the protocol) and JSON escaping.
    let wire = app
        .prepare(Event::new(
            ["private-orders.1"],
            "App\\Events\\OrderShipped",
            data.as_str(),
        ))
        .unwrap()
        .remove(0);
    let body = wire.trigger_body().unwrap();
    group.bench_function("part_validate", |b| {
        b.iter(|| {
            app.prepare(Event::new(
                ["private-orders.1"],
                "App\\Events\\OrderShipped",
                data.as_str(),
            ))
            .unwrap()
        })
    });
    group.bench_function("part_serialize_body", |b| {
        b.iter(|| black_box(&wire).trigger_body().unwrap())
    });
    group.bench_function("part_body_md5", |b| b.iter(|| body_md5(black_box(&body))));
    group.bench_function("part_sign_prepared", |b| {
        b.iter(|| app.signed_trigger(black_box(&wire), 1_700_000_000).unwrap())
    });
    group.finish();
}

fn channel_auth(c: &mut Criterion) {
    let app = app();
    let mut group = c.benchmark_group("auth");
    group.throughput(Throughput::Elements(1));
    group.bench_function("private_channel", |b| {
        b.iter(|| {
            black_box(
                app.authorize_channel(
                    black_box("123456.7891011"),
                    black_box("private-orders.42"),
                    None,
                )
                .unwrap(),
            )
        })
    });
    group.bench_function("presence_channel", |b| {
        let info = serde_json::json!({"name": "Ada Lovelace", "avatar": "/a/1.png"});
        b.iter(|| {
            black_box(
                app.authorize_presence_channel(
                    "123456.7891011",
                    "presence-chat.7",
                    "42",
                    Some(&info),
                )
                .unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, sign_trigger, channel_auth);
criterion_main!(benches);
