//! The shape of the code: data flows one way between the modules of `src/`
//! (no import cycle), and no function outside tests is too long to read at
//! once. Both read the source files, so they fail on the change that breaks
//! them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest function body, in lines.
const MAX_FUNCTION_LINES: usize = 120;

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            source_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `a/b.rs` → `a::b`, `a/mod.rs` → `a`, `lib.rs` → ``.
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    parts.join("::")
}

/// The file without its `#[cfg(test)] mod … { … }` blocks and `//` comments.
fn code_of(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let next_is_mod = lines
            .get(i + 1)
            .is_some_and(|l| l.trim_start().starts_with("mod ") && l.contains('{'));
        if lines[i].trim() == "#[cfg(test)]" && next_is_mod {
            let mut depth = 0i64;
            i += 1;
            while i < lines.len() {
                depth += brace_balance(lines[i]);
                i += 1;
                if depth <= 0 {
                    break;
                }
            }
            continue;
        }
        let line = lines[i];
        let code = match line.find("//") {
            Some(k) if !line[..k].contains('"') => &line[..k],
            _ => line,
        };
        out.push(code.to_string());
        i += 1;
    }
    out
}

/// `{` minus `}` outside string and char literals.
fn brace_balance(line: &str) -> i64 {
    let code = line.split("//").next().unwrap_or("");
    let (mut depth, mut in_str, mut prev) = (0, false, ' ');
    let chars: Vec<char> = code.chars().collect();
    for (k, &c) in chars.iter().enumerate() {
        // A brace in a char literal ('{') does not count.
        let literal = prev == '\'' && chars.get(k + 1) == Some(&'\'');
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '{' if !in_str && !literal => depth += 1,
            '}' if !in_str && !literal => depth -= 1,
            _ => {}
        }
        prev = c;
    }
    depth
}

/// Paths starting at each `crate::`, `super::` or `use self::` in `code`,
/// groups (`a::{b, c}`) expanded one level.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(k) = code[from..].find(start) {
            let at = from + k;
            from = at + start.len();
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[at..];
            let head: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let after = &rest[head.len()..];
            if head.ends_with("::") && after.starts_with('{') {
                let inner: String = after[1..].chars().take_while(|&c| c != '}').collect();
                for item in inner.split(',') {
                    let item = item.split_whitespace().next().unwrap_or("");
                    out.push(format!("{head}{item}"));
                }
            } else {
                out.push(head.trim_end_matches("::").to_string());
            }
        }
    }
    out
}

/// The module a path names from module `here` (the longest known prefix).
fn resolve(path: &str, here: &str, modules: &BTreeSet<String>) -> Option<String> {
    let mut parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
    let mut base: Vec<&str> = if here.is_empty() {
        Vec::new()
    } else {
        here.split("::").collect()
    };
    match parts.first() {
        Some(&"crate") => {
            parts.remove(0);
            base.clear();
        }
        Some(&"super") => {
            while parts.first() == Some(&"super") {
                parts.remove(0);
                base.pop();
            }
        }
        _ => return None,
    }
    let full: Vec<&str> = base.into_iter().chain(parts).collect();
    (1..=full.len())
        .rev()
        .map(|k| full[..k].join("::"))
        .find(|m| modules.contains(m))
}

struct Source {
    module: String,
    rel: String,
    code: Vec<String>,
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).expect("under src");
            Source {
                module: module_of(rel),
                rel: rel.to_string_lossy().replace('\\', "/"),
                code: code_of(&std::fs::read_to_string(p).expect("read source")),
            }
        })
        .collect()
}

/// Module dependency edges (a module's own ancestors, which declare it, excluded).
fn edges(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = sources.iter().map(|s| s.module.clone()).collect();
    sources
        .iter()
        .map(|s| {
            let targets = s
                .code
                .iter()
                .flat_map(|line| paths(line))
                .filter_map(|p| resolve(&p, &s.module, &modules))
                .filter(|t| {
                    !t.is_empty() && *t != s.module && !s.module.starts_with(&format!("{t}::"))
                })
                .collect();
            (s.module.clone(), targets)
        })
        .collect()
}

/// Every cycle's modules (strongly connected components of two or more).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Kosaraju: finish order on the graph, then components on its transpose.
    fn finish(
        v: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        seen: &mut BTreeSet<String>,
        order: &mut Vec<String>,
    ) {
        if !seen.insert(v.to_string()) {
            return;
        }
        for w in edges.get(v).into_iter().flatten() {
            finish(w, edges, seen, order);
        }
        order.push(v.to_string());
    }
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    for v in edges.keys() {
        finish(v, edges, &mut seen, &mut order);
    }
    let mut reverse: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (v, ws) in edges {
        for w in ws {
            reverse.entry(w.clone()).or_default().insert(v.clone());
        }
    }
    let mut assigned = BTreeSet::new();
    let mut out = Vec::new();
    for v in order.iter().rev() {
        let mut component = Vec::new();
        finish(v, &reverse, &mut assigned, &mut component);
        if component.len() > 1 {
            component.sort();
            out.push(component);
        }
    }
    out
}

/// (lines, file, name) of every function outside tests.
fn functions(sources: &[Source]) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for s in sources {
        for (i, line) in s.code.iter().enumerate() {
            let Some(name) = fn_name(line) else {
                continue;
            };
            let (mut depth, mut started) = (0i64, false);
            for (j, l) in s.code[i..].iter().enumerate() {
                if !started && l.contains(';') && !l.contains('{') {
                    break;
                }
                depth += brace_balance(l);
                started |= l.contains('{');
                if started && depth <= 0 {
                    out.push((j + 1, s.rel.clone(), name.clone()));
                    break;
                }
            }
        }
    }
    out
}

/// The name of the function a line declares.
fn fn_name(line: &str) -> Option<String> {
    let mut words = line.split_whitespace().peekable();
    while let Some(w) = words.next() {
        let modifier = w.starts_with("pub")
            || matches!(w, "const" | "async" | "unsafe")
            || w.starts_with("extern");
        if w == "fn" {
            let name: String = words
                .next()?
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            return Some(name);
        }
        if !modifier {
            return None;
        }
    }
    None
}

#[test]
fn no_import_cycle_between_modules() {
    let sources = sources();
    let edges = edges(&sources);
    assert!(edges.len() > 30, "modules found: {}", edges.len());
    // The check sees real edges: the pipeline depends on the policy.
    assert!(edges["pipeline"].contains("policy"));
    assert_eq!(cycles(&edges), Vec::<Vec<String>>::new());
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(v, ws)| (v.into(), ws.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycles(&edges), vec![vec!["a", "b", "c"]]);
}

#[test]
fn no_function_too_long_to_read_at_once() {
    let all = functions(&sources());
    assert!(all.len() > 500, "functions found: {}", all.len());
    let long: Vec<&(usize, String, String)> =
        all.iter().filter(|f| f.0 > MAX_FUNCTION_LINES).collect();
    assert!(long.is_empty(), "over {MAX_FUNCTION_LINES} lines: {long:?}");
}
