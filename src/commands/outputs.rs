//! The files a command writes besides its text on stdout: `once`'s `--junit`, `--json` and `--html`, and
//! `analyze`'s `--html`.

use crate::report::html;
use crate::settings;
use std::path::Path;

/// The files `once` writes besides its report on stdout.
#[derive(Debug, Clone, Copy)]
pub struct Outputs<'a> {
    /// `--junit`: JUnit XML.
    pub junit: Option<&'a Path>,
    /// `--json`: the recording.
    pub json: Option<&'a Path>,
    /// `--html`: the report with charts.
    pub html: Option<&'a Path>,
}

/// Fails before the soak, not after it, when an output file cannot be written (nothing is truncated here).
pub fn check_outputs(o: Outputs<'_>) -> anyhow::Result<()> {
    use anyhow::Context as _;
    for (flag, path) in [("--junit", o.junit), ("--json", o.json), ("--html", o.html)] {
        if let Some(path) = path {
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .with_context(|| format!("{flag} {}: cannot be written", path.display()))?;
        }
    }
    Ok(())
}

/// The exit code when an output file could not be written after the verdict: a leak stays 1 (a CI job that
/// retries on 2 must not let a leak through); otherwise 2, since the run did not do all it was asked.
pub fn with_failed_output(verdict: u8) -> u8 {
    use crate::cli::exit;
    if verdict == exit::LEAK { exit::LEAK } else { exit::INCONCLUSIVE }
}

/// Writes every output asked for, each even when one before it failed; the error says which failed.
pub fn write_outputs(
    judged: &[crate::engine::Judged],
    o: Outputs<'_>,
    analysis: settings::Analysis,
) -> anyhow::Result<()> {
    let failed: Vec<String> = [write_html(judged, o, analysis), write_junit_and_json(judged, o)]
        .into_iter()
        .filter_map(|r| r.err().map(|e| format!("{e:#}")))
        .collect();
    if failed.is_empty() { Ok(()) } else { Err(anyhow::anyhow!(failed.join("; "))) }
}

fn write_html(judged: &[crate::engine::Judged], o: Outputs<'_>, analysis: settings::Analysis) -> anyhow::Result<()> {
    if let Some(path) = o.html {
        let mut soak = html::Soak::new(analysis, html::Keep::Thinned);
        judged.iter().for_each(|j| soak.push(j));
        let page = html::Page {
            source: "leaksoak once",
            soak: &soak,
            baseline: None,
            across_cycles: false,
            refresh_seconds: None,
        };
        write_page(path, &page)?;
    }
    Ok(())
}

fn write_junit_and_json(judged: &[crate::engine::Judged], o: Outputs<'_>) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let junit = o.junit.map(|path| {
        std::fs::write(path, crate::report::junit::render(judged))
            .with_context(|| format!("--junit: cannot write {}", path.display()))
    });
    let json = o.json.map(|path| {
        std::fs::write(path, crate::recording::once_json(judged))
            .with_context(|| format!("--json: cannot write {}", path.display()))
    });
    match (junit.transpose(), json.transpose()) {
        (Ok(_), Ok(_)) => Ok(()),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(a), Err(b)) => Err(anyhow::anyhow!("{a:#}; {b:#}")),
    }
}

pub fn write_page(path: &Path, page: &html::Page<'_>) -> anyhow::Result<()> {
    use anyhow::Context as _;
    std::fs::write(path, html::render(page)).with_context(|| format!("cannot write {}", path.display()))
}
