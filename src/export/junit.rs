//! JUnit XML for CI pipelines (`once --junit FILE`): a test case per scenario; a leak is a failure carrying
//! the report, an `error` cycle an error, `noisy` and `insufficient` skipped (the pytest suite skips noisy runs).

use super::markup::escape;
use crate::analyze::Verdict;
use crate::engine::Judged;
use std::fmt::Write;

/// The XML document for one `once` run.
pub fn render(judged: &[Judged]) -> String {
    let count = |v: Verdict| judged.iter().filter(|j| j.analysis.verdict == v).count();
    let seconds: f64 = judged.iter().map(|j| j.duration.as_secs_f64()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"leaksoak\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{seconds:.3}\">",
        judged.len(),
        count(Verdict::Leak),
        count(Verdict::Error),
        count(Verdict::Noisy) + count(Verdict::Insufficient),
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
        match j.analysis.verdict {
            Verdict::Leak => {
                let _ = writeln!(out, "    <failure message=\"{summary}\" type=\"leak\">{report}</failure>");
            }
            Verdict::Error => {
                let _ = writeln!(out, "    <error message=\"{summary}\" type=\"error\">{report}</error>");
            }
            Verdict::Noisy | Verdict::Insufficient => {
                let _ = writeln!(out, "    <skipped message=\"{summary}\"/>");
            }
            Verdict::Stable => {}
        }
        let _ = writeln!(out, "    <system-out>{report}</system-out>\n  </testcase>");
    }
    out.push_str("</testsuite>\n");
    out
}
