//! Secrets read from the operator's `--certificates-dir`, so they never pass through the
//! assistant: a certificate's PEM with its private key, a dynamic-cookie key. A file is named
//! relative to the folder, without `..`, and must stay inside it once links are resolved.
//! Errors name the file, never its content.

use std::path::{Component, Path, PathBuf};

/// Hex SHA-256 of `bytes`: what answers and the audit show instead of what was sent (a PEM with
/// its key, an OCSP response, a cookie key).
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The content of `file` in `dir` (at most `max_bytes`), or why it cannot be read.
pub(crate) fn read_in_folder(
    dir: &Path,
    file: &str,
    max_bytes: u64,
) -> Result<(PathBuf, Vec<u8>), String> {
    let rel = Path::new(file);
    if file.is_empty()
        || rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "file {file:?} must be a path relative to the certificates folder, without `..`"
        ));
    }
    let path = dir
        .join(rel)
        .canonicalize()
        .map_err(|e| format!("cannot open {file:?} in the certificates folder: {e}"))?;
    if !path.starts_with(dir) {
        return Err(format!(
            "{file:?} leads outside the certificates folder (through a link)"
        ));
    }
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read {file:?}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{file:?} is not a file"));
    }
    if meta.len() > max_bytes {
        return Err(format!(
            "{file:?} is {} bytes; at most {max_bytes} are read",
            meta.len()
        ));
    }
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {file:?}: {e}"))?;
    Ok((path, bytes))
}
