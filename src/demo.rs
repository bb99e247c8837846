//! The demo mode (`--emulator`): an in-process haproxy-emulator seeded from the fixtures
//! recorded from real HAProxy, bundled into the binary, so every tool can be tried with nothing
//! installed. It runs the emulator's model of HAProxy (mutations take effect and show in later
//! reads), or with `--emulator-replay` the literal replay of the recordings.

use std::path::Path;

use haproxy_emulator::fixture::{Fixture, seq_from_file_name};
use haproxy_emulator::{Emulator, Engine, Options};

/// The configuration every bundled version was recorded with: the model takes from it what
/// the recordings do not show (the named `defaults` section runtime backends start from).
const CAPTURE_CONFIG: &str = include_str!("../fixtures/haproxy.cfg");

/// One bundled fixture file: its name and bytes.
pub type BundledFile = (&'static str, &'static [u8]);

include!(concat!(env!("OUT_DIR"), "/bundled_fixtures.rs"));

/// The HAProxy versions whose fixtures are bundled, oldest first: one per `fixtures/X.Y/`
/// folder, e.g. `["2.6", "3.0", "3.2", "3.4"]`. The single list of pinned versions: the tests
/// iterate over it too.
pub fn bundled_versions() -> Vec<&'static str> {
    BUNDLED.iter().map(|(v, _)| *v).collect()
}

/// The version used by a bare `--emulator`: the newest bundled one.
pub fn default_version() -> &'static str {
    BUNDLED.last().map_or("3.4", |(v, _)| v)
}

/// Loads an emulator answering with `engine` from a bundled version (`"3.4"`) or, when `spec`
/// is a folder, from there.
pub fn load(spec: &str, engine: Engine) -> Result<Emulator, String> {
    if let Some((_, files)) = BUNDLED.iter().find(|(v, _)| *v == spec) {
        let fixtures = files
            .iter()
            .map(|(name, bytes)| {
                let seq = seq_from_file_name(name)
                    .ok_or_else(|| format!("bundled fixture {name} has no sequence number"))?;
                Fixture::parse(bytes, seq)
                    .map_err(|e| format!("bundled fixture {spec}/{name}: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut emulator = Emulator::from_fixtures_engine(&fixtures, Options::default(), engine)?;
        emulator.apply_config(CAPTURE_CONFIG)?;
        return Ok(emulator);
    }
    if Path::new(spec).is_dir() {
        return Emulator::load_engine(spec, Options::default(), engine).map_err(|e| e.to_string());
    }
    Err(format!(
        "--emulator {spec:?} is neither a bundled HAProxy version ({}) nor a fixtures folder",
        bundled_versions().join(", ")
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_bundled_version_loads() {
        assert!(super::bundled_versions().len() >= 3);
        for v in super::bundled_versions() {
            for engine in [super::Engine::Replay, super::Engine::Model] {
                let emu = super::load(v, engine).unwrap();
                assert!(emu.haproxy().contains(v), "{v}: {}", emu.haproxy());
                assert_eq!(emu.engine(), engine);
            }
        }
        assert!(super::load("9.9", super::Engine::Model).is_err());
    }
}
