//! The layout stays a map a reader can trust: `src/lib.rs` declares the modules in data-flow order, and
//! a module imports only from modules declared before it. Within a folder, the files' imports of each
//! other form no cycle. Both are read from the source text, so the knot cannot come back unnoticed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The top-level modules in the order `src/lib.rs` declares them.
fn declared_order() -> Vec<String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("read src/lib.rs");
    lib.lines().filter_map(|l| l.trim().strip_prefix("pub mod ")?.strip_suffix(';')).map(str::to_owned).collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).expect("read a source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The code of a file without its comments (doc links name modules without importing them).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read a source file");
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The identifiers that follow each `prefix` in `code`: `crate::` → the top-level modules used.
fn names_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    code.match_indices(prefix)
        .filter(|(i, _)| !code[..*i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':'))
        .map(|(i, _)| {
            let rest = &code[i + prefix.len()..];
            &rest[..rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len())]
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// The top-level module a file belongs to: `src/engine/judge.rs` → `engine`, `src/cli.rs` → `cli`.
fn top_module(path: &Path) -> String {
    let rel = path.strip_prefix(src()).expect("under src");
    let first = rel.components().next().expect("a component").as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

#[test]
fn no_module_imports_from_a_module_declared_after_it() {
    let order = declared_order();
    assert!(order.len() > 5, "lib.rs declares its modules as `pub mod name;` lines: {order:?}");
    let rank = |m: &str| order.iter().position(|o| o == m);
    let mut upward = vec![];
    for path in rust_files(&src()) {
        let module = top_module(&path);
        let Some(own) = rank(&module) else { continue };
        for used in names_after(&code(&path), "crate::") {
            if rank(used).is_some_and(|r| r > own) {
                upward.push(format!("{}: imports crate::{used}, declared after {module}", path.display()));
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(upward.is_empty(), "imports must go down the map in src/lib.rs:\n{}", upward.join("\n"));
}

/// The sibling files each file of `dir` imports (`super::name` from a file that is not `mod.rs`).
fn sibling_imports(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let siblings: Vec<String> = std::fs::read_dir(dir)
        .expect("read a source folder")
        .filter_map(|e| {
            let path = e.ok()?.path();
            let stem = path.file_stem()?.to_string_lossy().into_owned();
            (path.is_dir() || path.extension().is_some_and(|x| x == "rs")).then_some(stem)
        })
        .filter(|s| s != "mod")
        .collect();
    let mut graph = BTreeMap::new();
    for name in &siblings {
        let file = dir.join(format!("{name}.rs"));
        if !file.is_file() {
            continue;
        }
        // Only the module's own code: a nested `mod tests` speaks of `super::` meaning the file itself.
        let text = code(&file);
        let own = text.split("#[cfg(test)]").next().unwrap_or_default();
        let mut used: Vec<String> = names_after(own, "super::")
            .into_iter()
            .filter(|n| *n != name && siblings.iter().any(|s| s == n))
            .map(str::to_owned)
            .collect();
        used.sort();
        used.dedup();
        graph.insert(name.clone(), used);
    }
    graph
}

/// A cycle in `graph`, if there is one, as the path that closes it.
fn find_cycle(graph: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, Vec<String>>,
        path: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.iter().any(|d| d == node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.push(node.to_owned());
        None
    }
    let mut done = vec![];
    graph.keys().find_map(|start| visit(start, graph, &mut vec![], &mut done))
}

#[test]
fn files_of_a_folder_import_each_other_without_cycles() {
    let mut dirs = vec![src()];
    let mut cycles = vec![];
    while let Some(dir) = dirs.pop() {
        if let Some(cycle) = find_cycle(&sibling_imports(&dir)) {
            cycles.push(format!("{}: {}", dir.display(), cycle.join(" → ")));
        }
        for entry in std::fs::read_dir(&dir).expect("read a source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                dirs.push(path);
            }
        }
    }
    assert!(cycles.is_empty(), "files that import each other:\n{}", cycles.join("\n"));
}

#[test]
fn the_checks_see_a_cycle_and_an_upward_import() {
    let graph = BTreeMap::from([
        ("a".to_owned(), vec!["b".to_owned()]),
        ("b".to_owned(), vec!["c".to_owned()]),
        ("c".to_owned(), vec!["a".to_owned()]),
    ]);
    assert_eq!(find_cycle(&graph).map(|c| c.len()), Some(4));
    assert_eq!(names_after("use crate::app::{x}; f(crate::engine::y)", "crate::"), ["app", "engine"]);
    assert_eq!(names_after("use leaksoak_crate::x; super::super::y", "crate::"), Vec::<&str>::new());
}
