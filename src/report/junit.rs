//! JUnit XML for CI pipelines (`once --junit FILE`): a test case per scenario; a leak (of memory, or a
//! confirmed resource leak) is a failure carrying the report and naming what leaks, an `error` cycle an
//! error, `noisy` and `insufficient` skipped (the pytest suite skips noisy runs).

use super::markup::escape;
use crate::analyze::Verdict;
use crate::engine::Judged;
use std::fmt::Write;

/// What a scenario's test case says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// Memory or a resource leaks.
    Failure,
    /// The cycle could not be judged (most requests failed, the source failed, the target restarted).
    Error,
    /// `noisy` or `insufficient`, with no resource leak.
    Skipped,
    /// `stable`, with no resource leak.
    Passed,
}

fn case(j: &Judged) -> Case {
    match j.analysis.verdict {
        _ if j.leaks() => Case::Failure,
        Verdict::Error => Case::Error,
        Verdict::Noisy | Verdict::Insufficient => Case::Skipped,
        Verdict::Stable | Verdict::Leak => Case::Passed,
    }
}

/// The XML document for one `once` run.
pub fn render(judged: &[Judged]) -> String {
    let count = |c: Case| judged.iter().filter(|j| case(j) == c).count();
    let seconds: f64 = judged.iter().map(|j| j.duration.as_secs_f64()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"leaksoak\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{seconds:.3}\">",
        judged.len(),
        count(Case::Failure),
        count(Case::Error),
        count(Case::Skipped),
    );
    for j in judged {
        let _ = writeln!(
            out,
            "  <testcase classname=\"leaksoak.memory\" name=\"{}\" time=\"{:.3}\">",
            escape(&j.scenario),
            j.duration.as_secs_f64()
        );
        let summary = escape(&j.analysis.summary);
        let report = escape(&j.report);
        match case(j) {
            Case::Failure => {
                // The message names what leaks first: "leak (sockets; memory stable): a resource leak is …".
                let memory = &j.analysis.summary;
                let message = match j.analysis.verdict {
                    Verdict::Leak => format!("{}: {memory}", j.verdict_line()),
                    _ => format!("{}: a resource leak is confirmed; memory: {memory}", j.verdict_line()),
                };
                let message = escape(&message);
                let _ = writeln!(out, "    <failure message=\"{message}\" type=\"leak\">{report}</failure>");
            }
            Case::Error => {
                let _ = writeln!(out, "    <error message=\"{summary}\" type=\"error\">{report}</error>");
            }
            Case::Skipped => {
                let _ = writeln!(out, "    <skipped message=\"{summary}\"/>");
            }
            Case::Passed => {}
        }
        let _ = writeln!(out, "    <system-out>{report}</system-out>\n  </testcase>");
    }
    out.push_str("</testsuite>\n");
    out
}
