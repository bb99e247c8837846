//! Map and ACL files as HAProxy reads them when it starts (`pat_ref_read_from_file_smp` and
//! `pat_ref_read_from_file` in src/pattern.c), so what runs now can be compared with what a
//! reload would load.
//!
//! Both skip a line whose first byte is `#` (before any blank is stripped) and strip leading
//! blanks (spaces and tabs). A map line is a key (up to the first blank) and a value (the rest,
//! blanks between them and at the end stripped); an empty line is skipped. An ACL line is one
//! pattern, blanks inside and at the end included. A line ends at LF or CR.

/// The `(key, value)` entries of a map file, in file order.
pub fn map_entries(text: &str) -> Vec<(String, String)> {
    lines(text)
        .filter_map(|line| {
            let line = line.trim_start_matches([' ', '\t']);
            if line.is_empty() {
                return None;
            }
            let (key, rest) = line.split_once([' ', '\t']).unwrap_or((line, ""));
            let value = rest
                .trim_start_matches([' ', '\t'])
                .trim_end_matches([' ', '\t']);
            Some((key.to_owned(), value.to_owned()))
        })
        .collect()
}

/// The patterns of an ACL file, in file order.
pub fn acl_patterns(text: &str) -> Vec<String> {
    lines(text)
        .map(|line| line.trim_start_matches([' ', '\t']))
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The lines HAProxy considers, each cut at its first CR, comment lines left out.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .map(|l| l.split('\r').next().unwrap_or(""))
        .filter(|l| !l.starts_with('#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_lines_split_like_haproxy() {
        let text =
            "# comment\n  www.example.test \t be_app  \r\n\nbare\n  # not a comment\nk v w\n";
        assert_eq!(
            map_entries(text),
            [
                ("www.example.test".into(), "be_app".into()),
                ("bare".into(), String::new()),
                ("#".into(), "not a comment".into()),
                ("k".into(), "v w".into()),
            ]
        );
    }

    #[test]
    fn acl_lines_keep_inner_and_trailing_blanks() {
        let text = "#c\n 198.51.100.7\n\n  a b \r\n\t\n";
        assert_eq!(acl_patterns(text), ["198.51.100.7", "a b "]);
    }
}
