//! Build script: the git revision the binary is built from, for `leaksoak --version`, the
//! `leaksoak_build_info` metric and `/status` (as the `LEAKSOAK_REVISION` compile-time variable).
//!
//! In order: `LEAKSOAK_REVISION` when set and not empty (the image's build argument: a container build has
//! no `.git`), else `git rev-parse --short HEAD` when the source is a git checkout, else `unknown`. A build
//! without git, or from a source archive, works and says `unknown`.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-env-changed=LEAKSOAK_REVISION");
    let given = std::env::var("LEAKSOAK_REVISION").ok().filter(|r| !r.trim().is_empty());
    let revision = match given {
        Some(r) => shown(r.trim()),
        None => git_revision().unwrap_or_else(|| "unknown".to_owned()),
    };
    println!("cargo::rustc-env=LEAKSOAK_REVISION={revision}");
}

/// A revision as it may appear in a metric label and on one line: at most 64 characters of `[0-9A-Za-z._+-]`.
fn shown(revision: &str) -> String {
    let ok = revision.len() <= 64 && revision.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    if ok {
        revision.to_owned()
    } else {
        println!(
            "cargo::warning=LEAKSOAK_REVISION is not a revision (64 characters of [0-9A-Za-z._+-]): using unknown"
        );
        "unknown".to_owned()
    }
}

/// The short hash of HEAD; `None` without git or outside a checkout. Rebuilds when HEAD moves.
fn git_revision() -> Option<String> {
    let hash = git(&["rev-parse", "--short", "HEAD"])?;
    // HEAD names the branch, and the branch's ref (loose, or packed) the commit. In a worktree HEAD is in
    // the worktree's git dir and the refs in the common one.
    let mut watched = vec![("--git-dir", "HEAD".to_owned()), ("--git-common-dir", "packed-refs".to_owned())];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]).map(|branch| ("--git-common-dir", branch)));
    for (which, file) in watched {
        if let Some(dir) = git(&["rev-parse", which]) {
            let path = manifest_dir().join(dir).join(file);
            if path.exists() {
                println!("cargo::rerun-if-changed={}", path.display());
            }
        }
    }
    Some(shown(&hash))
}

/// The trimmed output of a git command run in the package's directory; `None` when it fails.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).current_dir(manifest_dir()).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// The package's directory (git's relative paths are relative to it).
fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default())
}
