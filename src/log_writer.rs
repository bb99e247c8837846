//! A last line of defence for the text log: a writer that keeps every log event on one line.
//! Our own fields are escaped where they are logged ([`crate::log_safe`]), but dependencies log
//! caller-chosen text too (rmcp logs a JSON-RPC request id, which the caller picks, with
//! `Display`). The `tracing` formatter writes each event with one `write` ending in a newline;
//! this writer escapes every other newline, carriage return and ASCII control character in it
//! (`\n`, `\r`, `\u{1b}`…), and keeps `ESC` only when colours are on (a terminal).

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

/// stderr, one line per event.
#[derive(Debug, Clone, Copy)]
pub struct OneLineStderr {
    /// Whether the formatter adds colour codes (then `ESC` bytes pass).
    pub ansi: bool,
}

impl<'a> MakeWriter<'a> for OneLineStderr {
    type Writer = OneLine<io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        OneLine {
            inner: io::stderr(),
            ansi: self.ansi,
        }
    }
}

/// Writes each buffer with its inner line breaks and control characters escaped.
#[derive(Debug)]
pub struct OneLine<W> {
    /// Where the escaped text goes.
    pub inner: W,
    /// Whether `ESC` bytes pass (colour codes).
    pub ansi: bool,
}

impl<W: Write> Write for OneLine<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (body, end) = match buf.strip_suffix(b"\n") {
            Some(body) => (body, &b"\n"[..]),
            None => (buf, &b""[..]),
        };
        if !body.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            self.inner.write_all(buf)?;
            return Ok(buf.len());
        }
        let mut out = Vec::with_capacity(buf.len() + 16);
        for &b in body {
            match b {
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                0x1b if self.ansi => out.push(b),
                b'\t' => out.push(b),
                b if b < 0x20 || b == 0x7f => {
                    out.extend_from_slice(format!("\\u{{{b:x}}}").as_bytes());
                }
                b => out.push(b),
            }
        }
        out.extend_from_slice(end);
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(ansi: bool, text: &str) -> String {
        let mut w = OneLine {
            inner: Vec::new(),
            ansi,
        };
        w.write_all(text.as_bytes()).unwrap();
        String::from_utf8(w.inner).unwrap()
    }

    #[test]
    fn one_event_one_line() {
        assert_eq!(through(false, "plain é\tok\n"), "plain é\tok\n");
        assert_eq!(
            through(
                false,
                "WARN rejected peer request id=1\nINFO forged\r\u{1b}[2J\n"
            ),
            "WARN rejected peer request id=1\\nINFO forged\\r\\u{1b}[2J\n"
        );
        assert_eq!(
            through(true, "\u{1b}[33mWARN\u{1b}[0m x\ny\n"),
            "\u{1b}[33mWARN\u{1b}[0m x\\ny\n"
        );
    }
}
