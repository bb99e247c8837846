//! The stable-toolchain driver shared by the fuzz targets: without libFuzzer (`cfg(fuzzing)` is
//! set only by `cargo fuzz`), each target is a plain program that runs its check on every file
//! of the given files or folders (the seed corpus and the fixtures by default), then on a fixed
//! number of deterministic mutations of them (bit flips, truncations, splices, inserted
//! separators). A panic names the input that caused it and exits non-zero.
//!
//! `cargo run --release --bin parsers -- [--mutations N] [FILE_OR_DIR…]`

use std::path::{Path, PathBuf};

/// Runs `check` over the inputs named on the command line, or over `defaults` (relative to this
/// crate) when none is.
pub fn main(defaults: &[&str], check: fn(&[u8])) {
    let mut mutations = 20_000usize;
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--mutations" {
            mutations = args
                .next()
                .and_then(|n| n.parse().ok())
                .expect("--mutations takes a number");
        } else {
            paths.push(a.into());
        }
    }
    if paths.is_empty() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        paths = defaults.iter().map(|d| here.join(d)).collect();
    }
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for p in &paths {
        collect(p, &mut inputs);
    }
    assert!(!inputs.is_empty(), "no input found in {paths:?}");
    for (name, data) in &inputs {
        run_one(name, data, check);
    }
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for i in 0..mutations {
        let (_, base) = &inputs[rng.below(inputs.len())];
        let (_, other) = &inputs[rng.below(inputs.len())];
        let data = mutate(&mut rng, base, other);
        run_one(&format!("mutation #{i}"), &data, check);
    }
    println!(
        "{} inputs and {mutations} mutations checked without a failure",
        inputs.len()
    );
}

fn collect(p: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            collect(&e, out);
        }
    } else if let Ok(data) = std::fs::read(p) {
        out.push((p.display().to_string(), data));
    }
}

fn run_one(name: &str, data: &[u8], check: fn(&[u8])) {
    if std::panic::catch_unwind(|| check(data)).is_err() {
        let dump = std::env::temp_dir().join("fuzz-replay-failure.bin");
        let _ = std::fs::write(&dump, data);
        eprintln!(
            "FAILED on {name} ({} bytes, saved to {})",
            data.len(),
            dump.display()
        );
        std::process::exit(1);
    }
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to the formats and the CLI.
const INTERESTING: &[u8] = b"\n\r\0\t ;\\<#:,=-_/[]{}\"'0123456789\xff\xfe\xc3";

fn mutate(rng: &mut XorShift, base: &[u8], other: &[u8]) -> Vec<u8> {
    let mut d = base.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(6) {
            0 if !d.is_empty() => {
                let i = rng.below(d.len());
                d[i] ^= 1 << rng.below(8);
            }
            1 if !d.is_empty() => d.truncate(rng.below(d.len())),
            2 => {
                let i = rng.below(d.len() + 1);
                d.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
            }
            3 if !other.is_empty() => {
                let cut = rng.below(d.len() + 1);
                let from = rng.below(other.len());
                d.truncate(cut);
                d.extend_from_slice(&other[from..]);
            }
            4 if !d.is_empty() => {
                let i = rng.below(d.len());
                let len = rng.below(d.len() - i + 1);
                let chunk = d[i..i + len].to_vec();
                let at = rng.below(d.len() + 1);
                d.splice(at..at, chunk);
            }
            _ if !d.is_empty() => {
                let i = rng.below(d.len());
                d.remove(i);
            }
            _ => d.push(INTERESTING[rng.below(INTERESTING.len())]),
        }
    }
    d
}
