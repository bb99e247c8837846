//! Embeds the recorded fixtures (fixtures/<version>/NNNN-*.txt) into the binary, so that
//! `haproxy-mcp-server --emulator` works from any install with nothing else on disk.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut versions: Vec<_> = std::fs::read_dir(&root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                // Version folders only (`X.Y`): fixtures/tls holds the capture's certificates.
                .filter(|p| p.is_dir() && is_version(p))
                .collect()
        })
        .unwrap_or_default();
    // Oldest first, by number (3.10 after 3.4): the last one is `--emulator`'s default.
    let number = |p: &std::path::PathBuf| -> Vec<u32> {
        p.file_name()
            .unwrap()
            .to_string_lossy()
            .split('.')
            .map(|n| n.parse().unwrap_or(0))
            .collect()
    };
    versions.sort_by_key(number);
    let mut out = String::from(
        "/// (version, [(file name, bytes)]) for every recorded version.\npub static BUNDLED: &[(&str, &[BundledFile])] = &[\n",
    );
    for dir in versions {
        let version = dir.file_name().unwrap().to_string_lossy().into_owned();
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        files.sort();
        writeln!(out, "    ({version:?}, &[").unwrap();
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            writeln!(
                out,
                "        ({name:?}, include_bytes!({:?})),",
                f.display().to_string()
            )
            .unwrap();
        }
        out.push_str("    ]),\n");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("bundled_fixtures.rs");
    std::fs::write(dest, out).unwrap();
}

/// Whether a folder's name is a version, `MAJOR.MINOR`.
fn is_version(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    })
}
