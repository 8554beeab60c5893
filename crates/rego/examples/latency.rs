//! Uncommitted measurement program: per-review latency of a simple deny rule.
use std::sync::Mutex;
use std::time::Instant;

use paved_core::plugin::{Change, Operation, Subject};
use paved_rego::RegoGuardrail;
use serde_json::{Value, json};

const POLICY: &str = r#"
package main

deny[msg] {
  input.after.kind == "Component"
  not input.after.spec.owner
  msg := sprintf("%s has no owner", [input.after.metadata.name])
}
"#;

fn change(owner: bool) -> Change {
    let spec = if owner { json!({"owner": "payments", "lifecycle": "production"}) } else { json!({"lifecycle": "production"}) };
    Change {
        subject: Subject::Entity("component:default/orders".into()),
        operation: Operation::Create,
        before: None,
        after: Some(json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "orders", "labels": {"team": "payments"}}, "spec": spec})),
        diff: Vec::new(),
        monthly_cost: None,
        actor: Some("user:default/ada".into()),
    }
}

fn stats(label: &str, mut ns: Vec<u128>) {
    ns.sort();
    let p = |q: f64| ns[((ns.len() as f64 - 1.0) * q) as usize] as f64 / 1000.0;
    println!("{label:<48} p50 {:>8.2} us  p90 {:>8.2} us  p99 {:>8.2} us  (n={})", p(0.5), p(0.9), p(0.99), ns.len());
}

fn time<F: FnMut()>(n: usize, mut f: F) -> Vec<u128> {
    for _ in 0..n / 10 { f(); }
    (0..n).map(|_| { let t = Instant::now(); f(); t.elapsed().as_nanos() }).collect()
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20000);
    let g = RegoGuardrail::load_text("bench", [("p.rego", POLICY)], Value::Null, None).unwrap();
    let deny = change(false);
    let allow = change(true);
    assert_eq!(g.evaluate(&deny, None).unwrap().violations.len(), 1);
    assert_eq!(g.evaluate(&allow, None).unwrap().violations.len(), 0);
    stats("evaluate (deny: Component without owner)", time(n, || { g.evaluate(&deny, None).unwrap(); }));
    stats("evaluate (allow)", time(n, || { g.evaluate(&allow, None).unwrap(); }));

    // Pieces, with regorus directly.
    let mut template = regorus::Engine::new();
    template.set_rego_v0(true);
    template.add_policy("p.rego".into(), POLICY.into()).unwrap();
    template.compile_with_entrypoint(&"data.main.deny".into()).unwrap();
    let mk_input = |c: &Change| -> regorus::Value {
        let mut v = serde_json::to_value(c).unwrap();
        v.as_object_mut().unwrap().insert("settings".into(), json!({}));
        serde_json::from_value(v).unwrap()
    };
    stats("input: to_value + from_value", time(n, || { std::hint::black_box(mk_input(&deny)); }));
    stats("input: to_string + Value::from_json_str", time(n, || {
        let mut v = serde_json::to_value(&deny).unwrap();
        v.as_object_mut().unwrap().insert("settings".into(), json!({}));
        let s = serde_json::to_string(&v).unwrap();
        std::hint::black_box(regorus::Value::from_json_str(&s).unwrap());
    }));
    stats("engine clone (prepared template)", time(n, || { std::hint::black_box(template.clone()); }));
    let input = mk_input(&deny);
    stats("clone + set_input + eval_rule", time(n, || {
        let mut e = template.clone();
        e.set_input(input.clone());
        std::hint::black_box(e.eval_rule("data.main.deny".into()).unwrap());
    }));
    let pool: Mutex<Vec<regorus::Engine>> = Mutex::new(Vec::new());
    stats("pool pop/push + set_input + eval_rule", time(n, || {
        let mut e = pool.lock().unwrap().pop().unwrap_or_else(|| template.clone());
        e.set_input(input.clone());
        std::hint::black_box(e.eval_rule("data.main.deny".into()).unwrap());
        pool.lock().unwrap().push(e);
    }));
    let mut reused = template.clone();
    stats("one reused engine: set_input + eval_rule", time(n, || {
        reused.set_input(input.clone());
        std::hint::black_box(reused.eval_rule("data.main.deny".into()).unwrap());
    }));

    // Throughput from 2 threads (2 cores).
    let threads = 2;
    let per = n;
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| for _ in 0..per { g.evaluate(&deny, None).unwrap(); });
        }
    });
    let el = t.elapsed();
    println!("{threads} threads x {per} evaluate: {:.0} reviews/s ({:.2} us/review wall)", (threads * per) as f64 / el.as_secs_f64(), el.as_secs_f64() * 1e6 / (threads * per) as f64);

    // The example policies.
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies/rego");
    let ex = RegoGuardrail::load("examples", &paved_rego::RegoSources { policies: vec![dir.clone()], data: vec![dir.join("data")], query: None }).unwrap();
    stats("examples (4 rules, 3 packages), Component", time(n, || { ex.evaluate(&deny, None).unwrap(); }));
    let t = Instant::now();
    for _ in 0..20 { std::hint::black_box(RegoGuardrail::load("examples", &paved_rego::RegoSources { policies: vec![dir.clone()], data: vec![dir.join("data")], query: None }).unwrap()); }
    println!("load examples: {:.2} ms", t.elapsed().as_secs_f64() * 1000.0 / 20.0);
}
