//! Hostile input is refused with the right kind of error, quickly and in small memory.

use paved_yaml::{Limits, YamlErrorKind, parse_documents};

/// The classic "billion laughs": nine levels of ten aliases each, 10^9 nodes if expanded.
fn billion_laughs() -> String {
    let mut s = String::from("a0: &a0 [\"lol\"]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        s.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    s
}

#[test]
fn billion_laughs_is_refused_before_expanding() {
    let err = parse_documents(&billion_laughs(), &Limits::default()).unwrap_err();
    assert_eq!(err.kind, YamlErrorKind::AliasExpansion);
    assert!(err.message.contains("10000"), "{}", err.message);
    // It fails on the line where the total first passes the limit (level 5: 11,110 nodes
    // would be copied), long before 10^9.
    assert_eq!(err.line, 5);
    assert_eq!(err.document, 0);
    // The fourth alias of a4 is the one that passes the limit.
    assert_eq!(err.path, "a4[3]");
}

#[test]
fn alias_limit_counts_every_copied_node() {
    let doc = "base: &b {x: 1, y: 2}\nc1: *b\nc2: *b\nc3: *b\n";
    // Each alias copies 5 nodes (the mapping, two keys, two values).
    let limits = Limits {
        max_alias_expansions: 15,
        ..Limits::default()
    };
    let docs = parse_documents(doc, &limits).unwrap();
    assert_eq!(docs[0].value["c3"]["y"], 2);
    let limits = Limits {
        max_alias_expansions: 14,
        ..Limits::default()
    };
    let err = parse_documents(doc, &limits).unwrap_err();
    assert_eq!(
        (err.kind, err.line, err.column),
        (YamlErrorKind::AliasExpansion, 4, 5)
    );
}

#[test]
fn ten_thousand_deep_flow_nesting_is_refused_without_overflow() {
    let depth = 10_000;
    let doc = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let err = parse_documents(&doc, &Limits::default()).unwrap_err();
    assert_eq!((err.kind, err.line), (YamlErrorKind::TooDeep, 1));
    assert!(err.message.contains("64 levels"), "{}", err.message);

    let doc = format!("{}1{}", "{a: ".repeat(depth), "}".repeat(depth));
    let err = parse_documents(&doc, &Limits::default()).unwrap_err();
    assert_eq!(err.kind, YamlErrorKind::TooDeep);
}

#[test]
fn the_first_level_past_the_limit_is_named() {
    let doc = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let err = parse_documents(&doc, &Limits::default()).unwrap_err();
    // The 65th `[` is the first one past the limit.
    assert_eq!(
        (err.kind, err.line, err.column),
        (YamlErrorKind::TooDeep, 1, 65)
    );
}

#[test]
fn deep_block_nesting_is_refused_at_the_limit() {
    let mut doc = String::new();
    for level in 0..100 {
        doc.push_str(&" ".repeat(level));
        doc.push_str("k:\n");
    }
    let limits = Limits {
        max_depth: 10,
        ..Limits::default()
    };
    let err = parse_documents(&doc, &limits).unwrap_err();
    assert_eq!(err.kind, YamlErrorKind::TooDeep);
    assert_eq!(err.line, 11, "{err}");
    // Exactly at the limit is fine.
    let ok: String = (0..10).map(|l| format!("{}k:\n", " ".repeat(l))).collect();
    assert!(parse_documents(&ok, &limits).is_ok());
}

#[test]
fn aliases_cannot_smuggle_depth() {
    let doc = "a: &a [[[1]]]\nb: [[*a]]\n";
    let limits = Limits {
        max_depth: 5,
        ..Limits::default()
    };
    // `b` is depth 1 (root) + 2 + 3 (the alias) = 6.
    let err = parse_documents(doc, &limits).unwrap_err();
    assert_eq!((err.kind, err.line), (YamlErrorKind::TooDeep, 2));
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let limits = Limits {
        max_bytes: 1024,
        ..Limits::default()
    };
    // Not even valid YAML: the size check comes first.
    let doc = format!("key: [{}", "x".repeat(2000));
    let err = parse_documents(&doc, &limits).unwrap_err();
    assert_eq!(err.kind, YamlErrorKind::TooLarge);
    assert!(err.message.contains("2006 bytes"), "{}", err.message);
    assert_eq!(err.line, 0);
}

#[test]
fn too_many_documents_and_nodes() {
    let limits = Limits {
        max_documents: 3,
        ..Limits::default()
    };
    let doc = "a: 1\n---\nb: 2\n---\nc: 3\n---\nd: 4\n";
    let err = parse_documents(doc, &limits).unwrap_err();
    assert_eq!(
        (err.kind, err.document, err.line),
        (YamlErrorKind::TooManyDocuments, 3, 6)
    );

    let limits = Limits {
        max_nodes: 10,
        ..Limits::default()
    };
    let doc = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
    let err = parse_documents(doc, &limits).unwrap_err();
    assert_eq!((err.kind, err.column), (YamlErrorKind::TooManyNodes, 29));
}

#[test]
fn duplicate_key_points_at_the_second_occurrence() {
    let doc = "metadata:\n  name: a\n  labels:\n    team: x\n  name: b\n";
    let err = parse_documents(doc, &Limits::default()).unwrap_err();
    assert_eq!(err.kind, YamlErrorKind::DuplicateKey);
    assert_eq!((err.line, err.column), (5, 3));
    assert_eq!(err.path, "metadata.name");
    assert!(
        err.message.contains("'name'") && err.message.contains("first on line 2"),
        "{}",
        err.message
    );
    // The same key in different mappings is fine.
    assert!(parse_documents("a: {x: 1}\nb: {x: 2}\n", &Limits::default()).is_ok());
}

#[test]
fn complex_keys_are_refused_and_scalar_keys_become_strings() {
    let err = parse_documents("? [a, b]\n: 1\n", &Limits::default()).unwrap_err();
    assert_eq!((err.kind, err.line), (YamlErrorKind::NonStringKey, 1));
    let err = parse_documents("{a: 1}: x\n", &Limits::default()).unwrap_err();
    assert_eq!(err.kind, YamlErrorKind::NonStringKey);

    // Plain keys are resolved, then written as JavaScript would (as Backstage reads them);
    // quoted keys are kept as written.
    let text = "1: a\nTrue: b\n1.50: c\nnull: d\n0x1F: e\n'1.50': f\n";
    let docs = parse_documents(text, &Limits::default()).unwrap();
    let keys: Vec<_> = docs[0].value.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["1", "true", "1.5", "", "31", "1.50"]);
    let err = parse_documents(
        "true: 1
True: 2
",
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!((err.kind, err.line), (YamlErrorKind::DuplicateKey, 2));
}

#[test]
fn unknown_and_recursive_aliases() {
    let err = parse_documents("a: *nope\n", &Limits::default()).unwrap_err();
    assert_eq!(
        (err.kind, err.line, err.column),
        (YamlErrorKind::UnknownAlias, 1, 4)
    );
    // Anchors do not cross documents.
    let err = parse_documents("a: &x 1\n---\nb: *x\n", &Limits::default()).unwrap_err();
    assert_eq!(
        (err.kind, err.document, err.line),
        (YamlErrorKind::UnknownAlias, 1, 3)
    );
    assert!(err.message.contains("'*x'"), "{}", err.message);
    let err = parse_documents("a: &x [1, *x]\n", &Limits::default()).unwrap_err();
    assert_eq!(err.kind, YamlErrorKind::UnknownAlias);
    assert!(err.message.contains("recursive"), "{}", err.message);
}

#[test]
fn syntax_errors_have_a_place() {
    let doc = "apiVersion: v1\nkind: Component\nmetadata:\n  name: [unclosed\n  x: 1\n";
    let err = parse_documents(doc, &Limits::default()).unwrap_err();
    assert_eq!(err.kind, YamlErrorKind::Syntax);
    assert!(err.line >= 4, "{err}");
    assert!(err.message.starts_with("invalid YAML"), "{}", err.message);

    let err = parse_documents("a: 1\n---\nb: c: d\n", &Limits::default()).unwrap_err();
    assert_eq!(
        (err.kind, err.document, err.line),
        (YamlErrorKind::Syntax, 1, 3)
    );
}
