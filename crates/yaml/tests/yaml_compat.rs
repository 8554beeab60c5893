//! Differential test: paved-yaml against the `yaml` npm package that
//! Backstage's catalogue uses to read catalogue files (`parseAllDocuments`,
//! default options: YAML 1.2 core schema, no merge keys). Every input of the
//! corpus must give the same JSON documents, or be refused by both.
//!
//! Needs `node` and `tools/backstage/node_modules` (`npm ci --prefix tools/backstage`).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use paved_yaml::{Limits, parse_documents};
use serde_json::Value;

const CORPUS: &[&str] = &[
    // core-schema scalars
    "a: null\nb: Null\nc: NULL\nd: ~\ne:\nf: ''\n",
    "a: true\nb: True\nc: TRUE\nd: false\ne: yes\nf: no\ng: on\nh: off\ni: y\nj: n\n",
    "a: 1\nb: -1\nc: +1\nd: 012\ne: 0o17\nf: 0x1F\ng: 1_000\nh: 0b101\ni: 00\n",
    "a: 1.5\nb: -.5\nc: 1.\nd: 1e3\ne: 2.5E-1\nf: +1.5e+2\ng: 1.2.3\nh: 6.02e23\n",
    "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 12:30:45\nd: 1:20\n",
    "a: '12'\nb: \"true\"\nc: 'null'\nd: \"\"\n",
    // strings
    "a: hello world\nb: hello: world\nc: a#b\nd: a # comment\ne: 'it''s'\nf: \"tab\\tnew\\nline \\u00e9\"\n",
    "a: multi\n  line\n  plain\nb: 'multi\n\n  quoted'\n",
    "a: |\n  keep\n  lines\nb: >\n  folded\n  lines\n\n  para\nc: |-\n  strip\nd: |+\n  keep\n\ne: end\n",
    "a: >2\n   indented\n  text\n",
    "- |\n  in a list\n- >-\n  folded\n  item\n",
    // tags
    "a: !!str 12\nb: !!str true\nc: !!int \"7\"\nd: !!float 3.5\ne: !!null ''\nf: !!bool \"true\"\n",
    "a: !custom hello\nb: ! 12\n",
    // collections
    "a: [1, two, 'three', {x: y}]\nb: {c: [d, e], f: {}}\nc: []\n",
    "a:\n- 1\n- 2\nb:\n  - c: 1\n    d: 2\n  - - nested\n    - list\n",
    "? complex\n: value\n",
    "{a: 1, b: 2}",
    "- a\n- b\n",
    "plain scalar document",
    // keys
    "1: one\ntrue: t\n1.50: f\nnull: n\n0x1F: hex\n1e3: e\n\"quoted key\": q\n'a.b': dots\n\"1.50\": q\n",
    "true: t\nTrue: T\n",
    "null: n\n~: tilde\n",
    "? \n: empty key\n",
    "metadata:\n  annotations:\n    backstage.io/techdocs-ref: dir:.\n    \"example.com/x y\": z\n",
    // anchors and aliases
    "base: &b {owner: team-a, tags: [x]}\nc: *b\nd: [*b, *b]\n",
    "a: &s str\nb: *s\n*s : key from alias\n",
    "a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n",
    "a: *undefined\n",
    "a: &x [1, *x]\n",
    // documents
    "a: 1\n---\nb: 2\n",
    "---\n---\n",
    "# only a comment\n",
    "",
    "a: 1\n...\n---\nb: 2\n...\n",
    "%YAML 1.2\n---\na: 1\n",
    "--- |\n  literal document\n",
    "a: 1\n---\nb: &x 1\n---\nc: *x\n",
    // errors
    "a: [unclosed\n",
    "a: b: c\n",
    "a: 1\na: 2\n",
    "a:\n  b: 1\n b: 2\n",
    "a: 'unterminated\n",
    "key: value\n- item\n",
    "a: @reserved\n",
    "- a\nb: c\n",
    "a: {b: 1, b: 2}\n",
    // unicode
    "ä: ö\nemoji: \"\\U0001F600\"\nchinese: 中文\n",
    "\u{feff}a: bom\n",
];

/// Inputs where paved and the `yaml` package knowingly disagree, and why.
const KNOWN_DEVIATIONS: &[(&str, &str)] = &[
    (
        "a: !!float 3\n",
        "YAML 1.2's core-schema float pattern includes integers, so paved reads 3; `yaml` keeps the string \"3\"",
    ),
    (
        "? [a, b]\n: seq key\n",
        "paved refuses complex keys (entities only have string keys); `yaml` stringifies them to \"[ a, b ]\"",
    ),
    (
        "{a: 1}: x\n",
        "paved refuses complex keys; `yaml` stringifies them to \"{ a: 1 }\"",
    ),
    (
        "\tb: tab indent\n",
        "saphyr-parser accepts a tab before a top-level key; `yaml` refuses tabs as indentation",
    ),
];

fn node_docs(inputs: &[&str]) -> Vec<Value> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap();
    let tools = workspace.join("tools/backstage");
    assert!(
        tools.join("node_modules/yaml/package.json").exists(),
        "this test needs node and {}; run `npm ci --prefix tools/backstage` first",
        tools.join("node_modules").display()
    );
    let script = r#"
        const YAML = require('yaml');
        const inputs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
        const out = inputs.map(text => {
            try {
                const docs = YAML.parseAllDocuments(text);
                if (!Array.isArray(docs)) return { error: 'not a document stream' };
                const bad = docs.find(d => d.errors.length > 0);
                if (bad) return { error: bad.errors[0].message };
                const json = docs.map(d => d.toJSON());
                JSON.stringify(json); // throws on a recursive alias
                return { docs: json };
            } catch (e) {
                return { error: String(e) };
            }
        });
        process.stdout.write(JSON.stringify(out));
    "#;
    let mut child = Command::new("node")
        .arg("-e")
        .arg(script)
        .current_dir(&tools)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node (is Node.js installed?)");
    let input = serde_json::to_vec(inputs).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&output.stdout).unwrap()
}

/// JSON equality with numbers compared as f64 (JavaScript has one number type).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        // JavaScript objects list integer-like keys first; order does not matter.
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn agree(input: &str, theirs: &Value) -> Result<(), String> {
    let ours = parse_documents(input, &Limits::default());
    let agree = match (&ours, theirs.get("docs")) {
        (Ok(docs), Some(Value::Array(their_docs))) => {
            docs.len() == their_docs.len()
                && docs.iter().zip(their_docs).all(|(d, t)| same(&d.value, t))
        }
        (Err(_), None) => true,
        _ => false,
    };
    if agree {
        return Ok(());
    }
    let ours = match &ours {
        Ok(docs) => format!("{:?}", docs.iter().map(|d| &d.value).collect::<Vec<_>>()),
        Err(e) => format!("error: {e}"),
    };
    Err(format!(
        "input {input:?}\n  paved:    {ours}\n  yaml npm: {theirs}"
    ))
}

#[test]
fn paved_yaml_reads_what_backstage_reads() {
    let theirs = node_docs(CORPUS);
    let mismatches: Vec<String> = CORPUS
        .iter()
        .zip(&theirs)
        .filter_map(|(input, theirs)| agree(input, theirs).err())
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn known_deviations_still_differ() {
    let inputs: Vec<&str> = KNOWN_DEVIATIONS.iter().map(|(input, _)| *input).collect();
    let theirs = node_docs(&inputs);
    for ((input, why), theirs) in KNOWN_DEVIATIONS.iter().zip(&theirs) {
        assert!(
            agree(input, theirs).is_err(),
            "{input:?} now agrees; drop it from KNOWN_DEVIATIONS ({why})"
        );
    }
}
