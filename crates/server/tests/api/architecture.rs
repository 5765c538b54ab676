//! The layout rules of docs/ARCHITECTURE.md, checked by reading the server's source tree (what
//! ArchUnit does for Java). A capability is a folder under `crates/server/src/`; the files at the
//! root are the shared kernel.
//!
//! 1. A capability's `api` and `pages` are reached only from inside themselves and from the kernel's
//!    assembly files (`app.rs`, `api.rs`, `demo.rs`): another capability never imports them, and a
//!    capability's own services and pages call its services, not its API.
//! 2. The kernel does not depend on capabilities, except for those assembly files.
//! 3. Handlers write nothing themselves: no transaction is opened or committed in a capability's `api`
//!    or `pages` (the service does it, audited).
//! 4. Every call from one capability into another is listed under "Allowed cross-capability calls"
//!    in docs/ARCHITECTURE.md (and every listed call still exists), and the capabilities' calls form
//!    no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const ASSEMBLY: &[&str] = &["app.rs", "api.rs", "demo.rs"];
const ALLOWED_HEADING: &str = "### Allowed cross-capability calls";

/// One source file: its path under `src/` (with `/`) and its text.
struct Source {
    path: String,
    text: String,
}

fn read_tree(dir: &Path, prefix: &str, out: &mut Vec<Source>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry"))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = format!("{prefix}{name}");
        if e.file_type().expect("file type").is_dir() {
            read_tree(&e.path(), &format!("{path}/"), out);
        } else if name.ends_with(".rs") {
            let text = std::fs::read_to_string(e.path()).expect("source file");
            out.push(Source { path, text });
        }
    }
}

/// The module path a file defines: `dispatch/api/incidents.rs` → dispatch::api::incidents,
/// `dispatch/mod.rs` → dispatch, `lib.rs` → the crate root.
fn module_of(path: &str) -> Vec<String> {
    let mut segs: Vec<String> = path.split('/').map(str::to_string).collect();
    let last = segs.pop().expect("file name");
    match last.as_str() {
        "mod.rs" | "lib.rs" => {}
        f => segs.push(f.trim_end_matches(".rs").to_string()),
    }
    segs
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Reads `a::b::{c, d::{e, f}}` at the start of `s` into full paths.
fn paths_at(s: &str, base: &[String], out: &mut Vec<Vec<String>>) {
    let mut cur = base.to_vec();
    let mut rest = s;
    loop {
        let ident: String = rest.chars().take_while(|c| is_ident(*c)).collect();
        if ident.is_empty() {
            if let Some(group) = rest.strip_prefix('{') {
                let mut depth = 1;
                let mut end = 0;
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                let inner = &group[..end];
                let mut depth = 0;
                let mut start = 0;
                for (i, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            paths_at(inner[start..i].trim(), &cur, out);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                paths_at(inner[start..].trim(), &cur, out);
                return;
            }
            break;
        }
        cur.push(ident.clone());
        rest = &rest[ident.len()..];
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    if cur.len() > base.len() && cur.last().is_some_and(|l| l != "self") {
        out.push(cur);
    } else if cur.len() > base.len() {
        cur.pop();
        out.push(cur);
    }
}

/// Every `crate::…` and `super::…` path a file names, resolved to a path from the crate root.
/// Comment lines are skipped, so a doc comment may name what it likes.
fn references(src: &Source) -> Vec<Vec<String>> {
    let module = module_of(&src.path);
    let mut out = Vec::new();
    for line in src.text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut from = 0;
        while let Some(i) = [code[from..].find("crate::"), code[from..].find("super::")]
            .into_iter()
            .flatten()
            .min()
        {
            let at = from + i;
            let preceded = code[..at].chars().next_back().is_some_and(is_ident);
            let (base, len) = if code[at..].starts_with("crate::") {
                (Vec::new(), "crate::".len())
            } else {
                let mut base = module.clone();
                let mut rest = &code[at..];
                let mut len = 0;
                while let Some(r) = rest.strip_prefix("super::") {
                    base.pop();
                    rest = r;
                    len += "super::".len();
                }
                (base, len)
            };
            if !preceded {
                paths_at(&code[at + len..], &base, &mut out);
            }
            from = at + len;
        }
    }
    out
}

/// The rules over a source tree; the answer lists every breach, one line each, and the calls
/// between capabilities that were found (`from → to::module`).
fn check(files: &[Source], allowed: &BTreeSet<String>) -> (Vec<String>, BTreeSet<String>) {
    let capabilities: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.path.split_once('/').map(|(c, _)| c.to_string()))
        .collect();
    let mut breaches = Vec::new();
    let mut calls = BTreeSet::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let owner = f.path.split_once('/').map(|(c, _)| c.to_string());
        let handler = owner.as_ref().is_some_and(|c| {
            ["api", "pages"].iter().any(|face| {
                f.path.starts_with(&format!("{c}/{face}/")) || f.path == format!("{c}/{face}.rs")
            })
        });
        if handler {
            let writes = f
                .text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .any(|l| l.contains("db.begin()") || l.contains("commit_audited("));
            if writes {
                breaches.push(format!(
                    "{}: a handler opens or commits a transaction — writes belong in the capability's service",
                    f.path
                ));
            }
        }
        let assembly = owner.is_none() && ASSEMBLY.contains(&f.path.as_str());
        for r in references(f) {
            let Some(target) = r.first().filter(|c| capabilities.contains(*c)) else {
                continue;
            };
            let face = r.get(1).map(String::as_str);
            if let Some(face @ ("api" | "pages")) = face {
                let inside = f.path.starts_with(&format!("{target}/{face}/"))
                    || f.path == format!("{target}/{face}.rs");
                if !inside && !assembly {
                    breaches.push(format!(
                        "{}: imports {} — a capability's {face} is reached only from itself and the assembly ({})",
                        f.path,
                        r.join("::"),
                        ASSEMBLY.join(", ")
                    ));
                    continue;
                }
            }
            match &owner {
                None if !assembly => breaches.push(format!(
                    "{}: the kernel imports the capability {} ({})",
                    f.path,
                    target,
                    r.join("::")
                )),
                Some(from) if from != target => {
                    let call = format!("{from} → {target}::{}", face.unwrap_or(""))
                        .trim_end_matches("::")
                        .to_string();
                    if !allowed.contains(&call) {
                        breaches.push(format!(
                            "{}: {call} ({}) is not among the allowed cross-capability calls in docs/ARCHITECTURE.md",
                            f.path,
                            r.join("::")
                        ));
                    }
                    calls.insert(call);
                    graph
                        .entry(from.clone())
                        .or_default()
                        .insert(target.clone());
                }
                _ => {}
            }
        }
    }
    for cycle in cycles(&graph) {
        breaches.push(format!(
            "capabilities call each other: {}",
            cycle.join(" → ")
        ));
    }
    breaches.sort();
    breaches.dedup();
    (breaches, calls)
}

/// Each cycle in the capability graph, once.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        stack: &mut Vec<String>,
        found: &mut BTreeSet<Vec<String>>,
    ) {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            // One rotation per cycle: start at its smallest name.
            let min = (0..cycle.len()).min_by_key(|&k| &cycle[k]).unwrap_or(0);
            cycle.rotate_left(min);
            cycle.push(cycle[0].clone());
            found.insert(cycle);
            return;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            walk(graph, next, stack, found);
        }
        stack.pop();
    }
    let mut found = BTreeSet::new();
    for node in graph.keys() {
        walk(graph, node, &mut Vec::new(), &mut found);
    }
    found.into_iter().collect()
}

/// The calls listed under the heading in docs/ARCHITECTURE.md: lines `- \`from\` → \`to::module\``.
fn allowed_calls(doc: &str) -> BTreeSet<String> {
    let section = doc
        .split_once(ALLOWED_HEADING)
        .unwrap_or_else(|| panic!("docs/ARCHITECTURE.md has no `{ALLOWED_HEADING}` section"))
        .1;
    let section = section.split("\n#").next().unwrap_or(section);
    section
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- `"))
        .filter_map(|l| {
            let (from, rest) = l.split_once("` → `")?;
            let (to, _) = rest.split_once('`')?;
            Some(format!("{from} → {to}"))
        })
        .collect()
}

#[test]
fn capabilities_keep_to_their_rooms() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    read_tree(&root.join("src"), "", &mut files);
    assert!(files.len() > 50, "read only {} files", files.len());
    let doc =
        std::fs::read_to_string(root.join("../../docs/ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let allowed = allowed_calls(&doc);
    assert!(
        !allowed.is_empty(),
        "no allowed calls parsed from ARCHITECTURE.md"
    );
    let (breaches, calls) = check(&files, &allowed);
    let stale: Vec<_> = allowed.difference(&calls).collect();
    assert!(
        breaches.is_empty() && stale.is_empty(),
        "architecture rules broken:\n  {}\nlisted in ARCHITECTURE.md but no longer made: {stale:?}",
        breaches.join("\n  ")
    );
}

fn tree(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(p, t)| Source {
            path: p.to_string(),
            text: t.to_string(),
        })
        .collect()
}

#[test]
fn the_checker_sees_forbidden_imports() {
    let allowed: BTreeSet<String> = ["public → dispatch::intake".to_string()].into();
    let fine = tree(&[
        (
            "api.rs",
            "const M: &[R] = &[crate::dispatch::api::incidents::router];",
        ),
        (
            "app.rs",
            "use crate::{dispatch, public};\nfn p() { dispatch::pages::router(); }",
        ),
        ("dispatch/mod.rs", "pub mod api;\npub mod intake;"),
        (
            "dispatch/intake.rs",
            "use crate::validate::text;\n/// See crate::mediation::api.\nfn f() {}",
        ),
        (
            "dispatch/api/incidents.rs",
            "use crate::dispatch::intake::{self, Report};\nuse super::units::Unit;",
        ),
        (
            "dispatch/api/units.rs",
            "use crate::dispatch::api::incidents;",
        ),
        ("public/mod.rs", "pub mod reports;"),
        ("public/reports.rs", "use crate::dispatch::intake::Report;"),
        ("validate.rs", "pub fn text() {}"),
    ]);
    let (breaches, calls) = check(&fine, &allowed);
    assert_eq!(breaches, Vec::<String>::new());
    assert_eq!(calls, allowed);

    let mut bad = fine;
    // Another capability's API, a service reaching into its own API (through super::), the kernel
    // depending on a capability, an unlisted call, and two capabilities calling each other.
    bad.push(Source {
        path: "public/pages.rs".into(),
        text: "use crate::{dispatch::api::incidents::{detail, NewIncident}, shell};".into(),
    });
    bad.push(Source {
        path: "dispatch/detail.rs".into(),
        text: "fn f() { super::api::incidents::router(); }".into(),
    });
    bad.push(Source {
        path: "validate.rs".into(),
        text: "use crate::public::reports::check;".into(),
    });
    bad.push(Source {
        path: "dispatch/actions.rs".into(),
        text: "fn f() { crate::public::reports::tracking(); }".into(),
    });
    bad.push(Source {
        path: "dispatch/api/units.rs".into(),
        text: "async fn create() { let mut tx = state.db.begin().await?; tx.commit_audited(vec![]).await?; }".into(),
    });
    let (breaches, _) = check(&bad, &allowed);
    let has = |needle: &str| breaches.iter().any(|b| b.contains(needle));
    assert!(
        has("public/pages.rs: imports dispatch::api::incidents::detail"),
        "{breaches:#?}"
    );
    assert!(
        has("public/pages.rs: imports dispatch::api::incidents::NewIncident"),
        "{breaches:#?}"
    );
    assert!(
        has("dispatch/detail.rs: imports dispatch::api::incidents::router"),
        "{breaches:#?}"
    );
    assert!(
        has("validate.rs: the kernel imports the capability public"),
        "{breaches:#?}"
    );
    assert!(
        has("dispatch/actions.rs: dispatch → public::reports"),
        "{breaches:#?}"
    );
    assert!(
        has("capabilities call each other: dispatch → public → dispatch"),
        "{breaches:#?}"
    );
    assert!(
        has("dispatch/api/units.rs: a handler opens or commits a transaction"),
        "{breaches:#?}"
    );
    assert_eq!(breaches.len(), 7, "{breaches:#?}");
}

#[test]
fn paths_are_read_as_rust_reads_them() {
    let src = Source {
        path: "cases/pages/review.rs".into(),
        text: "use crate::{a::{b, c::d}, e};\nuse super::super::inspect::Step;\nlet x = my_crate::z::y;\n// crate::hidden\nuse crate::cases::review::{self};".into(),
    };
    let got: Vec<String> = references(&src).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        got,
        [
            "a::b",
            "a::c::d",
            "e",
            "cases::inspect::Step",
            "cases::review"
        ]
    );
}
