//! The HAProxy targets: the single one of the HAPROXY_* settings, or those of the TOML file
//! (every key checked, a message naming the file and the key).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{
    Cli, ClientOptions, ConfigError, ConfigFile, RuntimeMode, TargetConfig, TargetFile, bad,
};
use crate::haproxy::{Address, Endpoint, WorkerTarget};

/// The targets and the default target's name: none in demo mode (the emulator is the target),
/// else the file's targets, else the one of the HAPROXY_* settings.
pub(super) fn resolve(
    cli: &Cli,
    file: &ConfigFile,
    file_name: &str,
    client: &ClientOptions,
    emulated: bool,
    warnings: &mut Vec<String>,
) -> Result<(Vec<TargetConfig>, Option<String>), ConfigError> {
    Ok(if emulated {
        if !file.targets.is_empty() {
            warnings.push(format!(
                "the targets of {file_name} are not used: the emulator (--emulator) is the only target"
            ));
        }
        (Vec::new(), None)
    } else if file.targets.is_empty() && file.target_groups.is_empty() {
        if let Some(name) = &file.default_target {
            return Err(bad(
                &format!("default_target in {file_name}"),
                format!("{name:?} names a target, but the file has no [[targets]]"),
                "add the [[targets]] it names, or remove default_target",
            ));
        }
        (vec![env_target(cli, client)?], None)
    } else {
        let mut targets: Vec<TargetConfig> = Vec::new();
        for (i, t) in file.targets.iter().enumerate() {
            let target = file_target(t, i, file_name, client)?;
            if targets.iter().any(|o| o.name == target.name) {
                return Err(bad(
                    &format!("targets[{i}].name in {file_name}"),
                    format!("the name {:?} is used by an earlier target too", t.name),
                    "give every target its own name",
                ));
            }
            targets.push(target);
        }
        if let Some(name) = &file.default_target
            && !targets.iter().any(|t| &t.name == name)
        {
            let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
            return Err(bad(
                &format!("default_target in {file_name}"),
                format!("{name:?} is not one of the targets ({})", names.join(", ")),
                "set it to the name of one of the [[targets]], or remove it",
            ));
        }
        (targets, file.default_target.clone())
    })
}

/// Parses `1`, `@1`, `!123`, `@!123`, `master`, `@master`.
pub fn parse_master_target(s: &str) -> Option<WorkerTarget> {
    let s = s.strip_prefix('@').unwrap_or(s);
    if s == "master" {
        return Some(WorkerTarget::Master);
    }
    if let Some(pid) = s.strip_prefix('!') {
        return pid.parse().ok().map(WorkerTarget::Pid);
    }
    s.parse()
        .ok()
        .filter(|n| *n > 0)
        .map(WorkerTarget::Relative)
}

/// Splits `host:port` for a master CLI over TCP.
fn tcp_address(host: &str, port: u16) -> Address {
    Address::Tcp {
        host: host.to_owned(),
        port,
    }
}

/// The single target described by the seed's HAPROXY_* settings.
pub(super) fn env_target(cli: &Cli, client: &ClientOptions) -> Result<TargetConfig, ConfigError> {
    let mode = cli.runtime_mode.unwrap_or(if cli.runtime_socket.is_some() {
        RuntimeMode::Unix
    } else {
        RuntimeMode::Tcp4
    });
    let socket = cli
        .runtime_socket
        .clone()
        .unwrap_or_else(|| PathBuf::from("/var/run/haproxy.sock"));
    let endpoint = match mode {
        RuntimeMode::Tcp4 => Endpoint::tcp(cli.haproxy_host.clone(), cli.haproxy_port),
        RuntimeMode::Unix => Endpoint::unix(socket),
        RuntimeMode::Master => {
            let worker = parse_master_target(&cli.master_target).ok_or_else(|| {
                bad(
                    &cli.setting("master_target"),
                    format!("{:?} is not a worker target", cli.master_target),
                    "use 1 (first worker), !<pid>, or master",
                )
            })?;
            let address = if cli.runtime_socket.is_some() {
                Address::Unix(socket)
            } else if cli.sources.explicit("haproxy_host") || cli.sources.explicit("haproxy_port") {
                tcp_address(&cli.haproxy_host, cli.haproxy_port)
            } else {
                // The defaults (127.0.0.1:9999) are usually a worker's stats socket, where
                // the master CLI's `@1` prefixes are refused: say so instead of guessing.
                return Err(bad(
                    &cli.setting("runtime_mode"),
                    "master mode needs the master CLI's address, and none is set",
                    "set HAPROXY_RUNTIME_SOCKET to the master socket (haproxy -W -S /run/haproxy-master.sock), or HAPROXY_HOST and HAPROXY_PORT to a master CLI on TCP",
                ));
            };
            Endpoint::master(address, worker)
        }
    };
    Ok(TargetConfig {
        name: "haproxy".to_owned(),
        endpoint,
        options: client.clone(),
        labels: BTreeMap::new(),
    })
}

/// A target from the TOML file (the `index`th of `file`).
pub(super) fn file_target(
    t: &TargetFile,
    index: usize,
    file: &str,
    client: &ClientOptions,
) -> Result<TargetConfig, ConfigError> {
    let key = |k: &str| format!("targets[{index}].{k} in {file}");
    if !valid_name(&t.name) {
        return Err(bad(
            &key("name"),
            format!(
                "{:?}: a target name must be non-empty and use letters, digits, '-', '_' or '.'",
                t.name
            ),
            "rename the target",
        ));
    }
    let need_tcp = || -> Result<Address, ConfigError> {
        match (&t.host, t.port) {
            (Some(_), Some(0)) => Err(bad(
                &key("port"),
                "port 0 cannot be connected to",
                "give the port of the stats socket or master CLI, 1-65535",
            )),
            (Some(h), Some(p)) if !h.trim().is_empty() => Ok(tcp_address(h, p)),
            _ => Err(bad(
                &key("host/port"),
                "missing",
                "give both host and port for a TCP target",
            )),
        }
    };
    let endpoint = match t.mode {
        RuntimeMode::Tcp4 => match need_tcp()? {
            Address::Tcp { host, port } => Endpoint::tcp(host, port),
            Address::Unix(p) => Endpoint::unix(p),
        },
        RuntimeMode::Unix => Endpoint::unix(
            t.socket
                .clone()
                .ok_or_else(|| bad(&key("socket"), "missing", "give the stats socket path"))?,
        ),
        RuntimeMode::Master => {
            let spec = t.master_target.as_deref().unwrap_or("1");
            let worker = parse_master_target(spec).ok_or_else(|| {
                bad(
                    &key("master_target"),
                    format!("{spec:?} is not a worker target"),
                    "use 1, !<pid> or master",
                )
            })?;
            let address = match &t.socket {
                Some(p) => Address::Unix(p.clone()),
                None => need_tcp()?,
            };
            Endpoint::master(address, worker)
        }
    };
    check_labels(&t.labels, &key("labels"))?;
    let mut options = client.clone();
    options.read_only |= t.read_only;
    Ok(TargetConfig {
        name: t.name.clone(),
        endpoint,
        options,
        labels: t.labels.clone(),
    })
}

/// Whether `name` can name a target or group: non-empty, letters, digits, '-', '_' or '.' (so it
/// never reads as a fleet selector: `*`, `group:…`, `key=value`).
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks label keys and values: the characters a `key=value` selector can carry unquoted.
pub(super) fn check_labels(
    labels: &BTreeMap<String, String>,
    setting: &str,
) -> Result<(), ConfigError> {
    let word = |s: &str, empty_ok: bool| {
        (empty_ok || !s.is_empty())
            && s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    };
    for (k, v) in labels {
        if !word(k, false) || !word(v, true) {
            return Err(bad(
                setting,
                format!(
                    "{k:?} = {v:?}: a label key (non-empty) and value use at most 63 letters, digits, '-', '_', '.' or '/'"
                ),
                "rename the label or change its value",
            ));
        }
    }
    Ok(())
}

/// The TOML file, if one is named, and how to name it in messages.
pub(super) fn read_file(cli: &Cli) -> Result<(ConfigFile, String), ConfigError> {
    let Some(path) = &cli.config else {
        return Ok((ConfigFile::default(), "the configuration file".to_owned()));
    };
    let name = format!("the configuration file {}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| {
        bad(
            &cli.setting("config"),
            format!("cannot read {}: {e}", path.display()),
            "point it at a readable TOML file, or unset it",
        )
    })?;
    let file = toml::from_str(&text).map_err(|e| {
        bad(
            &name,
            e.to_string().trim_end().to_owned(),
            "see docs/configuration.md for the file's keys",
        )
    })?;
    Ok((file, name))
}
