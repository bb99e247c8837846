//! Where each setting came from (a flag, an environment variable, or the default), so that a
//! message names what the user actually set; and clap's own parse errors (a port that is not a
//! number, `HAPROXY_MCP_READ_ONLY=maybe`) turned into the same kind of message, with a fix.

use std::collections::BTreeMap;
use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory};

use super::{Cli, ConfigError, bad};

/// Where each argument's value came from, by clap argument id (`haproxy_port`).
#[derive(Debug, Clone, Default)]
pub struct Sources(BTreeMap<String, ValueSource>);

impl Sources {
    /// Reads the sources out of clap's matches.
    pub fn of(matches: &ArgMatches) -> Self {
        Self(
            matches
                .ids()
                .filter_map(|id| {
                    matches
                        .value_source(id.as_str())
                        .map(|s| (id.as_str().to_owned(), s))
                })
                .collect(),
        )
    }

    /// Whether the user gave this setting (flag or environment), rather than its default.
    pub fn explicit(&self, id: &str) -> bool {
        matches!(
            self.0.get(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
    }

    /// How to name a setting in a message: the environment variable when the value came from
    /// there; the flag when it came from the command line (with its variable in parentheses,
    /// for reference); both otherwise.
    pub fn name(&self, id: &str) -> String {
        let command = Cli::command();
        let Some(arg) = command.get_arguments().find(|a| a.get_id() == id) else {
            return id.to_owned();
        };
        let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
        let flag = arg.get_long().map(|l| format!("--{l}"));
        match (self.0.get(id), env, flag) {
            (Some(ValueSource::EnvVariable), Some(env), _) => env,
            (Some(ValueSource::CommandLine), Some(env), Some(flag)) => format!("{flag} ({env})"),
            (Some(ValueSource::CommandLine), None, Some(flag)) => flag,
            (_, Some(env), Some(flag)) => format!("{env} ({flag})"),
            (_, env, flag) => env.or(flag).unwrap_or_else(|| id.to_owned()),
        }
    }
}

/// Parses the command line (and the environment behind it). `--help` and `--version` print and
/// exit as usual; anything else that clap refuses becomes a [`ConfigError`].
pub fn parse(args: Vec<OsString>) -> Result<Cli, ConfigError> {
    use clap::FromArgMatches;
    let matches = match Cli::command().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) => return Err(from_clap(&e, &args)),
    };
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| from_clap(&e, &args))?;
    cli.sources = Sources::of(&matches);
    Ok(cli)
}

/// A clap error as a configuration error naming the flag or the environment variable.
fn from_clap(e: &clap::Error, args: &[OsString]) -> ConfigError {
    let context = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        Some(ContextValue::StyledStr(s)) => Some(s.to_string()),
        _ => None,
    };
    let rendered = e.render().to_string();
    let first_line = rendered
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_owned();
    let command = Cli::command();
    let arg = context(ContextKind::InvalidArg).and_then(|invalid| {
        let long = invalid
            .split_whitespace()
            .next()?
            .trim_start_matches("--")
            .to_owned();
        command
            .get_arguments()
            .find(|a| a.get_long() == Some(long.as_str()))
            .cloned()
    });
    let Some(arg) = arg else {
        return bad(
            "the command line",
            first_line,
            "see `haproxy-mcp-server --help` and docs/configuration.md",
        );
    };
    let long = arg.get_long().unwrap_or_default();
    let on_command_line = args.iter().any(|a| {
        let a = a.to_string_lossy();
        a == format!("--{long}") || a.starts_with(&format!("--{long}="))
    });
    let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
    let setting = match env {
        Some(env) if !on_command_line && std::env::var_os(&env).is_some() => env,
        Some(env) => format!("--{long} ({env})"),
        None => format!("--{long}"),
    };
    let value = context(ContextKind::InvalidValue).unwrap_or_default();
    let detail = std::error::Error::source(e)
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    let possible: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|p| !p.is_hide_set())
        .map(|p| p.get_name().to_owned())
        .collect();
    let id = arg.get_id().as_str();
    let is_switch = matches!(arg.get_action(), clap::ArgAction::SetTrue);
    let fix = if is_switch && on_command_line {
        let env = arg
            .get_env()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        Some(format!(
            "give --{long} alone, without a value; in the environment, {env}=true or false (1/0, yes/no and on/off work too)"
        ))
    } else {
        hint(id).map(str::to_owned)
    };
    let fix = fix.unwrap_or_else(|| {
        if possible.is_empty() {
            format!("see `haproxy-mcp-server --help` for --{long}, and docs/configuration.md")
        } else if arg.get_value_delimiter().is_some() {
            format!("use a comma-separated list of: {}", possible.join(", "))
        } else {
            format!("use one of: {}", possible.join(", "))
        }
    });
    let problem = match e.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation if value.is_empty() => {
            "a value is required".to_owned()
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            format!("{value:?} is not accepted{detail}")
        }
        _ => first_line,
    };
    bad(&setting, problem, fix)
}

/// The fix for a value clap refused, per argument.
fn hint(id: &str) -> Option<&'static str> {
    Some(match id {
        "haproxy_port" => "give the TCP port of HAProxy's stats socket, 1-65535 (default 9999)",
        "port" => "give a TCP port, 1-65535 (0 picks a free one; default 8080)",
        "host" => {
            "give an IP address to bind, such as 127.0.0.1, ::1 or 0.0.0.0 (`localhost` means 127.0.0.1; other host names are not resolved)"
        }
        "allow_unauthenticated" | "audit_reads" | "read_only" => {
            "use true or false (1/0, yes/no and on/off are accepted too)"
        }
        "connect_timeout_ms" | "command_timeout_ms" => {
            "give a whole number of milliseconds (defaults: 3000 to connect, 15000 per command)"
        }
        "max_reply_bytes" | "max_request_bytes" => "give a whole number of bytes",
        "max_connections" => "give a whole number from 1 to 10 (default 4)",
        "keep_alive_ms" => {
            "give a whole number of milliseconds from 0 to 60000 (0 turns keeping off; default 1000)"
        }
        "rate_limit" => "give requests per second as a number (0 turns the limit off; default 10)",
        "rate_limit_burst" => "give a whole number of requests, at least 1 (default 50)",
        "http_max_connections" | "http_max_connections_per_ip" => {
            "give a whole number of connections (defaults: 1024 in all, 256 per IP address)"
        }
        "header_read_timeout" => "give a whole number of seconds (default 10)",
        _ => return None,
    })
}
