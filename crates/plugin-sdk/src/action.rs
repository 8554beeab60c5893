//! The [`Action`] trait a golden-path action author implements, and what
//! an action returns ([`Outcome`]).

use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};

use crate::types::Error;

/// A golden-path action: from a Template step's input, the files to
/// generate, the step's output and log lines. It is pure: it touches no
/// workspace, catalogue or network; the platform writes the files. Export
/// one or more with [`export_actions!`](crate::export_actions).
pub trait Action {
    /// The name Template steps use, e.g. `acme:service-files`.
    const NAME: &'static str;
    /// What it does, for people.
    const DESCRIPTION: &'static str;
    /// The step's input; its JSON Schema is published and checked by the
    /// platform (use `#[serde(deny_unknown_fields)]` to refuse unknown fields).
    type Input: DeserializeOwned + JsonSchema;
    /// The step's output (`steps.<id>.output`).
    type Output: Serialize + JsonSchema;

    /// Compute the files and the output. `dry_run` says whether the run is
    /// only previewed; the answer must not depend on it.
    fn run(input: Self::Input, dry_run: bool) -> Result<Outcome<Self::Output>, Error>;
}

/// One file an action generates, relative to the step's target directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative, `/`-separated path (no `..`, not absolute).
    pub path: String,
    /// The bytes.
    pub content: Vec<u8>,
}

/// What an action returns: files, output, log lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<O> {
    pub files: Vec<GeneratedFile>,
    pub output: O,
    pub log: Vec<String>,
}

impl<O> Outcome<O> {
    /// No files and no log yet, with this output.
    pub fn new(output: O) -> Self {
        Self {
            files: Vec::new(),
            output,
            log: Vec::new(),
        }
    }

    /// Add a file.
    pub fn file(mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        self.files.push(GeneratedFile {
            path: path.into(),
            content: content.into(),
        });
        self
    }

    /// Add a log line.
    pub fn log(mut self, line: impl Into<String>) -> Self {
        self.log.push(line.into());
        self
    }
}
