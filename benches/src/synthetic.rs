//! A synthetic organisation of any size with realistic relations: groups in a
//! tree, users in groups, domains, systems, components owned by teams, APIs
//! provided and consumed, resources, and dependencies between components.
//!
//! Deterministic (a fixed linear congruential generator), so runs compare.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Deterministic pseudo-random numbers.
#[derive(Debug)]
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// How many of each kind for a total of about `total` entities.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub groups: usize,
    pub users: usize,
    pub domains: usize,
    pub systems: usize,
    pub components: usize,
    pub apis: usize,
    pub resources: usize,
}

impl Shape {
    pub fn for_total(total: usize) -> Self {
        let groups = (total / 200).max(2);
        let users = total / 20;
        let domains = (total / 5000).max(1);
        let systems = (total / 200).max(1);
        let apis = total / 5;
        let resources = total / 10;
        let components = total - groups - users - domains - systems - apis - resources;
        Self {
            groups,
            users,
            domains,
            systems,
            components,
            apis,
            resources,
        }
    }

    pub fn total(&self) -> usize {
        self.groups
            + self.users
            + self.domains
            + self.systems
            + self.components
            + self.apis
            + self.resources
    }
}

const TYPES: [&str; 4] = ["service", "website", "library", "service"];
const LIFECYCLES: [&str; 3] = ["production", "experimental", "deprecated"];
const TIERS: [&str; 3] = ["gold", "silver", "bronze"];
const WORDS: [&str; 12] = [
    "payments",
    "orders",
    "search",
    "billing",
    "identity",
    "catalog",
    "shipping",
    "inventory",
    "pricing",
    "reviews",
    "notifications",
    "analytics",
];

/// Write the catalogue as YAML files of at most `per_file` entities into `dir`.
/// Returns the files written.
pub fn write_catalog(dir: &Path, total: usize, per_file: usize) -> std::io::Result<Vec<PathBuf>> {
    let shape = Shape::for_total(total);
    let mut rng = Lcg::new(42);
    let mut docs: Vec<String> = Vec::with_capacity(shape.total());
    for g in 0..shape.groups {
        let parent = if g == 0 {
            String::new()
        } else {
            format!("  parent: team-{}\n", (g - 1) / 4)
        };
        docs.push(format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-{g}\n  title: Team {g}\nspec:\n  type: team\n{parent}  children: []\n"
        ));
    }
    for u in 0..shape.users {
        docs.push(format!(
            "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: user-{u}\nspec:\n  profile:\n    displayName: User {u}\n    email: user-{u}@example.com\n  memberOf: [team-{}]\n",
            u % shape.groups
        ));
    }
    for d in 0..shape.domains {
        docs.push(format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata:\n  name: domain-{d}\nspec:\n  owner: team-{}\n",
            d % shape.groups
        ));
    }
    for s in 0..shape.systems {
        docs.push(format!(
            "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: system-{s}\n  description: The {} system number {s}\nspec:\n  owner: team-{}\n  domain: domain-{}\n",
            WORDS[s % WORDS.len()],
            rng.below(shape.groups),
            s % shape.domains
        ));
    }
    for a in 0..shape.apis {
        docs.push(format!(
            "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: api-{a}\n  tags: [{}]\nspec:\n  type: openapi\n  lifecycle: production\n  owner: team-{}\n  system: system-{}\n  definition: \"openapi: 3.0.0\"\n",
            WORDS[a % WORDS.len()],
            rng.below(shape.groups),
            rng.below(shape.systems)
        ));
    }
    for r in 0..shape.resources {
        docs.push(format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: db-{r}\nspec:\n  type: database\n  owner: team-{}\n  system: system-{}\n",
            rng.below(shape.groups),
            rng.below(shape.systems)
        ));
    }
    for c in 0..shape.components {
        let word = WORDS[rng.below(WORDS.len())];
        let mut spec = String::new();
        let _ = write!(
            spec,
            "  type: {}\n  lifecycle: {}\n  owner: team-{}\n  system: system-{}\n",
            TYPES[rng.below(TYPES.len())],
            LIFECYCLES[rng.below(LIFECYCLES.len())],
            rng.below(shape.groups),
            rng.below(shape.systems)
        );
        if c < shape.apis {
            let _ = writeln!(spec, "  providesApis: [api-{c}]");
        }
        let consumes: Vec<String> = (0..2)
            .map(|_| format!("api-{}", rng.below(shape.apis.max(1))))
            .collect();
        let _ = writeln!(spec, "  consumesApis: [{}]", consumes.join(", "));
        // Dependencies point at lower-numbered components (a DAG) and a database.
        let mut deps = vec![format!("resource:db-{}", rng.below(shape.resources.max(1)))];
        if c > 0 {
            for _ in 0..3 {
                deps.push(format!("component:svc-{}", rng.below(c)));
            }
        }
        deps.sort();
        deps.dedup();
        let _ = writeln!(spec, "  dependsOn: [{}]", deps.join(", "));
        docs.push(format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc-{c}\n  title: {word} service {c}\n  description: Handles {word} for the {} tier\n  labels:\n    tier: {}\n  tags: [{word}, rust]\nspec:\n{spec}",
            TIERS[c % 3],
            TIERS[c % 3]
        ));
    }
    std::fs::create_dir_all(dir)?;
    let mut files = Vec::new();
    for (i, chunk) in docs.chunks(per_file).enumerate() {
        let path = dir.join(format!("part-{i:04}.yaml"));
        std::fs::write(&path, chunk.join("---\n"))?;
        files.push(path);
    }
    Ok(files)
}
