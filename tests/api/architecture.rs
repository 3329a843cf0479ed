//! The house rules of docs/architecture.md, read off the source: what each
//! room may import, no import circle between modules, no file over 500
//! lines. A move that breaks a rule fails here, not in review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crate's top-level modules (what `crate::x` can name).
const ROOTS: &[&str] = &[
    "api",
    "app",
    "audit",
    "catcher",
    "config",
    "demo",
    "domain",
    "download",
    "ledger",
    "portal",
    "rules",
    "scenario",
    "service",
    "store",
    "telemetry",
];

/// Each room and the rooms it may import (besides itself). The longest
/// matching room of a module decides.
const ROOMS: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("rules", &["domain"]),
    ("store", &["domain"]),
    ("ledger", &["domain", "store"]),
    ("audit", &["domain", "ledger", "store"]),
    (
        "service::engine",
        &[
            "domain",
            "rules",
            "ledger",
            "audit",
            "store",
            "service::error",
        ],
    ),
    (
        "service",
        &["domain", "rules", "ledger", "audit", "store", "config"],
    ),
    ("scenario", &["domain", "service"]),
    (
        "app",
        &["domain", "service", "store", "api::auth", "config"],
    ),
    ("catcher", &["domain", "api::error", "portal"]),
    ("download", &["domain"]),
    ("demo", &["domain", "service", "scenario", "store"]),
    // The two edges may use the same rooms, and never each other.
    ("api", EDGE),
    ("portal", EDGE),
];

/// What the API and the portal may import: the service and what it is
/// made of, the shared request plumbing, and the app's state.
const EDGE: &[&str] = &[
    "domain",
    "rules",
    "audit",
    "service",
    "telemetry",
    "config",
    "download",
    "app",
];

/// Crates a room may not use at all.
const FORBIDDEN_CRATES: &[(&str, &[&str])] = &[
    ("domain", &["rocket", "sea_orm", "utoipa"]),
    ("rules", &["rocket", "sea_orm", "utoipa"]),
    ("ledger", &["rocket", "utoipa"]),
    ("audit", &["rocket", "utoipa"]),
    ("store", &["rocket", "utoipa"]),
    ("service", &["rocket", "utoipa"]),
    ("portal", &["sea_orm"]),
];

struct Source {
    /// `service::engine::ctx` (a `mod.rs` is its directory's module).
    module: String,
    path: PathBuf,
    text: String,
}

fn sources(dir: &Path, prefix: &[String], out: &mut Vec<Source>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if name == "bin" {
                continue;
            }
            let mut inner = prefix.to_vec();
            inner.push(name);
            sources(&path, &inner, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut module = prefix.to_vec();
            if !["mod", "lib", "main"].contains(&name.as_str()) {
                module.push(name);
            }
            let text = std::fs::read_to_string(&path).unwrap();
            out.push(Source {
                module: module.join("::"),
                path,
                text,
            });
        }
    }
}

fn all_sources() -> Vec<Source> {
    let mut out = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out
}

/// The code of a file without comments and string literals (good enough
/// for paths: doc comments name modules freely).
fn code_of(text: &str) -> String {
    let text = text
        .lines()
        .map(|l| match l.trim_start().starts_with("//") {
            true => "",
            false => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => escaped = false,
            }
        } else if c == '"' {
            in_string = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// The modules a file names: `crate::a::b…`, `super::x…` (resolved), and
/// paths inside `use crate::a::{b, c::d}` groups one level deep.
fn imports(source: &Source) -> BTreeSet<String> {
    let code = code_of(&source.text);
    let is_dir_module = source.path.file_stem().is_some_and(|s| s == "mod");
    let mut parent: Vec<&str> = source
        .module
        .split("::")
        .filter(|s| !s.is_empty())
        .collect();
    if !is_dir_module {
        parent.pop();
    }
    let mut found = BTreeSet::new();
    let path_chars = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    for (start, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        let before = code[..start].chars().last();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest: String = code[start..]
            .chars()
            .take_while(|c| path_chars(*c))
            .collect();
        let mut segments: Vec<&str> = rest.split("::").filter(|s| !s.is_empty()).collect();
        let mut base: Vec<String> = match segments.first() {
            Some(&"crate") => Vec::new(),
            _ => parent.iter().map(|s| s.to_string()).collect(),
        };
        segments.remove(0);
        while segments.first() == Some(&"super") {
            base.pop();
            segments.remove(0);
        }
        let lower: Vec<&str> = segments
            .iter()
            .copied()
            .take_while(|s| s.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .collect();
        if base.is_empty() && lower.first().is_some_and(|r| !ROOTS.contains(r)) {
            continue;
        }
        let mut module = base;
        module.extend(lower.iter().map(|s| s.to_string()));
        found.insert(module.join("::"));
        // `use crate::a::{b, c::d}`: each braced path too.
        let after = &code[start + rest.len()..];
        if rest.ends_with("::") && after.starts_with('{') {
            let group = &after[1..after.find('}').unwrap_or(after.len())];
            for item in group.split(',') {
                let item = item.trim();
                let lower: Vec<&str> = item
                    .split("::")
                    .take_while(|s| s.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
                    .filter(|s| *s != "self")
                    .collect();
                if !lower.is_empty() {
                    found.insert(format!("{}::{}", module.join("::"), lower.join("::")));
                }
            }
        }
    }
    found.remove("");
    found
}

fn within(module: &str, room: &str) -> bool {
    module == room || module.starts_with(&format!("{room}::"))
}

fn room_of(module: &str) -> Option<(&'static str, &'static [&'static str])> {
    ROOMS
        .iter()
        .filter(|(room, _)| within(module, room))
        .max_by_key(|(room, _)| room.len())
        .copied()
}

#[test]
fn every_room_imports_only_what_architecture_md_allows() {
    let broken = broken_rules(&all_sources());
    assert!(
        broken.is_empty(),
        "imports against docs/architecture.md:\n{}",
        broken.join("\n")
    );
}

/// What breaks the rooms' rules among `sources`.
fn broken_rules(sources: &[Source]) -> Vec<String> {
    let mut broken = Vec::new();
    for source in sources {
        let Some((room, allowed)) = room_of(&source.module) else {
            continue;
        };
        for import in imports(source) {
            let top = import.split("::").next().unwrap_or_default();
            if within(&import, room) || !ROOTS.contains(&top) {
                continue;
            }
            // A room below another (service::engine in service) is bound
            // by its own list only.
            if allowed.iter().any(|a| within(&import, a)) {
                continue;
            }
            broken.push(format!(
                "{} ({room}) imports {import}",
                source.path.display()
            ));
        }
        let code = code_of(&source.text);
        for (forbidding, crates) in FORBIDDEN_CRATES {
            if !within(&source.module, forbidding) {
                continue;
            }
            for krate in *crates {
                if code.contains(&format!("{krate}::")) {
                    broken.push(format!("{} uses {krate}", source.path.display()));
                }
            }
        }
    }
    broken
}

/// Every operation says on its struct which refusals it can return, in the
/// order they are checked (TigerBeetle's result docs).
#[test]
fn every_operation_documents_its_refusals_in_order() {
    let mut undocumented = Vec::new();
    let mut operations = 0;
    for source in all_sources() {
        for (at, _) in source.text.match_indices("impl Operation for ") {
            operations += 1;
            let name: String = source.text[at + "impl Operation for ".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let declared = source
                .text
                .match_indices(&format!("struct {name}"))
                .map(|(at, found)| (at, &source.text[at + found.len()..]))
                .find(|(_, rest)| rest.starts_with([' ', ';', '{', '<', '(']))
                .map(|(at, _)| source.text[..at].rfind('\n').map_or(0, |n| n + 1));
            let documented = declared.is_some_and(|at| {
                let before: Vec<&str> = source.text[..at].lines().rev().collect();
                before
                    .iter()
                    .take_while(|l| l.starts_with("///") || l.starts_with("#["))
                    .any(|l| l.starts_with("/// Refusals, in the order they are checked"))
            });
            if !documented {
                undocumented.push(format!("{}: {name}", source.path.display()));
            }
        }
    }
    assert!(operations >= 20, "only {operations} operations found");
    assert!(
        undocumented.is_empty(),
        "operations without their refusals in order:\n{}",
        undocumented.join("\n")
    );
}

#[test]
fn no_source_file_is_over_500_lines() {
    let long: Vec<String> = all_sources()
        .iter()
        .map(|s| (s.path.display().to_string(), s.text.lines().count()))
        .filter(|(_, n)| *n > 500)
        .map(|(p, n)| format!("{p}: {n} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "files over 500 lines:\n{}",
        long.join("\n")
    );
}

/// The file-level module graph (a module to the modules it names, each
/// cut to the importer's depth + 1 below their common room) has no circle.
#[test]
fn no_two_modules_import_each_other_in_a_circle() {
    let circles = circles(&all_sources());
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// The import circles among `sources`, each as `a -> b -> …` from its
/// smallest module.
fn circles(sources: &[Source]) -> BTreeSet<String> {
    let modules: BTreeSet<String> = sources.iter().map(|s| s.module.clone()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in sources {
        let edges = graph.entry(source.module.clone()).or_default();
        for import in imports(source) {
            // The longest module the import names.
            let mut target = import.clone();
            while !modules.contains(&target) && target.contains("::") {
                target.truncate(target.rfind("::").unwrap());
            }
            // A module naming its own children (`mod.rs` re-exports) or its
            // ancestors (their shared types) is not a circle of siblings.
            if !modules.contains(&target)
                || target == source.module
                || within(&target, &source.module)
                || within(&source.module, &target)
            {
                continue;
            }
            edges.insert(target);
        }
    }
    // Tarjan's strongly connected components, iteratively small: the graph
    // is a few hundred nodes, so a DFS per node is fine.
    let mut circles = BTreeSet::new();
    for start in graph.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if next == start {
                    let mut circle = path.clone();
                    let min = circle.iter().enumerate().min_by_key(|(_, m)| *m).unwrap().0;
                    circle.rotate_left(min);
                    circles.insert(circle.join(" -> "));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    circles
}

fn synthetic(files: &[(&str, &str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(module, path, text)| Source {
            module: (*module).into(),
            path: PathBuf::from(path),
            text: (*text).into(),
        })
        .collect()
}

/// The checks above can fail: each finds what it is for in made-up files.
#[test]
fn the_checks_find_a_forbidden_import_a_forbidden_crate_and_a_circle() {
    let sources = synthetic(&[
        (
            "portal::pages",
            "src/portal/pages.rs",
            "use crate::api::audit::{Download, self};\nuse crate::service::vouchers;",
        ),
        (
            "portal::kit",
            "src/portal/kit/mod.rs",
            "fn f() { sea_orm::Statement::from_string(); }",
        ),
        (
            "domain::money",
            "src/domain/money.rs",
            "// crate::store in a comment\nconst S: &str = \"crate::store\";",
        ),
        ("service::a", "src/service/a.rs", "use super::b::B;"),
        (
            "service::b",
            "src/service/b.rs",
            "use crate::service::{a::A, engine};",
        ),
        (
            "service::engine::ctx",
            "src/service/engine/ctx.rs",
            "use crate::service::vouchers::lock;",
        ),
    ]);
    let broken = broken_rules(&sources);
    let said = |what: &str| broken.iter().any(|b| b.contains(what));
    assert!(said("pages.rs (portal) imports api::audit"), "{broken:?}");
    assert!(said("kit/mod.rs uses sea_orm"), "{broken:?}");
    assert!(
        said("ctx.rs (service::engine) imports service::vouchers"),
        "{broken:?}"
    );
    assert!(
        !said("money.rs"),
        "comments and strings are not imports: {broken:?}"
    );
    assert!(
        !said("imports service::vouchers") || said("engine"),
        "{broken:?}"
    );
    assert_eq!(broken.len(), 3, "{broken:?}");
    let circles = circles(&sources);
    assert!(circles.contains("service::a -> service::b"), "{circles:?}");
}
