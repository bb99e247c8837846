//! One read on many targets: a bounded number of targets at a time, a deadline per target,
//! and every target's outcome kept (an unreachable or slow target is reported, never fails the
//! whole call). Each target's own client still holds its CLI connection budget.

use std::future::Future;
use std::time::{Duration, Instant};

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::targets::Target;

/// How a fleet read reaches its targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetLimits {
    /// Most targets read at once. The default reads a fleet of 500 in one wave, so a fleet
    /// call takes about as long as its slowest target (docs/benchmarks.md); each target's own
    /// client still holds its CLI connection budget.
    pub concurrency: usize,
    /// How long one target may take before it is reported as failed.
    pub target_deadline: Duration,
}

impl Default for FleetLimits {
    fn default() -> Self {
        Self {
            concurrency: 500,
            target_deadline: Duration::from_secs(10),
        }
    }
}

/// A target's answer to `show version`: its version and the round trip in milliseconds, or
/// the first line of what went wrong (the advice after it is the same for every target).
pub type VersionProbe = Result<(String, f64), String>;

/// Asks every target for its version, at most `concurrency` at once, each within `deadline`:
/// the one reachability probe `list_targets` and `/healthz` share.
pub async fn probe_versions(
    targets: &[Target],
    concurrency: usize,
    deadline: Duration,
) -> Vec<VersionProbe> {
    on_each(targets, concurrency, deadline, |t| async move {
        let start = Instant::now();
        match t.client.show_version().await {
            Ok(v) => Ok((
                v,
                (start.elapsed().as_secs_f64() * 100_000.0).round() / 100.0,
            )),
            Err(e) => Err(e.to_string().lines().next().unwrap_or("").to_owned()),
        }
    })
    .await
}

/// Runs `read` on every target (at most `concurrency` at once), each within `deadline` (counted
/// from when its turn comes), and returns the outcomes in the targets' order. Each read is a task
/// of its own, so a large fleet uses every worker thread; a read that panics is reported as
/// failed.
pub async fn on_each<T, F, Fut>(
    targets: &[Target],
    concurrency: usize,
    deadline: Duration,
    read: F,
) -> Vec<Result<T, String>>
where
    F: Fn(Target) -> Fut,
    Fut: Future<Output = Result<T, String>> + Send + 'static,
    T: Send + 'static,
{
    let turns = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut runs = JoinSet::new();
    for (i, t) in targets.iter().cloned().enumerate() {
        let run = read(t);
        let turns = Arc::clone(&turns);
        runs.spawn(async move {
            // The semaphore is never closed: a permit always comes.
            let _turn = turns.acquire_owned().await;
            let outcome = match tokio::time::timeout(deadline, run).await {
                Ok(outcome) => outcome,
                Err(_) => Err(format!("no answer within {} s", deadline.as_secs_f64())),
            };
            (i, outcome)
        });
    }
    let mut outcomes: Vec<Result<T, String>> = (0..targets.len())
        .map(|_| Err("the read did not finish (it panicked)".to_owned()))
        .collect();
    while let Some(joined) = runs.join_next().await {
        if let Ok((i, outcome)) = joined {
            outcomes[i] = outcome;
        }
    }
    outcomes
}

/// A tool's answer or error about `target` without its own `[target] ` prefix, for a fleet
/// answer that names each target already.
pub fn without_target_prefix<'a>(target: &str, text: &'a str) -> &'a str {
    text.strip_prefix('[')
        .and_then(|rest| rest.strip_prefix(target))
        .and_then(|rest| rest.strip_prefix("] "))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_targets_own_prefix_goes() {
        assert_eq!(super::without_target_prefix("a", "[a] down"), "down");
        assert_eq!(super::without_target_prefix("a", "[ab] down"), "[ab] down");
        assert_eq!(super::without_target_prefix("a", "down"), "down");
    }

    use super::*;
    use crate::haproxy::{ClientOptions, Endpoint, RuntimeClient};

    fn target(name: &str) -> Target {
        let client = RuntimeClient::new(Endpoint::unix("/nonexistent"), ClientOptions::default());
        Target::new(name, client, false)
    }

    #[tokio::test]
    async fn outcomes_keep_order_and_slow_targets_time_out() {
        let targets: Vec<Target> = ["a", "slow", "c"].into_iter().map(target).collect();
        let out = on_each(&targets, 8, Duration::from_millis(100), |t| async move {
            if t.name == "slow" {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            Ok::<_, String>(t.name)
        })
        .await;
        assert_eq!(out[0], Ok("a".to_owned()));
        assert_eq!(out[1], Err("no answer within 0.1 s".to_owned()));
        assert_eq!(out[2], Ok("c".to_owned()));
    }

    #[tokio::test]
    async fn no_more_than_the_concurrency_run_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let targets: Vec<Target> = (0..100).map(|i| target(&format!("t{i}"))).collect();
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let out = on_each(&targets, 32, Duration::from_secs(10), |_| {
            let (running, peak) = (Arc::clone(&running), Arc::clone(&peak));
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, String>(())
            }
        })
        .await;
        assert_eq!(out.len(), 100);
        assert_eq!(peak.load(Ordering::SeqCst), 32);
    }
}
