//! health_summary over several targets (`target` = `*`, `group:<name>` or `key=value` labels):
//! every selected target is read as a single-target call would read it, a bounded number at a
//! time with a deadline each, and the answer leads with the fleet's verdict — which targets have
//! problems, which did not answer — then one short line per target. A target that fails is
//! named with its error; it never fails the call.

use serde::Serialize;

use super::{HealthArgs, HealthOut};
use crate::mcp::answer::{Answer, Truncation, first_and_more, truncate};
use crate::mcp::fleet;
use crate::mcp::handler::HaproxyMcp;
use crate::mcp::targets::{Selector, Target};
use crate::mcp::tools::{default_limit, limit_or};

/// Problems kept per target in the structured answer (the first: the counts say how many).
const PROBLEMS_PER_TARGET: usize = 1;
/// Targets named in each part of the summary sentence.
const NAMED: usize = 3;
/// Longest problem text quoted for one target in the summary.
const PROBLEM_CHARS: usize = 100;
/// DNS/peer and certificate lines kept over the whole fleet.
const FLEET_LINES: usize = 4;

/// The fleet part of health_summary's answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FleetHealth {
    /// The selection read.
    pub selection: String,
    /// Targets selected.
    pub targets: usize,
    /// Targets with problems.
    pub with_problems: usize,
    /// Targets that did not answer.
    pub failed: usize,
    /// Per target, problems then failures first, up to `limit`.
    pub members: Vec<MemberHealth>,
    /// Targets in all, and whether some were left out.
    pub members_shown: Truncation,
}

/// One target's verdict in a fleet health_summary.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MemberHealth {
    /// The target.
    pub target: String,
    /// `problems`, `failed` or `healthy`.
    pub verdict: String,
    /// Its backends with problems.
    pub backends_with_problems: usize,
    /// Its frontends with problems.
    pub frontends_with_problems: usize,
    /// Its first problem.
    pub problems: Vec<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What one target said.
struct Reading {
    target: String,
    outcome: Result<HealthOut, String>,
}

/// health_summary over `targets`, the selection `selector` named.
pub(super) async fn health(
    mcp: &HaproxyMcp,
    selector: &Selector,
    targets: &[Target],
    args: &HealthArgs,
) -> Answer<HealthOut> {
    let window = std::time::Duration::from_secs(u64::from(args.window_secs.unwrap_or(0)));
    let limits = mcp.settings().fleet;
    let deadline = limits.target_deadline + window;
    let outcomes = fleet::on_each(targets, limits.concurrency, deadline, |t| {
        let one = HealthArgs {
            target: Some(t.name.clone()),
            backend: args.backend.clone(),
            limit: args.limit,
            window_secs: args.window_secs,
        };
        let mcp = mcp.clone();
        async move {
            mcp.health_of(&t, &one)
                .await
                .map(|a| a.data)
                .map_err(|e| e.message().to_owned())
        }
    })
    .await;
    let readings: Vec<Reading> = targets
        .iter()
        .zip(outcomes)
        .map(|(t, outcome)| Reading {
            target: t.name.clone(),
            outcome,
        })
        .collect();
    merge(
        selector,
        readings,
        limit_or(args.limit, default_limit::FLEET_TARGETS),
    )
}

/// One answer from every target's reading.
fn merge(selector: &Selector, readings: Vec<Reading>, limit: usize) -> Answer<HealthOut> {
    let mut members: Vec<MemberHealth> = readings.iter().map(member).collect();
    // Stable: problems, then failures, then healthy, each in set order.
    members.sort_by_key(|m| match m.verdict.as_str() {
        "problems" => 0,
        "failed" => 1,
        _ => 2,
    });
    let answered: Vec<(&str, &HealthOut)> = readings
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok().map(|o| (r.target.as_str(), o)))
        .collect();
    let with_problems = members.iter().filter(|m| m.verdict == "problems").count();
    let failed = members.iter().filter(|m| m.verdict == "failed").count();
    let total = members.len();
    let summary = sentence(selector, &members, total);
    let (members, members_shown) = truncate(members, limit);
    let sum = |f: fn(&HealthOut) -> usize| answered.iter().map(|(_, o)| f(o)).sum::<usize>();
    let lines = |f: fn(&HealthOut) -> &Vec<String>| {
        let all: Vec<String> = answered
            .iter()
            .flat_map(|(t, o)| f(o).iter().map(move |l| format!("[{t}] {l}")))
            .collect();
        let (mut kept, shown) = truncate(all, FLEET_LINES);
        if let Some(more) = shown.truncated {
            kept.push(format!("({more})"));
        }
        kept
    };
    let periods: Vec<&str> = answered.iter().map(|(_, o)| o.period.as_str()).collect();
    let period = match periods.first() {
        Some(first) if periods.iter().all(|p| p == first) => (*first).to_owned(),
        Some(_) => "varies by target (each one's own previous call)".to_owned(),
        None => "none: no target answered".to_owned(),
    };
    let out = HealthOut {
        backends_with_problems: sum(|o| o.backends_with_problems),
        backends: Vec::new(),
        backends_shown: per_target_only(sum(|o| o.backends_shown.total)),
        frontends_with_problems: sum(|o| o.frontends_with_problems),
        frontends: Vec::new(),
        frontends_shown: per_target_only(sum(|o| o.frontends_shown.total)),
        dns_and_peers: lines(|o| &o.dns_and_peers),
        certificates: lines(|o| &o.certificates),
        period,
        fleet: Some(FleetHealth {
            selection: selector.to_string(),
            targets: total,
            with_problems,
            failed,
            members,
            members_shown,
        }),
    };
    Answer::new(summary, out)
}

/// The backends or frontends of a fleet answer: counted, detailed per target only.
fn per_target_only(total: usize) -> Truncation {
    Truncation {
        shown: 0,
        total,
        truncated: (total > 0)
            .then(|| format!("truncated: {total} more (call health_summary on one target)")),
    }
}

/// One target's line.
fn member(r: &Reading) -> MemberHealth {
    match &r.outcome {
        Err(e) => MemberHealth {
            target: r.target.clone(),
            verdict: "failed".to_owned(),
            backends_with_problems: 0,
            frontends_with_problems: 0,
            problems: Vec::new(),
            // The target is named already: its error without the `[name] ` prefix.
            error: Some(fleet::without_target_prefix(&r.target, e).to_owned()),
        },
        Ok(o) => {
            let problems: Vec<String> = o
                .backends
                .iter()
                .filter(|b| !b.problems.is_empty())
                .map(|b| format!("{}: {}", b.name, b.problems.join("; ")))
                .chain(
                    o.frontends
                        .iter()
                        .filter(|f| !f.problems.is_empty())
                        .map(|f| format!("frontend {}: {}", f.name, f.problems.join("; "))),
                )
                .chain(o.dns_and_peers.iter().cloned())
                .chain(o.certificates.iter().map(|c| format!("certificate {c}")))
                .take(PROBLEMS_PER_TARGET)
                .collect();
            let troubled = o.backends_with_problems + o.frontends_with_problems > 0
                || !o.dns_and_peers.is_empty()
                || !o.certificates.is_empty();
            MemberHealth {
                target: r.target.clone(),
                verdict: if troubled { "problems" } else { "healthy" }.to_owned(),
                backends_with_problems: o.backends_with_problems,
                frontends_with_problems: o.frontends_with_problems,
                problems,
                error: None,
            }
        }
    }
}

/// The fleet's verdict first: who has problems, who did not answer, how many are healthy.
fn sentence(selector: &Selector, members: &[MemberHealth], total: usize) -> String {
    if total == 0 {
        return format!(
            "[{selector}] No target is selected (list_targets shows the targets, groups and labels)."
        );
    }
    let quote = |s: &str| {
        if s.chars().count() > PROBLEM_CHARS {
            format!("{}…", s.chars().take(PROBLEM_CHARS).collect::<String>())
        } else {
            s.to_owned()
        }
    };
    let troubled: Vec<String> = members
        .iter()
        .filter(|m| m.verdict == "problems")
        .map(|m| {
            format!(
                "{} ({})",
                m.target,
                quote(m.problems.first().map_or("", String::as_str))
            )
        })
        .collect();
    let failed: Vec<String> = members
        .iter()
        .filter(|m| m.verdict == "failed")
        .map(|m| {
            let error = m.error.as_deref().unwrap_or("");
            // The first line: what went wrong (the advice follows on the next lines).
            format!(
                "{} ({})",
                m.target,
                quote(error.lines().next().unwrap_or(""))
            )
        })
        .collect();
    let healthy = total - troubled.len() - failed.len();
    let mut s = format!(
        "[{selector}] {} of {total} target(s) have problems",
        troubled.len()
    );
    if !troubled.is_empty() {
        s.push_str(&format!(": {}", first_and_more(&troubled, NAMED, "; ")));
    }
    s.push('.');
    if !failed.is_empty() {
        s.push_str(&format!(
            " {} did not answer: {}.",
            failed.len(),
            first_and_more(&failed, NAMED, "; ")
        ));
    }
    s.push_str(&format!(" {healthy} healthy."));
    if troubled.len() + failed.len() > 0 {
        s.push_str(" Call health_summary with one target for its details.");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::health::{BackendHealth, ServerCounts};

    fn healthy() -> HealthOut {
        HealthOut {
            backends_with_problems: 0,
            backends: Vec::new(),
            backends_shown: truncate(vec![(); 2], 6).1,
            frontends_with_problems: 0,
            frontends: Vec::new(),
            frontends_shown: truncate(vec![(); 1], 6).1,
            dns_and_peers: Vec::new(),
            certificates: Vec::new(),
            period: "in the last 5 s".into(),
            fleet: None,
        }
    }

    fn troubled(problem: &str) -> HealthOut {
        let mut o = healthy();
        o.backends_with_problems = 1;
        o.backends = vec![BackendHealth {
            name: "be_app".into(),
            status: Some("UP".into()),
            servers: ServerCounts::default(),
            not_serving: Vec::new(),
            sessions: None,
            queued: None,
            connection_errors: None,
            response_errors: None,
            http_5xx: None,
            http_5xx_pct: None,
            connection_error_pct: None,
            problems: vec![problem.to_owned()],
        }];
        o
    }

    #[test]
    fn the_verdict_names_troubled_and_failed_targets_first() {
        let readings = vec![
            Reading {
                target: "a".into(),
                outcome: Ok(healthy()),
            },
            Reading {
                target: "b".into(),
                outcome: Err("connection refused".into()),
            },
            Reading {
                target: "c".into(),
                outcome: Ok(troubled("2 of 3 servers DOWN")),
            },
        ];
        let answer = merge(&Selector::All, readings, 10);
        assert_eq!(
            answer.summary,
            "[every target] 1 of 3 target(s) have problems: c (be_app: 2 of 3 servers DOWN). 1 did not answer: b (connection refused). 1 healthy. Call health_summary with one target for its details."
        );
        let fleet = answer.data.fleet.unwrap();
        let order: Vec<&str> = fleet.members.iter().map(|m| m.target.as_str()).collect();
        assert_eq!(order, ["c", "b", "a"]);
        assert_eq!(
            (fleet.with_problems, fleet.failed, fleet.targets),
            (1, 1, 3)
        );
        assert_eq!(answer.data.backends_with_problems, 1);
        assert_eq!(
            answer.data.backends_shown.total, 4,
            "2 backends on each answering target"
        );
        assert_eq!(answer.data.period, "in the last 5 s");
    }

    #[test]
    fn many_targets_stay_bounded() {
        let readings: Vec<Reading> = (0..500)
            .map(|i| Reading {
                target: format!("edge-{i}"),
                outcome: if i % 7 == 0 {
                    Err("no answer within 10 s".into())
                } else {
                    Ok(troubled("queue 90% of maxqueue"))
                },
            })
            .collect();
        let answer = merge(&Selector::Group("edge".into()), readings, 10);
        let json = serde_json::to_string(&answer.data).unwrap();
        assert!(
            json.len() + answer.summary.len() < 4096,
            "{} + {}",
            json.len(),
            answer.summary.len()
        );
        assert!(
            answer.summary.contains("and 425 more"),
            "{}",
            answer.summary
        );
        assert_eq!(answer.data.fleet.unwrap().members_shown.total, 500);
    }
}
