//! Everything else: `help`, `echo`, `show cli level`, and the master CLI's `show proc`/`reload`.

use super::{Access, Command, Expect};

impl Command {
    /// `help`: the commands this HAProxy offers.
    pub fn help() -> Self {
        Self::read(["help"])
    }

    /// `echo <text>` (3.1+): returns its words. Used as a round-trip probe.
    pub fn echo(text: &str) -> Self {
        Self::read(["echo", text])
    }

    /// `show cli level`: this socket's access level.
    pub fn show_cli_level() -> Self {
        Self::read(["show", "cli", "level"])
    }

    /// `show startup-logs`: what HAProxy printed while starting (the worker's; on a master CLI
    /// target, routed to a worker like every worker command).
    pub fn show_startup_logs() -> Self {
        Self::read(["show", "startup-logs"])
    }

    /// `show proc` on the master CLI: master and worker processes.
    pub fn show_proc() -> Self {
        Self::read(["show", "proc"]).on_master()
    }

    /// `reload` on the master CLI. 2.7+ prints `Success=1` or `Success=0`; 2.6 closes silently.
    pub fn reload() -> Self {
        Self::new(Access::Mutation, Expect::Dump, ["reload"]).on_master()
    }
}
