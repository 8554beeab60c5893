//! `acme:service-files`: a golden-path action that generates a service's
//! `Makefile` and `.env.example` from its name and port. A Template uses it
//! like a built-in action once `paved.yaml` lists the plugin with
//! `kind: action`:
//!
//! ```yaml
//! - id: files
//!   action: acme:service-files
//!   input: { name: "${{ parameters.name }}", port: 8080, targetPath: service }
//! ```
//!
//! It is pure: it computes the files and the platform writes them (a dry
//! run shows them; a run journals them and rolls them back on failure).

use paved_plugin_sdk::prelude::*;

/// The step's input.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The service's name (lowercase letters, digits and dashes).
    name: String,
    /// The port it listens on.
    port: u16,
}

/// The step's output.
#[derive(Serialize, JsonSchema)]
struct Output {
    /// The files generated, relative to the step's target directory.
    files: Vec<String>,
    /// The address the service listens on locally.
    url: String,
}

struct ServiceFiles;

impl Action for ServiceFiles {
    const NAME: &'static str = "acme:service-files";
    const DESCRIPTION: &'static str =
        "Generate a service's Makefile and .env.example from its name and port.";
    type Input = Input;
    type Output = Output;

    fn run(input: Input, _dry_run: bool) -> Result<Outcome<Output>, Error> {
        let name = &input.name;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(Error::invalid(
                "input.name",
                format!("'{name}' is not a service name: use lowercase letters, digits and dashes"),
            ));
        }
        if input.port < 1024 {
            return Err(Error::invalid(
                "input.port",
                format!("{} is a privileged port: use 1024 or above", input.port),
            ));
        }
        let port = input.port;
        let makefile = format!(
            ".PHONY: run test image\n\nrun:\n\tPORT={port} cargo run --bin {name}\n\ntest:\n\tcargo test\n\nimage:\n\tdocker build -t {name}:dev .\n"
        );
        let env = format!("SERVICE_NAME={name}\nPORT={port}\nLOG_LEVEL=info\n");
        Ok(Outcome::new(Output {
            files: vec!["Makefile".into(), ".env.example".into()],
            url: format!("http://localhost:{port}"),
        })
        .file("Makefile", makefile)
        .file(".env.example", env)
        .log(format!("generated the Makefile and .env.example of {name}")))
    }
}

paved_plugin_sdk::export_actions!(ServiceFiles);
