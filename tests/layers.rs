//! The layout stays a map a reader can trust: `src/lib.rs` declares the modules in data-flow order, and
//! a module uses only modules declared before it. Within a folder, the files' uses of each other form no
//! circle. Both are read from the parsed source (`syn`), following the module tree from `src/lib.rs`, so
//! every way to name another module counts: a `use` item, grouped or not (`use super::{a, b}`), a path
//! written inline (`crate::engine::Judged::new()`, also inside a macro's arguments), and a name that a
//! `mod.rs` re-exports (`super::ENV_PREFIX` is the file that defines it, not the folder). Doc comments
//! name modules without using them, and are not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// A module path from the crate root: `["export", "html", "section"]`.
type ModPath = Vec<String>;

/// One path a module names that starts at `crate`, `super`, `self` or a child module.
#[derive(Debug, Clone)]
struct Named {
    /// The file it is written in, relative to the crate (for messages).
    file: String,
    /// The module it is written in.
    module: ModPath,
    /// The path as written (`super::section::p_value`), one element per segment.
    written: Vec<String>,
    /// Inside test code (`#[cfg(test)]`): tests may reach across a folder, not up the map.
    test: bool,
    /// For a `use` item, the name it binds in `module` (a path others can name it by); `None` for a path
    /// written inline or a glob.
    binds: Option<ModPath>,
}

/// What a walk of the module tree found.
#[derive(Debug, Default)]
struct Tree {
    /// The `pub mod` items of `lib.rs`, in their order: the map.
    declared: Vec<String>,
    /// Every module of the crate, file or inline.
    modules: BTreeSet<ModPath>,
    /// Every path that names something of the crate.
    named: Vec<Named>,
}

/// Walks one file's items, and the files of the modules it declares.
struct Walker<'t> {
    /// The crate's `src/`.
    src: PathBuf,
    /// The file being read.
    file: PathBuf,
    /// The module being read.
    module: ModPath,
    /// Whether the module or item being read is test code.
    test: bool,
    /// What the walk found so far.
    tree: &'t mut Tree,
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| match &a.meta {
        syn::Meta::List(list) => list.path.is_ident("cfg") && list.tokens.to_string().trim() == "test",
        _ => false,
    })
}

/// `#[path = "…"]`, when a `mod` item has one.
fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// The attributes of the items that hold test code here (test-only types live in test modules).
fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

impl Walker<'_> {
    fn record(&mut self, written: Vec<String>, binds: Option<ModPath>) {
        let file = format!("src/{}", self.file.strip_prefix(&self.src).unwrap_or(&self.file).display());
        let (module, test) = (self.module.clone(), self.test);
        self.tree.named.push(Named { file, module, written, test, binds });
    }

    /// Every leaf of a use tree, with the name it binds (`self` in a group binds the prefix's last name).
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        let bind = |m: &ModPath, name: &str| Some([m.as_slice(), &[name.to_owned()]].concat());
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) if n.ident == "self" => {
                let binds = prefix.last().and_then(|last| bind(&self.module, last));
                self.record(prefix.clone(), binds);
            }
            syn::UseTree::Name(n) => {
                let binds = bind(&self.module, &n.ident.to_string());
                self.record([prefix.as_slice(), &[n.ident.to_string()]].concat(), binds);
            }
            syn::UseTree::Rename(r) => {
                let binds = bind(&self.module, &r.rename.to_string());
                self.record([prefix.as_slice(), &[r.ident.to_string()]].concat(), binds);
            }
            syn::UseTree::Glob(_) => self.record(prefix.clone(), None),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.use_tree(prefix, t)),
        }
    }

    /// The file of a `mod name;` declared in the module being read.
    fn mod_file(&self, m: &syn::ItemMod) -> PathBuf {
        if let Some(path) = path_attr(&m.attrs) {
            return self.file.parent().expect("a folder").join(path);
        }
        let dir = self.module.iter().fold(self.src.clone(), |d, s| d.join(s));
        let flat = dir.with_extension("rs");
        if flat.is_file() { flat } else { dir.join("mod.rs") }
    }
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let was = self.test;
        self.test |= is_cfg_test(item_attrs(item));
        syn::visit::visit_item(self, item);
        self.test = was;
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let was = self.test;
        self.test |= is_cfg_test(&f.attrs);
        syn::visit::visit_impl_item_fn(self, f);
        self.test = was;
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        self.module.push(m.ident.to_string());
        self.tree.modules.insert(self.module.clone());
        match &m.content {
            Some((_, items)) => items.iter().for_each(|i| self.visit_item(i)),
            None => {
                let file = self.mod_file(m);
                let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
                let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("parse {}: {e}", file.display()));
                let outer = std::mem::replace(&mut self.file, file);
                parsed.items.iter().for_each(|i| self.visit_item(i));
                self.file = outer;
            }
        }
        self.module.pop();
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut vec![], &u.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let first = path.segments.first().map(|s| s.ident.to_string());
        if path.leading_colon.is_none() && matches!(first.as_deref(), Some("crate" | "super" | "self")) {
            self.record(path.segments.iter().map(|s| s.ident.to_string()).collect(), None);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for written in paths_in_tokens(&mac.tokens.to_string()) {
            self.record(written, None);
        }
        syn::visit::visit_macro(self, mac);
    }

    /// Doc comments and `cfg`s name modules without using them.
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    /// `pub(crate)`, `pub(super)`: who may see an item, not a use.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}
}

/// The `crate::…`, `super::…` and `self::…` paths in a macro's arguments (which `syn` leaves as tokens).
fn paths_in_tokens(tokens: &str) -> Vec<Vec<String>> {
    let text = tokens.replace(" :: ", "::").replace(":: ", "::").replace(" ::", "::");
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    text.split(|c: char| !word(c))
        .filter(|w| ["crate::", "super::", "self::"].iter().any(|p| w.starts_with(p)))
        .map(|w| w.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .collect()
}

/// Reads the crate whose `lib.rs` is in `src`.
fn walk(src: &Path) -> Tree {
    let lib = src.join("lib.rs");
    let parsed = syn::parse_file(&std::fs::read_to_string(&lib).expect("read lib.rs")).expect("parse lib.rs");
    let mut tree = Tree::default();
    for item in &parsed.items {
        if let syn::Item::Mod(m) = item
            && matches!(m.vis, syn::Visibility::Public(_))
        {
            tree.declared.push(m.ident.to_string());
        }
    }
    let mut walker = Walker { src: src.to_owned(), file: lib, module: vec![], test: false, tree: &mut tree };
    parsed.items.iter().for_each(|i| walker.visit_item(i));
    tree
}

impl Tree {
    /// Where a path written in `module` leads, from the crate root; `None` for another crate's.
    fn absolute(&self, module: &[String], written: &[String]) -> Option<ModPath> {
        let (mut base, mut rest) = (module.to_vec(), written);
        match written.first()?.as_str() {
            "crate" => (base, rest) = (vec![], &written[1..]),
            "self" => rest = &written[1..],
            "super" => {
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
            }
            // `use child::Name` in a module that declares `child`.
            first if self.modules.contains(&[module, &[first.to_owned()]].concat()) => {}
            _ => return None,
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// Where a path leads after following what `use` items bind, re-exports included: `settings::ENV_PREFIX`
    /// → `settings::env_sections::ENV_PREFIX` when `settings/mod.rs` says `pub use env_sections::ENV_PREFIX`.
    fn resolve(&self, aliases: &BTreeMap<ModPath, ModPath>, mut path: ModPath) -> ModPath {
        for _ in 0..16 {
            let Some((alias, target)) = (1..=path.len()).rev().find_map(|n| aliases.get_key_value(&path[..n])) else {
                break;
            };
            if target.starts_with(alias) {
                break;
            }
            path = [target.as_slice(), &path[alias.len()..]].concat();
        }
        path
    }

    /// Every named path with where it leads: `(named, target)`.
    fn targets(&self) -> Vec<(&Named, ModPath)> {
        let absolute: Vec<_> = self.named.iter().map(|n| (n, self.absolute(&n.module, &n.written))).collect();
        let aliases: BTreeMap<ModPath, ModPath> =
            absolute.iter().filter_map(|(n, t)| Some((n.binds.clone()?, t.clone()?))).collect();
        absolute.into_iter().filter_map(|(n, t)| Some((n, self.resolve(&aliases, t?)))).collect()
    }

    /// The uses that run up the map, as messages.
    fn upward(&self) -> Vec<String> {
        let rank = |m: &str| self.declared.iter().position(|d| d == m);
        let mut found: Vec<String> = self
            .targets()
            .into_iter()
            .filter_map(|(n, target)| {
                let (own, used) = (n.module.first()?, target.first()?);
                (rank(used)? > rank(own)?).then(|| {
                    let leads = if target.starts_with(&n.written[1..]) {
                        String::new()
                    } else {
                        format!(" (→ {})", target.join("::"))
                    };
                    format!("{}: {}{leads} uses `{used}`, declared after `{own}`", n.file, n.written.join("::"))
                })
            })
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// For each folder (a module with modules in it), the edges between its children: `child → used`,
    /// with the first place that draws each. Test code is left out.
    fn folder_graphs(&self) -> BTreeMap<ModPath, BTreeMap<String, BTreeMap<String, String>>> {
        let mut graphs: BTreeMap<ModPath, BTreeMap<String, BTreeMap<String, String>>> = BTreeMap::new();
        for (n, target) in self.targets().into_iter().filter(|(n, _)| !n.test) {
            let common = n.module.iter().zip(&target).take_while(|(a, b)| a == b).count();
            let (Some(from), Some(to)) = (n.module.get(common), target.get(common)) else { continue };
            let folder = n.module[..common].to_vec();
            if !self.modules.contains(&[folder.as_slice(), std::slice::from_ref(to)].concat()) {
                continue;
            }
            let evidence = format!("{}: {}", n.file, n.written.join("::"));
            let edges = graphs.entry(folder).or_default().entry(from.clone()).or_default();
            edges.entry(to.clone()).or_insert(evidence);
        }
        graphs
    }

    /// The circles among the files of a folder, as messages. (Among the top-level modules, the map's
    /// order already forbids them.)
    fn circles(&self) -> Vec<String> {
        let mut found = vec![];
        for (folder, graph) in self.folder_graphs().into_iter().filter(|(f, _)| !f.is_empty()) {
            let names: BTreeMap<String, Vec<String>> =
                graph.iter().map(|(k, v)| (k.clone(), v.keys().cloned().collect())).collect();
            if let Some(cycle) = find_cycle(&names) {
                let steps: Vec<String> =
                    cycle.windows(2).map(|w| format!("{} → {} ({})", w[0], w[1], graph[&w[0]][&w[1]])).collect();
                found.push(format!("src/{}: {}", folder.join("/"), steps.join("; ")));
            }
        }
        found
    }
}

/// A cycle in `graph`, if there is one, as the path that closes it.
fn find_cycle(graph: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, Vec<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|start| visit(start, graph, &mut vec![], &mut done))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_module_uses_a_module_declared_after_it() {
    let tree = walk(&src());
    assert!(tree.declared.len() > 5, "lib.rs declares its modules as `pub mod name;` items: {:?}", tree.declared);
    assert!(tree.named.len() > 1000, "the walk reads the whole crate: {} paths", tree.named.len());
    let upward = tree.upward();
    assert!(
        upward.is_empty(),
        "uses must go down the map in src/lib.rs (a module uses only modules declared before it):\n{}",
        upward.join("\n")
    );
}

#[test]
fn files_of_a_folder_use_each_other_without_circles() {
    let circles = walk(&src()).circles();
    assert!(circles.is_empty(), "files of a folder that use each other in a circle:\n{}", circles.join("\n"));
}

/// A small crate with each blind spot of a text search: a grouped import, an inline path, a path in a
/// macro, a re-export through `mod.rs`, and a glob.
#[test]
fn the_checks_see_grouped_imports_inline_paths_and_re_exports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("lib.rs", "//! [`crate::high`] in a doc is no use.\npub mod low;\npub mod mid;\npub mod high;\n");
    write("low/mod.rs", "mod a;\nmod b;\npub use a::A;\npub use crate::mid::M;\n");
    write("low/a.rs", "pub const A: u8 = 1;\npub fn f() -> u8 { super::b::B }\n");
    write("low/b.rs", "use super::{A, a};\npub const B: u8 = 2;\n#[cfg(test)]\nmod t { use crate::high::*; }\n");
    write("mid.rs", "pub const M: u8 = 3;\nfn g() { let _ = format!(\"{}\", crate::high::H); }\n");
    write("high.rs", "pub const H: u8 = 4;\nuse crate::{low::A, mid};\n");
    let tree = walk(dir.path());
    assert_eq!(tree.declared, ["low", "mid", "high"]);
    let upward = tree.upward();
    assert_eq!(upward.len(), 3, "{upward:#?}");
    assert!(upward[0].starts_with("src/low/b.rs: crate::high uses `high`, declared after `low`"), "{upward:#?}");
    assert!(upward[1].starts_with("src/low/mod.rs: crate::mid::M uses `mid`, declared after `low`"), "{upward:#?}");
    assert!(upward[2].starts_with("src/mid.rs: crate::high::H uses `high`"), "{upward:#?}");
    let circles = tree.circles();
    assert_eq!(circles.len(), 1, "{circles:#?}");
    assert!(circles[0].starts_with("src/low: a → b (src/low/a.rs: super::b::B); b → a (src/low/b.rs: super::A)"));
}
