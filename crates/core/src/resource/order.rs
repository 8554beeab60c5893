//! Dependency order: resources in levels, each level depending only on
//! earlier ones, so a level's resources can be worked on at once. A cycle
//! is an error that names it.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};

/// `deps`: each node's dependencies (nodes not in the map are ignored:
/// they are outside the plan). Returns the levels, each sorted.
pub fn levels(deps: &BTreeMap<String, Vec<String>>) -> Result<Vec<Vec<String>>> {
    let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
    for node in deps.keys() {
        let mut path = Vec::new();
        visit(node, deps, &mut depth, &mut path, &mut BTreeSet::new())?;
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    for (node, d) in depth {
        if out.len() <= d {
            out.resize(d + 1, Vec::new());
        }
        out[d].push(node.to_string());
    }
    Ok(out)
}

fn visit<'a>(
    node: &'a str,
    deps: &'a BTreeMap<String, Vec<String>>,
    depth: &mut BTreeMap<&'a str, usize>,
    path: &mut Vec<&'a str>,
    on_path: &mut BTreeSet<&'a str>,
) -> Result<usize> {
    if let Some(d) = depth.get(node) {
        return Ok(*d);
    }
    if on_path.contains(node) {
        let start = path.iter().position(|n| *n == node).unwrap_or(0);
        let mut cycle: Vec<&str> = path[start..].to_vec();
        cycle.push(node);
        return Err(Error::invalid(
            Diagnostic::error(
                "spec.dependsOn",
                format!(
                    "dependency cycle: {}; remove one of these dependencies",
                    cycle.join(" -> ")
                ),
            )
            .for_entity(node),
        ));
    }
    path.push(node);
    on_path.insert(node);
    let mut d = 0;
    for dep in deps.get(node).into_iter().flatten() {
        if deps.contains_key(dep) {
            d = d.max(visit(dep, deps, depth, path, on_path)? + 1);
        }
    }
    path.pop();
    on_path.remove(node);
    depth.insert(node, d);
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        edges
            .iter()
            .map(|(n, d)| (n.to_string(), d.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn dependencies_come_first_and_independent_ones_share_a_level() {
        let g = graph(&[
            ("app", &["db", "cache"]),
            ("db", &[]),
            ("cache", &[]),
            ("dns", &["app"]),
        ]);
        assert_eq!(
            levels(&g).unwrap(),
            vec![vec!["cache", "db"], vec!["app"], vec!["dns"]]
        );
    }

    #[test]
    fn a_cycle_is_named() {
        let g = graph(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"])]);
        let err = levels(&g).unwrap_err().to_string();
        assert!(err.contains("a -> b -> c -> a"), "{err}");
    }

    #[test]
    fn dependencies_outside_the_plan_are_ignored() {
        let g = graph(&[("a", &["elsewhere"])]);
        assert_eq!(levels(&g).unwrap(), vec![vec!["a"]]);
    }
}
