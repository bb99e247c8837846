//! The model against real HAProxy's recorded capture: every command of each version's capture
//! run through a model seeded from the same recordings, in recorded order, its clock following
//! the capture's timestamps, each answer compared with what HAProxy answered (volatile parts
//! masked, `haproxy_emulator::differential`). Every difference is either fixed or listed with
//! its reason in `fixtures/model-exceptions.txt`.

mod common;

use std::collections::BTreeMap;

use haproxy_emulator::Version;
use haproxy_emulator::differential::run_capture;

/// `(folder, seq)` → reason, from the exceptions file.
fn exceptions() -> BTreeMap<(String, u32), String> {
    let path = common::fixtures_root().join("model-exceptions.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let folder = parts.next().unwrap_or_default().to_owned();
            let seq = parts
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("{}: bad line `{l}`", path.display()));
            let reason = parts.next().unwrap_or_default().trim().to_owned();
            assert!(
                !reason.is_empty(),
                "{}: `{l}` gives no reason",
                path.display()
            );
            ((folder, seq), reason)
        })
        .collect()
}

#[test]
fn the_model_answers_the_recorded_capture_like_haproxy() {
    let mut explained = exceptions();
    let mut failures = Vec::new();
    let mut total = (0, 0, 0);
    // The configuration every capture ran (each fixture's `# config:` header names it).
    let config = std::fs::read_to_string(common::fixtures_root().join("haproxy.cfg")).unwrap();
    for dir in common::version_dirs() {
        let folder = dir.file_name().unwrap().to_string_lossy().into_owned();
        let fixtures = common::load(&dir);
        let version = Version::parse(&fixtures[0].haproxy).expect("version");
        let report = run_capture(version, &fixtures, &config).unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "{folder}: {} commands compared, {} differ, {} not modelled: {}",
            report.compared,
            report.differences.len(),
            report.not_modelled.len(),
            report.not_modelled.join(", ")
        );
        total.0 += report.compared;
        total.1 += report.differences.len();
        assert!(
            report.compared >= 150,
            "{folder}: only {} recorded commands were executed by the model",
            report.compared
        );
        for d in &report.differences {
            if explained.remove(&(folder.clone(), d.seq)).is_some() {
                total.2 += 1;
                continue;
            }
            failures.push(format!(
                "{folder} {:04} `{}`\n--- HAProxy\n{}--- model\n{}",
                d.seq, d.command, d.haproxy, d.model
            ));
        }
    }
    eprintln!(
        "all versions: {} compared, {} differ, {} of them explained",
        total.0, total.1, total.2
    );
    assert!(
        failures.is_empty(),
        "{}\n{} unexplained differences (fix the model, or explain them in fixtures/model-exceptions.txt)",
        failures.join("\n"),
        failures.len()
    );
    assert!(
        explained.is_empty(),
        "fixtures/model-exceptions.txt explains differences that no longer occur: {explained:?}"
    );
}
