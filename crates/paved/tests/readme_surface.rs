//! README.md's table of operations is `paved::surface::OPERATIONS`, rendered:
//! the names each front uses, the defaults core applies, and why a front
//! differs. Regenerate it with `PAVED_BLESS=1 cargo test -p paved --test readme_surface`.

use std::path::Path;

const BEGIN: &str = "<!-- surface:begin (generated from crates/paved/src/surface.rs) -->";
const END: &str = "<!-- surface:end -->";

fn table() -> String {
    let mut out = String::from(
        "| operation | CLI | Python | Node | defaults | where a front differs, and why |\n|---|---|---|---|---|---|\n",
    );
    for op in paved::surface::OPERATIONS {
        let defaults = op
            .defaults
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; ");
        out.push_str(&format!(
            "| `{}`{} | {} | `{}` | `{}` | {} | {} |\n",
            op.name,
            if op.writes { " (writes)" } else { "" },
            op.cli
                .map(|c| format!("`paved {c}`"))
                .unwrap_or_else(|| "—".into()),
            op.python,
            op.node,
            defaults,
            op.why.unwrap_or(""),
        ));
    }
    out
}

#[test]
fn readme_lists_the_operations_of_the_facade() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (Some(a), Some(b)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md has no {BEGIN} … {END} block");
    };
    let expected = format!("{BEGIN}\n{}{END}", table());
    let current = &readme[a..b + END.len()];
    if current != expected {
        if std::env::var_os("PAVED_BLESS").is_some() {
            std::fs::write(&path, readme.replace(current, &expected)).unwrap();
            return;
        }
        panic!(
            "README.md's operations table is out of date; run PAVED_BLESS=1 cargo test -p paved --test readme_surface"
        );
    }
}
