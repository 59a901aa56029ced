//! No doc cites a file that does not exist: every repository path that README.md or a page of docs/ names
//! (`src/…`, `scripts/…`, `docs/…`, `deploy/…`, `tests/…`, and the other top-level folders) is there. A
//! file moved or removed in the code shows here, in the doc that still names it.

use std::path::{Path, PathBuf};

/// The top-level folders whose paths the docs name.
/// (`examples/` is left out: docs/kubernetes.md names `deploy/kubernetes/examples/…` relative to its folder.)
const ROOTS: [&str; 9] = ["src/", "scripts/", "docs/", "deploy/", "tests/", "config/", "grafana/", "benches/", "fuzz/"];

/// Paths the docs name that are not in the repository on purpose: what a reader creates by following
/// them, what a run writes, and a `kubectl` resource written like a path.
const NOT_IN_THE_REPOSITORY: [&str; 4] = [
    "deploy/kubernetes/overlays/my-proxy", // docs/kubernetes.md: the overlay a reader copies
    "deploy/my-llm-proxy",                 // `kubectl exec deploy/NAME`
    "fuzz/corpus/",                        // written by scripts/fuzz, not checked in
    "fuzz/artifacts/",                     // a fuzz finding's input, not checked in
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every page of docs/.
fn docs() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("read docs/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    docs.insert(0, root().join("README.md"));
    docs
}

/// Whether `c` can be part of a path as the docs write them (no spaces, no placeholders such as `<target>`).
fn in_path(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-./".contains(c)
}

/// The repository paths `text` names: a root folder at the start of a word (not inside a URL or another
/// path), up to the first character that is not part of a path; trailing dots dropped (`see src/lib.rs.`).
fn named_paths(text: &str) -> Vec<String> {
    let mut found = vec![];
    for (i, _) in text.char_indices() {
        let rest = &text[i..];
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| in_path(c) || ":@".contains(c)) || !ROOTS.iter().any(|r| rest.starts_with(r)) {
            continue;
        }
        let end = rest.find(|c: char| !in_path(c)).unwrap_or(rest.len());
        // A glob (`truth-*.jsonl`) or a placeholder (`fuzz/seeds/<target>/`) names the start of a name.
        let partial = rest[end..].starts_with(['*', '<']);
        let path = rest[..end].trim_end_matches('.');
        found.push(if partial { format!("{path}*") } else { path.to_owned() });
    }
    found
}

/// Whether `path` is in the repository; `dir/start*`: whether a name in `dir` starts so.
fn exists(path: &str) -> bool {
    let Some(start) = path.strip_suffix('*') else {
        return root().join(path).exists();
    };
    let (dir, name) = start.rsplit_once('/').unwrap_or(("", start));
    let entries = std::fs::read_dir(root().join(dir)).into_iter().flatten().flatten();
    entries.map(|e| e.file_name()).any(|n| n.to_string_lossy().starts_with(name))
}

#[test]
fn every_path_a_doc_names_exists() {
    let mut missing = vec![];
    let mut checked = 0;
    for doc in docs() {
        let text = std::fs::read_to_string(&doc).expect("read a doc");
        for (n, line) in text.lines().enumerate() {
            for path in named_paths(line) {
                checked += 1;
                if !NOT_IN_THE_REPOSITORY.contains(&path.as_str()) && !exists(&path) {
                    missing.push(format!("{}:{}: {path}", doc.strip_prefix(root()).unwrap_or(&doc).display(), n + 1));
                }
            }
        }
    }
    assert!(checked > 100, "the docs name paths: {checked} found");
    assert!(missing.is_empty(), "docs name files that do not exist:\n{}", missing.join("\n"));
}

#[test]
fn paths_are_found_where_the_docs_write_them() {
    let text = "see `src/recording/read.rs`, [x](../docs/a.md), https://h/src/x.rs, @grafana/schema and src/lib.rs.";
    assert_eq!(named_paths(text), ["src/recording/read.rs", "src/lib.rs"]);
    assert_eq!(
        named_paths("`tests/fixtures/truth-*.jsonl`, fuzz/seeds/<target>/"),
        ["tests/fixtures/truth-*", "fuzz/seeds/*"]
    );
    assert!(exists("src/recording/read.rs") && exists("tests/fixtures/recorded/truth-*") && !exists("src/nowhere.rs"));
}
