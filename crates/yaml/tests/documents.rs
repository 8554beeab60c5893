//! Values, scalar resolution and positions of parsed documents.

use paved_yaml::{Limits, parse_documents};
use serde_json::json;

const MULTI: &str = "\
# leading comment
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: web
  annotations:
    backstage.io/techdocs-ref: dir:.
---
---
kind: API
spec:
  dependsOn:
    - a
    - b
    - c: 1
      d: [x, y]
  flow: {k: v, n: 3}
...
---
just a string
";

#[test]
fn multi_document_values_and_indices() {
    let docs = parse_documents(MULTI, &Limits::default()).unwrap();
    assert_eq!(docs.len(), 4);
    assert_eq!(
        docs.iter().map(|d| d.index).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    assert_eq!(
        docs[0].value["metadata"]["annotations"]["backstage.io/techdocs-ref"],
        "dir:."
    );
    assert_eq!(docs[1].value, json!(null));
    assert_eq!(
        docs[2].value["spec"]["dependsOn"][2],
        json!({"c": 1, "d": ["x", "y"]})
    );
    assert_eq!(docs[3].value, json!("just a string"));
    assert_eq!(docs[0].line, 2);
    assert_eq!(docs[2].line, 10);
    assert_eq!(docs[3].line, 20);
}

#[test]
fn positions_are_absolute_and_point_at_keys_or_items() {
    let docs = parse_documents(MULTI, &Limits::default()).unwrap();
    let p0 = &docs[0].positions;
    assert_eq!(p0.get(""), Some((2, 1)));
    assert_eq!(p0.get("kind"), Some((3, 1)));
    assert_eq!(p0.get("metadata.name"), Some((5, 3)));
    assert_eq!(
        p0.get(r#"metadata.annotations["backstage.io/techdocs-ref"]"#),
        Some((7, 5))
    );
    let p2 = &docs[2].positions;
    assert_eq!(p2.get("spec.dependsOn"), Some((12, 3)));
    assert_eq!(p2.get("spec.dependsOn[0]"), Some((13, 7)));
    assert_eq!(p2.get("spec.dependsOn[1]"), Some((14, 7)));
    assert_eq!(p2.get("spec.dependsOn[2]"), Some((15, 7)));
    assert_eq!(p2.get("spec.dependsOn[2].d"), Some((16, 7)));
    assert_eq!(p2.get("spec.dependsOn[2].d[1]"), Some((16, 14)));
    assert_eq!(p2.get("spec.flow.n"), Some((17, 16)));
    // Missing paths fall back to the nearest ancestor that exists.
    assert_eq!(p2.locate("spec.dependsOn[7]"), (12, 3));
    assert_eq!(p2.locate("spec.owner"), (11, 1));
    assert_eq!(p2.locate("nothing.here[3]"), (10, 1));
    assert_eq!(p0.locate(r#"metadata.annotations["x/y"]"#), (6, 3));
}

#[test]
fn aliases_copy_values_and_point_at_the_alias() {
    let doc = "base: &b\n  owner: team-a\n  tags: [x]\nc:\n  spec: *b\n";
    let docs = parse_documents(doc, &Limits::default()).unwrap();
    assert_eq!(
        docs[0].value["c"]["spec"],
        json!({"owner": "team-a", "tags": ["x"]})
    );
    assert_eq!(docs[0].positions.locate("c.spec.owner"), (5, 3));
}

#[test]
fn scalars_follow_the_yaml_1_2_core_schema() {
    let doc = "\
a: yes
b: on
c: true
d: '12'
e: 12
f: ~
g: !!str 3
h: 0x10
i: \"false\"
j: |
  line
k: 1.5
l: 2001-12-14
m: NO
";
    let v = &parse_documents(doc, &Limits::default()).unwrap()[0].value;
    assert_eq!(
        v,
        &json!({
            "a": "yes", "b": "on", "c": true, "d": "12", "e": 12, "f": null, "g": "3",
            "h": 16, "i": "false", "j": "line\n", "k": 1.5, "l": "2001-12-14", "m": "NO"
        })
    );
    let err = parse_documents("a: !!int abc\n", &Limits::default()).unwrap_err();
    assert_eq!((err.line, err.column), (1, 4));
    assert!(err.message.contains("not an integer"), "{}", err.message);
}

#[test]
fn empty_input_has_no_documents() {
    assert!(parse_documents("", &Limits::default()).unwrap().is_empty());
    assert!(
        parse_documents("# only a comment\n", &Limits::default())
            .unwrap()
            .is_empty()
    );
    let docs = parse_documents("---\n", &Limits::default()).unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].value, json!(null));
}

#[test]
fn columns_count_characters_not_bytes() {
    let docs = parse_documents("ä: {ö: 1, ü: 2}\n", &Limits::default()).unwrap();
    assert_eq!(docs[0].positions.get(r#"["ü"]"#), None);
    assert_eq!(docs[0].positions.get(r#"["ä"]["ü"]"#), Some((1, 11)));
}

#[test]
fn a_literal_block_records_where_its_text_starts() {
    let text = "\
kind: Policy
spec:
  rego:
    module: |

      package p
      deny contains msg if {
    data: |-
        two
  quoted: \"not a block\"
";
    let docs = parse_documents(text, &Limits::default()).unwrap();
    let positions = &docs[0].positions;
    // Line 1 of the module is the blank line after `module: |` (line 5);
    // its text is indented by 6 spaces.
    assert_eq!(positions.text_start("spec.rego.module"), Some((5, 7)));
    assert_eq!(
        docs[0].value["spec"]["rego"]["module"],
        "\npackage p\ndeny contains msg if {\n"
    );
    assert_eq!(positions.text_start("spec.rego.data"), Some((9, 9)));
    assert_eq!(positions.text_start("spec.quoted"), None);
    // The value itself is still located at its key.
    assert_eq!(positions.get("spec.rego.module"), Some((4, 5)));
}
