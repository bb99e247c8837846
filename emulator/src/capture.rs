//! The capture tool: runs a scenario against a real HAProxy (one command per connection: write
//! the line, half-close, read to EOF) and writes one fixture file per exchange.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use crate::Error;
use crate::fixture::{self, Fixture, Level};
use crate::scenario::{Scenario, Step, Substitutions};

/// A stats socket address: `unix:/path/admin.sock` or `tcp:host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `tcp:host:port`.
    Tcp(String),
    /// `unix:/path`.
    Unix(PathBuf),
}

impl FromStr for Endpoint {
    type Err = String;

    fn from_str(s: &str) -> Result<Endpoint, String> {
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("unix: needs a path".into());
            }
            Ok(Endpoint::Unix(PathBuf::from(path)))
        } else if let Some(addr) = s.strip_prefix("tcp:") {
            if !addr.contains(':') {
                return Err(format!("tcp:{addr} needs host:port"));
            }
            Ok(Endpoint::Tcp(addr.to_string()))
        } else {
            Err(format!(
                "endpoint {s:?} must be unix:/path/to.sock or tcp:host:port"
            ))
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp(a) => write!(f, "tcp:{a}"),
            Endpoint::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// Sends `request` on a new connection to `endpoint`, half-closes, and reads to EOF. Fails
/// with `TimedOut` when connecting or the whole exchange takes longer than `timeout`.
pub async fn exchange(
    endpoint: &Endpoint,
    request: &[u8],
    timeout: Duration,
) -> io::Result<Vec<u8>> {
    let work = async {
        match endpoint {
            Endpoint::Tcp(addr) => talk(TcpStream::connect(addr).await?, request).await,
            Endpoint::Unix(path) => talk(UnixStream::connect(path).await?, request).await,
        }
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no EOF from {endpoint} within {timeout:?}"),
        )
    })?
}

async fn talk<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: &[u8],
) -> io::Result<Vec<u8>> {
    stream.write_all(request).await?;
    stream.flush().await?;
    stream.shutdown().await?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await?;
    Ok(reply)
}

/// What a capture run needs.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// The scenario file.
    pub scenario: PathBuf,
    /// The admin-level stats socket.
    pub admin: Endpoint,
    /// The user-level stats socket (needed when the scenario has `user` lines).
    pub user: Option<Endpoint>,
    /// First line of `haproxy -v` of the HAProxy being recorded.
    pub haproxy_version: String,
    /// The configuration it runs (recorded with its SHA-256).
    pub config: PathBuf,
    /// The output folder; its `NNNN-*.txt` files are removed first.
    pub out: PathBuf,
    /// Per-exchange timeout.
    pub timeout: Duration,
    /// Values for `{{var:NAME}}`.
    pub vars: HashMap<String, String>,
}

/// Runs the scenario and writes the fixtures; returns how many were written.
pub async fn run(options: &CaptureOptions) -> Result<usize, Error> {
    let text = std::fs::read_to_string(&options.scenario).map_err(|source| Error::Io {
        path: options.scenario.clone(),
        source,
    })?;
    let scenario = Scenario::parse(&text).map_err(|(line, message)| Error::Scenario {
        path: options.scenario.clone(),
        line,
        message,
    })?;
    let needs_user = scenario.steps.iter().any(|s| {
        matches!(
            s,
            Step::Exchange {
                socket: Level::User,
                ..
            }
        )
    });
    if needs_user && options.user.is_none() {
        return Err(Error::Capture(
            "the scenario has `user` lines: give --user".into(),
        ));
    }
    let config_bytes = std::fs::read(&options.config).map_err(|source| Error::Io {
        path: options.config.clone(),
        source,
    })?;
    let config = format!(
        "{} sha256:{}",
        options.config.display(),
        hex_sha256(&config_bytes)
    );
    clear_out_dir(&options.out)?;

    let scenario_dir = options
        .scenario
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    let mut subs = Substitutions::new(options.vars.clone()).with_base_dir(scenario_dir);
    let mut seq = 0u32;
    for step in &scenario.steps {
        let (line, socket, template, payload_template) = match step {
            Step::Sleep { duration, .. } => {
                tokio::time::sleep(*duration).await;
                continue;
            }
            Step::Exchange {
                line,
                socket,
                command,
                payload,
            } => (*line, *socket, command, payload),
        };
        let scenario_error = |message: String| Error::Scenario {
            path: options.scenario.clone(),
            line,
            message,
        };
        let command = subs.expand(template).map_err(scenario_error)?;
        // A `{{file:…}}` line expands to several payload lines.
        let payload: Vec<String> = payload_template
            .iter()
            .map(|p| subs.expand(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(scenario_error)?
            .iter()
            .flat_map(|p| p.split('\n').map(str::to_string).collect::<Vec<_>>())
            .collect();
        let endpoint = match socket {
            Level::User => options.user.as_ref().unwrap_or(&options.admin),
            _ => &options.admin,
        };
        let request = fixture::request_bytes(&command, &payload);
        let reply = exchange(endpoint, &request, options.timeout)
            .await
            .map_err(|e| {
                Error::Capture(format!(
                    "{} line {line} ({socket} {command}): {e}",
                    options.scenario.display()
                ))
            })?;
        seq += 1;
        let fixture = Fixture {
            seq,
            haproxy: options.haproxy_version.clone(),
            config: config.clone(),
            captured: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            socket,
            command: command.clone(),
            payload,
            reply,
        };
        let path = options.out.join(fixture.file_name());
        std::fs::write(&path, fixture.render()).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let first = fixture.reply.split(|&b| b == b'\n').next().unwrap_or(b"");
        tracing::info!(
            "{:04} {socket:<5} {command} -> {} bytes: {}",
            seq,
            fixture.reply.len(),
            String::from_utf8_lossy(&first[..first.len().min(70)])
        );
        subs.observe(&command, &fixture.reply);
    }
    let attributes = options.out.join(".gitattributes");
    std::fs::write(
        &attributes,
        "# fixtures are byte-exact recordings: no end-of-line conversion\n*.txt -text\n",
    )
    .map_err(|source| Error::Io {
        path: attributes,
        source,
    })?;
    Ok(seq as usize)
}

/// Creates `dir` and removes its old `NNNN-*.txt` fixtures (nothing else).
fn clear_out_dir(dir: &Path) -> Result<(), Error> {
    let io_err = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io_err)?;
    for entry in std::fs::read_dir(dir).map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        let name = entry.file_name();
        if name
            .to_str()
            .and_then(fixture::seq_from_file_name)
            .is_some()
        {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|source| Error::Io { path, source })?;
        }
    }
    Ok(())
}

/// Lower-case hex SHA-256 of `bytes` (names the exact configuration a fixture came from).
fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            "unix:/tmp/a.sock".parse::<Endpoint>().unwrap(),
            Endpoint::Unix("/tmp/a.sock".into())
        );
        assert_eq!(
            "tcp:127.0.0.1:9999".parse::<Endpoint>().unwrap(),
            Endpoint::Tcp("127.0.0.1:9999".into())
        );
        assert!("tcp:nohost".parse::<Endpoint>().is_err());
        assert!("unix:".parse::<Endpoint>().is_err());
        assert!("/tmp/a.sock".parse::<Endpoint>().is_err());
    }
}
