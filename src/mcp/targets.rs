//! The configured HAProxy instances a tool call can name with its `target` argument.

use crate::haproxy::RuntimeClient;

use super::answer::ToolError;

/// One HAProxy instance: a name, a client, and how it is reached (for list_targets).
#[derive(Debug, Clone)]
pub struct Target {
    /// The name tools use in `target`.
    pub name: String,
    /// The Runtime API client for it.
    pub client: RuntimeClient,
    /// Whether this target is an in-process emulator rather than a real HAProxy.
    pub emulated: bool,
}

/// Every configured target, and which one a call without `target` uses.
#[derive(Debug, Clone)]
pub struct Targets {
    targets: Vec<Target>,
    default: Option<usize>,
}

impl Targets {
    /// Builds the set. `default` names the target used when a call gives none; with a single
    /// target that one is the default anyway.
    pub fn new(targets: Vec<Target>, default: Option<&str>) -> Result<Self, String> {
        if targets.is_empty() {
            return Err("no HAProxy target is configured".to_owned());
        }
        for (i, t) in targets.iter().enumerate() {
            if targets[..i].iter().any(|o| o.name == t.name) {
                return Err(format!(
                    "target name {:?} is used twice; names must be unique",
                    t.name
                ));
            }
        }
        let default = match default {
            Some(name) => Some(targets.iter().position(|t| t.name == name).ok_or_else(|| {
                format!(
                    "default target {name:?} is not one of the configured targets ({})",
                    names(&targets)
                )
            })?),
            None if targets.len() == 1 => Some(0),
            None => None,
        };
        Ok(Self { targets, default })
    }

    /// The target named `name`, or the default one when `name` is `None`.
    pub fn resolve(&self, name: Option<&str>) -> Result<&Target, ToolError> {
        match name.filter(|n| !n.is_empty()) {
            Some(n) => self.targets.iter().find(|t| t.name == n).ok_or_else(|| {
                ToolError::new(format!(
                    "There is no target named {n:?}. Configured targets: {}. Call list_targets for details.",
                    names(&self.targets)
                ))
            }),
            None => self.default.map(|i| &self.targets[i]).ok_or_else(|| {
                ToolError::new(format!(
                    "Several HAProxy targets are configured ({}); say which one with the `target` argument.",
                    names(&self.targets)
                ))
            }),
        }
    }

    /// Every target, in configuration order.
    pub fn all(&self) -> &[Target] {
        &self.targets
    }

    /// The default target's name, if there is one.
    pub fn default_name(&self) -> Option<&str> {
        self.default.map(|i| self.targets[i].name.as_str())
    }
}

fn names(targets: &[Target]) -> String {
    targets
        .iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
