//! `pushcast-crosscheck`: the Rust half of `scripts/crosscheck`.
//!
//! `generate` writes random cases (golden vectors first) as JSON Lines; the peer programs
//! under tests/crosscheck answer them with the official SDKs; `compare` checks pushcast
//! against every answer and prints, last, `crosscheck cases=N mismatches=M`.

mod compare;
mod generate;
mod oracle;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};
use rand::SeedableRng;
use serde_json::Value;

use compare::{compare, our_output, Outcome};

#[derive(Parser)]
#[command(about = "Cross-check pushcast-core against the official Pusher SDKs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the golden vectors and `cases` random cases as JSON Lines.
    Generate {
        /// How many random cases.
        #[arg(long, default_value_t = 1500)]
        cases: usize,
        /// Seed of the generator (printed, so a run can be replayed).
        #[arg(long)]
        seed: u64,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Compare pushcast with each peer's answers.
    Compare {
        /// The cases file `generate` wrote.
        #[arg(long)]
        cases: PathBuf,
        /// A peer's answers, as NAME=FILE (repeatable).
        #[arg(long = "peer", value_parser = parse_peer)]
        peers: Vec<(String, PathBuf)>,
        /// How many disagreements to print in full.
        #[arg(long, default_value_t = 20)]
        show: usize,
    },
}

fn parse_peer(s: &str) -> Result<(String, PathBuf), String> {
    s.split_once('=')
        .map(|(n, p)| (n.to_owned(), PathBuf::from(p)))
        .ok_or_else(|| format!("expected NAME=FILE, got {s:?}"))
}

fn read_lines(path: &PathBuf) -> Result<Vec<Value>> {
    fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}:{}", path.display(), i + 1))
        })
        .collect()
}

fn generate(count: usize, seed: u64, out: &PathBuf) -> Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let now_ms = pushcast_core::unix_now() * 1000;
    let mut all: Vec<Value> = generate::golden_cases()
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    all.extend(generate::cases(&mut rng, count, now_ms)?);
    let mut file = BufWriter::new(fs::File::create(out)?);
    for (id, mut case) in all.into_iter().enumerate() {
        if let Value::Object(map) = &mut case {
            map.insert("id".into(), Value::from(id));
        }
        writeln!(file, "{case}")?;
    }
    file.flush()?;
    Ok(())
}

#[derive(Default)]
struct Tally {
    agree: usize,
    disagree: usize,
    skipped: BTreeMap<&'static str, usize>,
}

fn run_compare(cases_path: &PathBuf, peers: &[(String, PathBuf)], show: usize) -> Result<usize> {
    if peers.is_empty() {
        bail!("no --peer given: a cross-check with no peer compares nothing");
    }
    let cases = read_lines(cases_path)?;
    let mut bad_cases = BTreeSet::new();
    let mut shown = 0;
    let mut report = |id: u64, who: &str, what: String| {
        bad_cases.insert(id);
        if shown < show {
            println!("MISMATCH case {id} ({who}): {what}");
            shown += 1;
        }
    };

    // Golden vectors: pushcast itself against the published values.
    let golden = generate::golden_cases();
    for (i, (_, expected)) in golden.iter().enumerate() {
        let ours = our_output(&cases[i])?;
        for (k, v) in expected.as_object().into_iter().flatten() {
            if ours.get(k) != Some(v) {
                report(
                    i as u64,
                    "golden",
                    format!("{k}: ours {:?} expected {v}", ours.get(k)),
                );
            }
        }
    }
    println!(
        "crosscheck golden vectors={} checked against pushcast",
        golden.len()
    );

    for (name, path) in peers {
        let answers: HashMap<u64, Value> = read_lines(path)?
            .into_iter()
            .filter_map(|v| v.get("id").and_then(Value::as_u64).map(|id| (id, v)))
            .collect();
        let mut tally = Tally::default();
        for case in &cases {
            let id = case
                .get("id")
                .and_then(Value::as_u64)
                .ok_or_else(|| anyhow!("case without id"))?;
            let Some(theirs) = answers.get(&id) else {
                tally.disagree += 1;
                report(id, name, "no answer from the peer".into());
                continue;
            };
            match compare(case, name, theirs) {
                Ok(Outcome::Agree) => tally.agree += 1,
                Ok(Outcome::Skipped(why)) => *tally.skipped.entry(why).or_default() += 1,
                Ok(Outcome::Disagree(what)) => {
                    tally.disagree += 1;
                    report(id, name, what);
                }
                Err(e) => {
                    tally.disagree += 1;
                    report(id, name, format!("pushcast refused the case: {e:#}"));
                }
            }
        }
        let skipped: usize = tally.skipped.values().sum();
        println!(
            "crosscheck peer={name} compared={} agree={} disagree={} skipped={skipped}",
            tally.agree + tally.disagree,
            tally.agree,
            tally.disagree
        );
        for (why, n) in &tally.skipped {
            println!("  skipped {n}: {why}");
        }
    }
    let mismatches = bad_cases.len();
    println!("crosscheck cases={} mismatches={mismatches}", cases.len());
    Ok(mismatches)
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Generate { cases, seed, out } => generate(cases, seed, &out),
        Command::Compare { cases, peers, show } => {
            let mismatches = run_compare(&cases, &peers, show)?;
            if mismatches > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}
