//! Tracked servers (`server s2 … track b/s1`): a tracking server has no checks of its own; it
//! follows the server it tracks. HAProxy passes maintenance and drain down the chain as
//! inherited flags (`SRV_ADMF_IMAINT`, `SRV_ADMF_IDRAIN`), a tracker's operational state is
//! its tracked server's, and its status reads the checks of the server at the end of the chain
//! (`MAINT (via b/s)` names the server it tracks directly).

use super::Model;
use super::proxies::{Server, admin, op};

/// How long a chain can be before the model stops following it (HAProxy refuses loops at
/// startup; this only bounds the walk).
const MAX_CHAIN: usize = 32;

impl Model {
    /// The server a tracked server follows, by name.
    fn tracked(&self, tracks: &(String, String)) -> Option<&Server> {
        self.proxies
            .iter()
            .find(|p| p.name == tracks.0)?
            .servers
            .iter()
            .find(|s| s.name == tracks.1)
    }

    /// The server whose checks decide `server`'s status: itself, or the end of its chain.
    pub(super) fn track_end<'a>(&'a self, server: &'a Server) -> &'a Server {
        let mut end = server;
        for _ in 0..MAX_CHAIN {
            match end.tracks.as_ref().and_then(|t| self.tracked(t)) {
                Some(next) => end = next,
                None => break,
            }
        }
        end
    }

    /// Recomputes every tracking server's inherited flags and operational state from the
    /// server it tracks (after any change: one pass per link of the longest chain).
    pub(super) fn propagate_tracking(&mut self) {
        let now = self.now();
        for _ in 0..MAX_CHAIN {
            let mut updates = Vec::new();
            for (p, proxy) in self.proxies.iter().enumerate() {
                for (s, server) in proxy.servers.iter().enumerate() {
                    let Some(tracked) = server.tracks.as_ref().and_then(|t| self.tracked(t)) else {
                        continue;
                    };
                    let mut inherited = 0;
                    if tracked.admin & admin::MAINT != 0 {
                        inherited |= admin::IMAINT;
                    }
                    if tracked.admin & admin::DRAIN != 0 {
                        inherited |= admin::IDRAIN;
                    }
                    let flags = (server.admin & !(admin::IMAINT | admin::IDRAIN)) | inherited;
                    let state = if flags & admin::MAINT != 0 {
                        op::STOPPED
                    } else {
                        tracked.op
                    };
                    if (flags, state) != (server.admin, server.op) {
                        updates.push((p, s, flags, state));
                    }
                }
            }
            if updates.is_empty() {
                return;
            }
            for (p, s, flags, state) in updates {
                let server = &mut self.proxies[p].servers[s];
                server.admin = flags;
                server.op = state;
                // Out of maintenance, a weight set meanwhile shows (2.6 defers it until then).
                if !server.in_maint() {
                    server.shown_weight = server.weight;
                }
                server.was_maint = server.in_maint();
                server.touched(now);
            }
        }
    }
}
