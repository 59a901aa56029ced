//! `leaksoak analyze FILE…`: the edge of the replay ([`crate::app::replay_files`]): settings loaded, the
//! baseline read, problems said on stderr, the page written, and the exit code.

use super::outputs::{Outputs, check_outputs, with_failed_output, write_page};
use super::{one_line, report_bad_config};
use crate::cli::exit;
use crate::report::html;
use crate::settings;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn analyze(files: &[PathBuf], config: Option<&Path>, html_out: Option<&Path>, baseline: Option<&Path>) -> u8 {
    let settings = match settings::load(config) {
        Ok(s) => s,
        Err(e) => return report_bad_config(&e),
    };
    let before = match read_baseline(baseline, html_out, &settings.analysis) {
        Ok(before) => before,
        Err(message) => {
            eprintln!("leaksoak analyze: {message}");
            return exit::BAD_CONFIG;
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let skipped = |file: &Path, e| eprintln!("leaksoak analyze: {}: {e}", file.display());
    let analyzed = match crate::app::replay_files(files, settings.analysis, html_out.is_some(), &mut out, skipped) {
        Ok(analyzed) => analyzed,
        Err((file, e)) => {
            let _ = out.flush();
            eprintln!("leaksoak analyze: {}: {e}", file.display());
            return exit::BAD_CONFIG;
        }
    };
    analyzed.summary(&mut out, before.as_ref());
    let _ = out.flush();
    let replayed = analyzed.replay.scenarios();
    if let (Some(path), Some(soak)) = (html_out, &analyzed.soak) {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let source = format!("leaksoak analyze {}", names.join(" "));
        let baseline = before.as_ref().map(|b| &b.soak);
        let page = html::Page { source: &source, soak, baseline, across_cycles: true, refresh_seconds: None };
        if let Err(e) = write_page(path, &page) {
            eprintln!("leaksoak analyze: {}", one_line(&e));
            return with_failed_output(analyze_exit_code(replayed));
        }
    }
    analyze_exit_code(replayed)
}

/// `analyze`: 1 when a gauge is raised after the last cycle, 0 when a cycle was judged, else 2.
fn analyze_exit_code(replayed: &[crate::app::Replayed]) -> u8 {
    if replayed.iter().any(crate::app::Replayed::any_raised) {
        exit::LEAK
    } else if replayed.iter().any(crate::app::Replayed::judged_any) {
        exit::OK
    } else {
        exit::INCONCLUSIVE
    }
}

/// Checks that `--html` can be written, then reads `--baseline` when given; `Err` is the message.
fn read_baseline(
    path: Option<&Path>,
    html_out: Option<&Path>,
    analysis: &settings::Analysis,
) -> Result<Option<crate::app::Baseline>, String> {
    check_outputs(Outputs { junit: None, json: None, html: html_out }).map_err(|e| format!("{e:#}"))?;
    let Some(path) = path else { return Ok(None) };
    let before =
        crate::app::Baseline::read(path, analysis).map_err(|e| format!("--baseline {}: {e}", path.display()))?;
    if before.skipped > 0 {
        eprintln!(
            "leaksoak analyze: --baseline {}: skipped {} line(s) that are not recorded cycles",
            path.display(),
            before.skipped
        );
    }
    Ok(Some(before))
}
