use serde_json::{Value as Json, json};

use super::{ExprError, Expressions};

fn ctx() -> Json {
    json!({
        "parameters": {
            "name": "My-Service",
            "count": 3,
            "ratio": 1.5,
            "whole": 2.0,
            "enabled": true,
            "disabled": false,
            "version": "42",
            "empty": "",
            "nothing": null,
            "tags": ["a", "b"],
            "none": [],
            "config": { "z": 1, "a": { "deep": [10, 20] } },
            "repoUrl": "github.com?owner=backstage&repo=backstage",
            "owner": "group:techdocs",
            "flagText": "false",
        },
        "steps": {
            "fetch": { "output": { "x": "from-fetch", "n": 7 } },
            "publish-repo": { "output": { "remoteUrl": "https://github.com/o/r" } },
        },
        "user": {
            "entity": { "metadata": { "name": "jdoe" }, "spec": { "profile": { "email": "j@example.com" } } },
            "ref": "user:default/jdoe",
        },
        "each": { "key": "0", "value": { "name": "svc-a" } },
        "secrets": { "token": "s3cret" },
        "context": { "task": { "id": "task-1" } },
    })
}

fn eval(s: &str) -> Json {
    Expressions::new()
        .evaluate(&json!(s), &ctx(), "v")
        .unwrap_or_else(|e| panic!("evaluating {s:?}: {e}"))
}

fn eval_err(s: &str) -> ExprError {
    match Expressions::new().evaluate(&json!(s), &ctx(), "v") {
        Ok(v) => panic!("evaluating {s:?} should fail, got {v}"),
        Err(e) => e,
    }
}

/// Evaluate inside an object, so an undefined result is visible as a missing key.
fn eval_in_object(s: &str) -> Option<Json> {
    let out = Expressions::new()
        .evaluate(&json!({ "k": s }), &ctx(), "input")
        .unwrap_or_else(|e| panic!("evaluating {s:?}: {e}"));
    out.get("k").cloned()
}

fn cond(c: Json) -> bool {
    Expressions::new()
        .condition(&c, &ctx(), "if")
        .unwrap_or_else(|e| panic!("condition {c}: {e}"))
}

fn skeleton(text: &str, values: Json) -> Result<String, ExprError> {
    Expressions::new().render_skeleton(text, &values, "skeleton/README.md")
}

// ----- type preservation ---------------------------------------------------

#[test]
fn single_expression_keeps_type() {
    assert_eq!(eval("${{ parameters.count }}"), json!(3));
    assert_eq!(eval("${{ parameters.ratio }}"), json!(1.5));
    assert_eq!(eval("${{ parameters.enabled }}"), json!(true));
    assert_eq!(eval("${{ parameters.disabled }}"), json!(false));
    assert_eq!(eval("${{ parameters.tags }}"), json!(["a", "b"]));
    assert_eq!(eval("${{ parameters.nothing }}"), Json::Null);
    assert_eq!(eval("${{parameters.name}}"), json!("My-Service"));
    assert_eq!(eval("${{ parameters.count + 1 }}"), json!(4));
    assert_eq!(eval("${{ parameters.count > 2 }}"), json!(true));
}

#[test]
fn string_that_looks_like_a_number_stays_a_string() {
    // Backstage dumps the value to JSON and parses it back: "42" stays "42".
    assert_eq!(eval("${{ parameters.version }}"), json!("42"));
    assert_eq!(eval("${{ '123' }}"), json!("123"));
    // ...but in mixed text everything is text
    assert_eq!(eval("v${{ parameters.count }}"), json!("v3"));
}

#[test]
fn whole_floats_are_integers_like_javascript() {
    assert_eq!(eval("${{ parameters.whole }}"), json!(2));
    assert_eq!(eval("${{ 4 / 2 }}"), json!(2));
    assert_eq!(eval("${{ 7 / 2 }}"), json!(3.5));
    assert_eq!(eval("n=${{ parameters.whole }}"), json!("n=2"));
}

#[test]
fn objects_keep_their_key_order() {
    let out = eval("${{ parameters.config }}");
    assert_eq!(out, json!({ "z": 1, "a": { "deep": [10, 20] } }));
    let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["z", "a"]);
    assert_eq!(
        eval("${{ parameters.config | dump }}"),
        json!(r#"{"z":1,"a":{"deep":[10,20]}}"#)
    );
}

#[test]
fn non_string_values_pass_through() {
    let e = Expressions::new();
    let input = json!({ "n": 1, "b": false, "nil": null, "list": [1, true, null], "f": 0.25 });
    assert_eq!(e.evaluate(&input, &ctx(), "").unwrap(), input);
}

#[test]
fn plain_strings_are_unchanged_including_github_actions_syntax() {
    assert_eq!(eval("hello"), json!("hello"));
    // Backstage would leave an unparsable string as it is; here it is an error
    assert!(eval_err("${{").message.contains("syntax error"));
    assert_eq!(
        eval("run: echo {{ github.sha }}"),
        json!("run: echo {{ github.sha }}")
    );
    assert_eq!(
        eval("echo ${{ '${{ github.sha }}' }}"),
        json!("echo ${{ github.sha }}")
    );
}

// ----- undefined --------------------------------------------------------------

#[test]
fn undefined_single_expression_drops_the_key() {
    // a typo is not an error in Backstage: the key disappears
    assert_eq!(eval_in_object("${{ parameters.nmae }}"), None);
    assert_eq!(eval_in_object("${{ parameters.nmae.deeper.still }}"), None);
    assert_eq!(eval_in_object("${{ parameters.nothing.x }}"), None);
    // and as the whole value it becomes null
    assert_eq!(eval("${{ parameters.nmae }}"), Json::Null);
}

#[test]
fn empty_results_are_undefined_like_backstage() {
    // mixed text rendering to '' and a literal '' are dropped
    assert_eq!(eval_in_object("${{ parameters.nmae }}{# comment #}"), None);
    assert_eq!(eval_in_object(""), None);
    assert_eq!(eval_in_object("{% if false %}x{% endif %}"), None);
    // but a single expression yielding an empty string keeps it ('""' from dump)
    assert_eq!(eval_in_object("${{ parameters.empty }}"), Some(json!("")));
    assert_eq!(eval_in_object("${{ '' }}"), Some(json!("")));
    // undefined inside mixed text renders as nothing
    assert_eq!(eval("a-${{ parameters.nmae }}-b"), json!("a--b"));
    assert_eq!(eval("a-${{ parameters.nothing }}-b"), json!("a--b"));
}

#[test]
fn undefined_in_arrays_becomes_null() {
    let out = Expressions::new()
        .evaluate(&json!(["${{ parameters.nmae }}", "x", ""]), &ctx(), "")
        .unwrap();
    assert_eq!(out, json!([null, "x", null]));
}

// ----- mixed text ---------------------------------------------------------------

#[test]
fn mixed_text_renders_to_string() {
    assert_eq!(
        eval("Hello ${{ parameters.name }}!"),
        json!("Hello My-Service!")
    );
    assert_eq!(
        eval("${{ parameters.count }}${{ parameters.count }}"),
        json!("33")
    );
    assert_eq!(eval(" ${{ parameters.count }}"), json!(" 3"));
    assert_eq!(eval("on=${{ parameters.enabled }}"), json!("on=true"));
    assert_eq!(eval("tags: ${{ parameters.tags }}"), json!("tags: a,b"));
    assert_eq!(
        eval("cfg ${{ parameters.config }}"),
        json!(r#"cfg {"z":1,"a":{"deep":[10,20]}}"#)
    );
    assert_eq!(
        eval("{% for t in parameters.tags %}[${{ t }}]{% endfor %}"),
        json!("[a][b]")
    );
}

#[test]
fn single_block_statement_is_parsed_as_json_like_backstage() {
    assert_eq!(
        eval("{% if parameters.enabled %}${{ parameters.count }}{% endif %}"),
        json!(3)
    );
    assert_eq!(
        eval("{% if parameters.enabled %}yes{% else %}no{% endif %}"),
        json!("yes")
    );
    assert_eq!(
        eval_in_object("{% if parameters.disabled %}${{ parameters.count }}{% endif %}"),
        None
    );
}

// ----- structure and paths -----------------------------------------------------------

#[test]
fn nested_values_are_evaluated_recursively() {
    let input = json!({
        "repoUrl": "${{ parameters.repoUrl }}",
        "values": {
            "name": "${{ parameters.name | lower }}",
            "list": ["${{ parameters.count }}", { "deep": "${{ parameters.enabled }}" }],
            "missing": "${{ parameters.nmae }}",
        },
    });
    let out = Expressions::new()
        .evaluate(&input, &ctx(), "spec.steps[0].input")
        .unwrap();
    assert_eq!(
        out,
        json!({
            "repoUrl": "github.com?owner=backstage&repo=backstage",
            "values": { "name": "my-service", "list": [3, { "deep": true }] },
        })
    );
}

#[test]
fn errors_carry_the_json_path() {
    let input = json!({
        "values": { "list": ["ok", "${{ parameters.name | nosuchfilter }}"] },
    });
    let err = Expressions::new()
        .evaluate(&input, &ctx(), "spec.steps[0].input")
        .unwrap_err();
    assert_eq!(err.path, "spec.steps[0].input.values.list[1]");
    assert!(err.message.contains("unknown filter"), "{}", err.message);
    assert!(
        err.to_string()
            .starts_with("spec.steps[0].input.values.list[1]: ")
    );

    let err = Expressions::new()
        .evaluate(&json!({ "odd key": "${{ 1 + }}" }), &ctx(), "")
        .unwrap_err();
    assert_eq!(err.path, r#"["odd key"]"#);
    assert!(err.message.contains("syntax error"), "{}", err.message);
}

#[test]
fn templated_object_keys_are_rendered() {
    let out = Expressions::new()
        .evaluate(
            &json!({ "${{ parameters.name | lower }}": "${{ parameters.count }}", "plain": 1 }),
            &ctx(),
            "",
        )
        .unwrap();
    assert_eq!(out, json!({ "my-service": 3, "plain": 1 }));
    let err = Expressions::new()
        .evaluate(&json!({ "${{ parameters.nmae }}": 1 }), &ctx(), "input")
        .unwrap_err();
    assert!(err.message.contains("empty"), "{}", err.message);
}

// ----- context access ------------------------------------------------------------------

#[test]
fn step_outputs_by_attribute_and_by_index() {
    assert_eq!(eval("${{ steps['fetch'].output.x }}"), json!("from-fetch"));
    assert_eq!(eval("${{ steps.fetch.output.x }}"), json!("from-fetch"));
    assert_eq!(eval("${{ steps.fetch.output.n }}"), json!(7));
    assert_eq!(
        eval("${{ steps['publish-repo'].output.remoteUrl }}"),
        json!("https://github.com/o/r")
    );
    assert_eq!(eval_in_object("${{ steps.nope.output.x }}"), None);
}

#[test]
fn each_user_secrets_and_context() {
    assert_eq!(eval("${{ each.key }}"), json!("0"));
    assert_eq!(eval("${{ each.value.name }}"), json!("svc-a"));
    assert_eq!(eval("${{ user.entity.metadata.name }}"), json!("jdoe"));
    assert_eq!(
        eval("${{ user.entity.spec.profile.email }}"),
        json!("j@example.com")
    );
    assert_eq!(eval("${{ user.ref }}"), json!("user:default/jdoe"));
    assert_eq!(eval("Bearer ${{ secrets.token }}"), json!("Bearer s3cret"));
    assert_eq!(eval("${{ context.task.id }}"), json!("task-1"));
}

// ----- filters ------------------------------------------------------------------------------

#[test]
fn parse_repo_url_backstage_example() {
    // Backstage's example: github.com?repo=backstage&owner=backstage
    assert_eq!(
        eval("${{ parameters.repoUrl | parseRepoUrl }}"),
        json!({ "host": "github.com", "owner": "backstage", "repo": "backstage" })
    );
    assert_eq!(
        eval("${{ (parameters.repoUrl | parseRepoUrl).owner }}"),
        json!("backstage")
    );
    assert_eq!(
        eval("${{ 'github.com?repo=r&owner=o&organization=org' | parseRepoUrl }}"),
        json!({ "host": "github.com", "owner": "o", "repo": "r", "organization": "org" })
    );
}

#[test]
fn parse_repo_url_per_host_kind() {
    // values are URL-decoded and trimmed of '/'
    assert_eq!(
        eval("${{ 'github.example.com:8443?owner=%2F%2Fteam%2Fsub%2F&repo=svc' | parseRepoUrl }}"),
        json!({ "host": "github.example.com:8443", "owner": "team/sub", "repo": "svc" })
    );
    // GitLab: a project id replaces owner and repo
    assert_eq!(
        eval("${{ 'gitlab.com?project=123456' | parseRepoUrl }}"),
        json!({ "host": "gitlab.com", "project": "123456" })
    );
    assert_eq!(
        eval("${{ 'bitbucket.org?workspace=w&project=p&repo=r' | parseRepoUrl }}"),
        json!({ "host": "bitbucket.org", "repo": "r", "workspace": "w", "project": "p" })
    );
    assert_eq!(
        eval("${{ 'dev.azure.com?organization=org&project=p&repo=r' | parseRepoUrl }}"),
        json!({ "host": "dev.azure.com", "repo": "r", "organization": "org", "project": "p" })
    );
}

#[test]
fn parse_repo_url_errors() {
    let e = eval_err("${{ 'github.com?repo=r' | parseRepoUrl }}");
    assert!(e.message.contains("missing owner"), "{}", e.message);
    let e = eval_err("${{ 'bitbucket.org?project=p&repo=r' | parseRepoUrl }}");
    assert!(e.message.contains("missing workspace"), "{}", e.message);
    let e = eval_err("${{ 'gitlab.com?owner=o' | parseRepoUrl }}");
    assert!(e.message.contains("missing repo"), "{}", e.message);
    let e = eval_err("${{ '' | parseRepoUrl }}");
    assert!(e.message.contains("Invalid repo URL"), "{}", e.message);
    let e = eval_err("${{ parameters.nmae | parseRepoUrl }}");
    assert!(
        e.message
            .contains("parseRepoUrl: expected a repository URL string"),
        "{}",
        e.message
    );
}

#[test]
fn project_slug_backstage_example() {
    assert_eq!(
        eval("${{ parameters.repoUrl | projectSlug }}"),
        json!("backstage/backstage")
    );
    assert!(
        eval_err("${{ 'github.com?owner=o' | projectSlug }}")
            .message
            .contains("missing repo")
    );
}

#[test]
fn parse_entity_ref_backstage_examples() {
    // without context: group:techdocs
    assert_eq!(
        eval("${{ parameters.owner | parseEntityRef }}"),
        json!({ "kind": "group", "namespace": "default", "name": "techdocs" })
    );
    // with context, written the Nunjucks way (unquoted keys)
    assert_eq!(
        eval(
            r#"${{ 'techdocs' | parseEntityRef({ defaultKind:"group", defaultNamespace:"another-namespace" }) }}"#
        ),
        json!({ "kind": "group", "namespace": "another-namespace", "name": "techdocs" })
    );
    // quoted keys and keyword arguments work too
    assert_eq!(
        eval("${{ 'techdocs' | parseEntityRef({'defaultKind': 'user'}) }}"),
        json!({ "kind": "user", "namespace": "default", "name": "techdocs" })
    );
    assert_eq!(
        eval("${{ 'techdocs' | parseEntityRef(defaultKind='group') }}"),
        json!({ "kind": "group", "namespace": "default", "name": "techdocs" })
    );
    assert_eq!(
        eval("${{ 'component:ns/svc' | parseEntityRef }}"),
        json!({ "kind": "component", "namespace": "ns", "name": "svc" })
    );
    assert_eq!(
        eval("${{ (user.ref | parseEntityRef).name }}"),
        json!("jdoe")
    );
}

#[test]
fn parse_entity_ref_errors() {
    let e = eval_err("${{ 'techdocs' | parseEntityRef }}");
    assert_eq!(
        e.message,
        "parseEntityRef: Entity reference \"techdocs\" had missing or empty kind \
         (e.g. did not start with \"component:\" or similar)"
    );
    let e = eval_err("${{ 'group:' | parseEntityRef }}");
    assert!(e.message.contains("was not on the form"), "{}", e.message);
    let e = eval_err("${{ '' | parseEntityRef }}");
    assert!(e.message.contains("must not be empty"), "{}", e.message);
}

#[test]
fn pick_backstage_example_and_lodash_paths() {
    // Backstage's example: parameters.owner | parseEntityRef | pick('name')
    assert_eq!(
        eval("${{ parameters.owner | parseEntityRef | pick('name') }}"),
        json!("techdocs")
    );
    assert_eq!(
        eval("${{ parameters.config | pick('a.deep[1]') }}"),
        json!(20)
    );
    assert_eq!(
        eval("${{ parameters.config | pick(['a', 'deep', 0]) }}"),
        json!(10)
    );
    assert_eq!(
        eval("${{ steps | pick('[\"publish-repo\"].output.remoteUrl') }}"),
        json!("https://github.com/o/r")
    );
    assert_eq!(
        eval_in_object("${{ parameters.config | pick('a.nope.x') }}"),
        None
    );
}

#[test]
fn dump_is_json_stringify() {
    assert_eq!(eval("${{ parameters.tags | dump }}"), json!(r#"["a","b"]"#));
    assert_eq!(
        eval("x=${{ parameters.name | dump }}"),
        json!(r#"x="My-Service""#)
    );
    assert_eq!(eval("${{ {'a': 1} | dump(2) }}"), json!("{\n  \"a\": 1\n}"));
    assert_eq!(eval_in_object("${{ parameters.nmae | dump }}"), None);
}

#[test]
fn common_nunjucks_filters() {
    assert_eq!(eval("${{ parameters.name | lower }}"), json!("my-service"));
    assert_eq!(eval("${{ parameters.name | upper }}"), json!("MY-SERVICE"));
    assert_eq!(
        eval("${{ parameters.name | replace('-', '_') }}"),
        json!("My_Service")
    );
    assert_eq!(eval("${{ '  x  ' | trim }}"), json!("x"));
    assert_eq!(
        eval("${{ parameters.nmae | default('fallback') }}"),
        json!("fallback")
    );
    assert_eq!(
        eval("${{ parameters.nmae | d('fallback') }}"),
        json!("fallback")
    );
    assert_eq!(
        eval("${{ parameters.empty | default('fallback', true) }}"),
        json!("fallback")
    );
    assert_eq!(eval("${{ parameters.tags | join('/') }}"), json!("a/b"));
    assert_eq!(eval("${{ parameters.tags | length }}"), json!(2));
    assert_eq!(eval("${{ parameters.name | length }}"), json!(10));
    assert_eq!(eval("${{ parameters.nmae | length }}"), json!(0));
    assert_eq!(eval("${{ parameters.config | length }}"), json!(2));
    assert_eq!(eval("${{ parameters.tags | first }}"), json!("a"));
    assert_eq!(eval("${{ parameters.tags | last }}"), json!("b"));
    assert_eq!(eval("${{ parameters.name | title }}"), json!("My-Service"));
    assert_eq!(eval("${{ 'a b' | urlencode }}"), json!("a%20b"));
}

#[test]
fn javascript_idioms_from_nunjucks_templates() {
    assert_eq!(eval("${{ parameters.tags.length }}"), json!(2));
    assert_eq!(eval("${{ parameters.name.length > 3 }}"), json!(true));
    assert_eq!(eval("${{ parameters.config.a.deep.length }}"), json!(2));
    assert_eq!(
        eval("${{ [1, 2, 3].length + (parameters.tags).length }}"),
        json!(5)
    );
    assert_eq!(
        eval("{% for t in parameters.tags %}${{ loop.index }}/${{ loop.length }} {% endfor %}"),
        json!("1/2 2/2 ")
    );
    assert_eq!(eval_in_object("${{ parameters.nmae.length }}"), None);
    assert_eq!(
        eval("${{ parameters.name.toLowerCase() }}"),
        json!("my-service")
    );
    assert_eq!(
        eval("${{ steps.fetch.output.x.split('-')[1] }}"),
        json!("fetch")
    );
    assert_eq!(eval("${{ parameters.name.startsWith('My') }}"), json!(true));
    assert_eq!(
        eval("${{ parameters.name.replace('-', '') }}"),
        json!("MyService")
    );
    assert_eq!(eval("${{ parameters.tags.join('+') }}"), json!("a+b"));
    assert_eq!(eval("${{ parameters.tags.includes('b') }}"), json!(true));
    assert_eq!(eval("${{ parameters.name === 'My-Service' }}"), json!(true));
    assert_eq!(eval("${{ parameters.count !== 3 }}"), json!(false));
    assert_eq!(eval("${{ parameters.nothing == null }}"), json!(true));
    assert_eq!(
        eval("{% for k, v in parameters.config %}${{ k }}={{ v }};{% endfor %}"),
        json!("z={{ v }};a={{ v }};")
    );
    assert_eq!(
        eval("{% for k, v in parameters.config %}${{ k }}:${{ v | dump }};{% endfor %}"),
        json!(r#"z:1;a:{"deep":[10,20]};"#)
    );
    assert_eq!(
        eval(
            "{% if parameters.count == 1 %}one{% elseif parameters.count == 3 %}three{% else %}many{% endif %}"
        ),
        json!("three")
    );
}

// ----- conditions ------------------------------------------------------------------------------

#[test]
fn condition_truthiness_follows_backstage() {
    assert!(cond(json!(true)));
    assert!(!cond(json!(false)));
    assert!(cond(json!("${{ parameters.enabled }}")));
    assert!(!cond(json!("${{ parameters.disabled }}")));
    assert!(!cond(json!("${{ parameters.nmae }}")));
    assert!(!cond(json!("${{ parameters.nothing }}")));
    assert!(!cond(json!("${{ parameters.empty }}")));
    assert!(!cond(json!("${{ parameters.none }}")));
    assert!(cond(json!("${{ parameters.tags }}")));
    assert!(!cond(json!("${{ 0 }}")));
    assert!(cond(json!("${{ parameters.count }}")));
    assert!(cond(json!("${{ parameters.config }}")));
    assert!(!cond(json!("")));
    assert!(cond(json!("${{ parameters.name === 'My-Service' }}")));
    assert!(!cond(json!("${{ parameters.name != 'My-Service' }}")));
    assert!(cond(json!(
        "${{ parameters.count > 2 and parameters.enabled }}"
    )));
    // JavaScript's !!"false" is true: a *string* "false" is truthy in Backstage
    assert!(cond(json!("false")));
    assert!(cond(json!("${{ parameters.flagText }}")));
    // non-string, non-boolean `if` values do not skip the step in Backstage
    assert!(cond(json!(null)));
    assert!(cond(json!(0)));
}

#[test]
fn condition_errors_carry_the_path() {
    let err = Expressions::new()
        .condition(
            &json!("${{ parameters.name | nosuch }}"),
            &ctx(),
            "spec.steps[2].if",
        )
        .unwrap_err();
    assert_eq!(err.path, "spec.steps[2].if");
}

// ----- skeletons -------------------------------------------------------------------------------------

#[test]
fn skeleton_renders_values_blocks_and_leaves_plain_braces_alone() {
    let text = "# ${{ values.name }}\n\
                {% if values.withCi %}ci: enabled\n{% endif %}\
                {% for t in values.tags %}- ${{ t }}\n{% endfor %}\
                {# a comment #}\
                run: echo {{ github.sha }} ${{ values.missing }}\n";
    let out = skeleton(
        text,
        json!({ "name": "svc", "withCi": true, "tags": ["a", "b"] }),
    )
    .unwrap();
    assert_eq!(
        out,
        "# svc\nci: enabled\n- a\n- b\nrun: echo {{ github.sha }} \n"
    );
    let out = skeleton(text, json!({ "name": "svc", "withCi": false, "tags": [] })).unwrap();
    assert_eq!(out, "# svc\nrun: echo {{ github.sha }} \n");
}

#[test]
fn skeleton_is_not_escaped_and_keeps_trailing_newline() {
    let e = Expressions::new();
    let out = e
        .render_skeleton(
            "name: ${{ values.name }}\n",
            &json!({ "name": "a<b> & \"c\"" }),
            "catalog-info.yaml",
        )
        .unwrap();
    assert_eq!(out, "name: a<b> & \"c\"\n");
    let out = e
        .render_skeleton(
            "${{ values.obj | dump }}",
            &json!({ "obj": { "b": 1, "a": 2 } }),
            "x.html",
        )
        .unwrap();
    assert_eq!(out, r#"{"b":1,"a":2}"#);
    assert_eq!(
        e.render_skeleton("plain text\n\n", &json!({}), "f")
            .unwrap(),
        "plain text\n\n"
    );
}

#[test]
fn skeleton_paths_and_raw_blocks() {
    let e = Expressions::new();
    assert_eq!(
        e.render_skeleton(
            "src/${{ values.name | replace('-', '_') }}/main.py",
            &json!({ "name": "my-app" }),
            "path"
        )
        .unwrap(),
        "src/my_app/main.py"
    );
    assert_eq!(
        e.render_skeleton(
            "{% raw %}${{ values.name }}{% endraw %}",
            &json!({ "name": "x" }),
            "f"
        )
        .unwrap(),
        "${{ values.name }}"
    );
}

#[test]
fn skeleton_errors_name_the_file_and_line() {
    let err = skeleton(
        "line one\nline two\n${{ values.name | nosuch }}\n",
        json!({ "name": "x" }),
    )
    .unwrap_err();
    assert_eq!(err.path, "skeleton/README.md");
    assert!(err.message.contains("unknown filter"), "{}", err.message);
    assert!(err.message.contains("line 3"), "{}", err.message);
    let err = skeleton("a\n{% if values.x %}\nunclosed\n", json!({})).unwrap_err();
    assert!(err.message.contains("syntax error"), "{}", err.message);
}

// ----- check -------------------------------------------------------------------------------------------

#[test]
fn check_reports_syntax_errors_with_paths() {
    let e = Expressions::new();
    let value = json!({
        "values": {
            "ok": "${{ parameters.name | lower }}",
            "bad": "${{ parameters.name | }}",
            "list": ["fine", "{% if x %}unclosed"],
        },
        "${{ 1 + }}": "bad key",
    });
    let errors = e.check(&value, "spec.steps[0].input");
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.steps[0].input.values.bad",
            "spec.steps[0].input.values.list[1]",
            r#"spec.steps[0].input["${{ 1 + }}"]"#,
        ]
    );
    assert!(
        errors.iter().all(|e| e.message.contains("syntax error")),
        "{errors:?}"
    );
    assert!(
        errors[2].message.starts_with("object key: "),
        "{}",
        errors[2].message
    );
}

#[test]
fn check_reports_unknown_filters_and_tests_and_includes() {
    let e = Expressions::new();
    let errors = e.check(&json!("${{ parameters.name | lowr }}"), "");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].path, "");
    assert!(
        errors[0].message.contains("unknown filter `lowr`"),
        "{}",
        errors[0].message
    );

    let errors = e.check(&json!("${{ parameters.name is strng }}"), "x");
    assert!(
        errors[0].message.contains("unknown test `strng`"),
        "{errors:?}"
    );

    let errors = e.check(&json!("a\n{% include 'other.njk' %}"), "x");
    assert!(errors[0].message.contains("include"), "{errors:?}");
    assert!(errors[0].message.contains("line 2"), "{errors:?}");

    let good = json!({
        "a": "${{ parameters.repoUrl | parseRepoUrl | pick('owner') }}",
        "b": "${{ parameters.owner | parseEntityRef({ defaultKind: 'group' }) | dump }}",
        "c": "{% if parameters.x is defined %}${{ parameters.x | default('y') | upper }}{% endif %}",
        "d": "${{ parameters.name.length }} {{ not templated | nosuch }}",
        "e": ["${{ parameters.tags | join(',') | length }}", 3, true, null],
    });
    assert_eq!(e.check(&good, "spec"), vec![]);
}

// ----- safety -------------------------------------------------------------------------------------------

#[test]
fn include_import_and_extends_are_refused() {
    let e = Expressions::new();
    for t in [
        "{% include 'other.yaml' %}",
        "{% import 'macros.njk' as m %}",
        "{% from 'macros.njk' import m %}",
        "{% extends 'base.njk' %}",
    ] {
        let err = e.render_skeleton(t, &json!({}), "f").unwrap_err();
        assert!(
            err.message.contains("cannot load other templates"),
            "{t}: {}",
            err.message
        );
        let err = e.evaluate(&json!(t), &ctx(), "p").unwrap_err();
        assert!(
            err.message.contains("cannot load other templates"),
            "{t}: {}",
            err.message
        );
    }
}

#[test]
fn no_debug_global_no_environment() {
    let e = Expressions::new();
    assert!(e.evaluate(&json!("${{ debug() }}"), &ctx(), "").is_err());
    // nothing but the given context is visible
    assert_eq!(
        e.evaluate(&json!("${{ env }}"), &ctx(), "").unwrap(),
        Json::Null
    );
}

#[test]
fn runaway_loops_run_out_of_fuel() {
    let e = Expressions::new();
    let start = std::time::Instant::now();
    let err = e
        .render_skeleton(
            "{% for i in range(100000000) %}x{% endfor %}",
            &json!({}),
            "f",
        )
        .unwrap_err();
    assert!(
        err.message.contains("the template does too much work"),
        "{}",
        err.message
    );
    let err = e
        .render_skeleton(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            &json!({}),
            "f",
        )
        .unwrap_err();
    assert!(
        err.message.contains("the template does too much work"),
        "{}",
        err.message
    );
    let err = e
        .evaluate(
            &json!("{% for i in range(100000) %}{% for j in range(100) %}{% endfor %}{% endfor %}"),
            &ctx(),
            "p",
        )
        .unwrap_err();
    assert!(
        err.message.contains("the template does too much work"),
        "{}",
        err.message
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn recursion_is_bounded() {
    let err = skeleton(
        "{% macro f(n) %}${{ f(n + 1) }}{% endmacro %}${{ f(0) }}",
        json!({}),
    )
    .unwrap_err();
    assert!(!err.message.is_empty());
}

#[test]
fn output_is_capped() {
    let big = "x".repeat(1000);
    let err = skeleton(
        "{% for i in range(20000) %}${{ values.big }}{% endfor %}",
        json!({ "big": big }),
    )
    .unwrap_err();
    assert!(err.message.contains("too much output"), "{}", err.message);
    // text built in a capture counts too
    let err = skeleton(
        "{% set s %}{% for i in range(20000) %}${{ values.big }}{% endfor %}{% endset %}done",
        json!({ "big": "y".repeat(1000) }),
    )
    .unwrap_err();
    assert!(err.message.contains("too much output"), "{}", err.message);
    // and so does a single expression's value
    let err = eval_err("${{ 'abcdefgh' * 2000000 }}");
    assert!(err.message.contains("too much output"), "{}", err.message);
    // within the cap all is fine
    assert_eq!(
        skeleton("{% for i in range(3) %}${{ i }}{% endfor %}", json!({})).unwrap(),
        "012"
    );
}

#[test]
fn engine_is_shareable() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<Expressions>();
    let e = Expressions::new();
    let shared = std::sync::Arc::new(e.clone());
    let handle = std::thread::spawn(move || {
        shared
            .evaluate(&json!("${{ 1 + 1 }}"), &json!({}), "")
            .unwrap()
    });
    assert_eq!(handle.join().unwrap(), json!(2));
    assert_eq!(
        e.evaluate(&json!("${{ 2 }}"), &json!({}), "").unwrap(),
        json!(2)
    );
}

#[test]
fn scanner_edge_cases() {
    // whitespace control, nested braces and `}}` inside strings do not end the tag early
    assert_eq!(eval("${{- parameters.count -}}"), json!(3));
    assert_eq!(eval("${{ {'a': {'b': 1}} }}"), json!({ "a": { "b": 1 } }));
    assert_eq!(eval("${{ '}}' }}"), json!("}}"));
    assert_eq!(
        eval("${{ {a: 1, b: [1, {c: 2}]} }}"),
        json!({ "a": 1, "b": [1, { "c": 2 }] })
    );
    // comments are not nodes: still a single expression
    assert_eq!(eval("${{ parameters.count }}{# note #}"), json!(3));
    // two nodes: text
    assert_eq!(eval("{% set x = {k: 1} %}${{ x.k }}"), json!("1"));
    // Nunjucks' default(value, def) only replaces undefined, not null
    assert_eq!(eval("${{ parameters.nothing | default('d') }}"), Json::Null);
    assert_eq!(eval("${{ parameters.name[0:2] }}"), json!("My"));
    assert_eq!(
        eval("${{ parameters.tags | map('upper') | list }}"),
        json!(["A", "B"])
    );
}
