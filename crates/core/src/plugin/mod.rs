//! Plugin traits core talks to (OWNER: plugin helper): `Provider` and `Guardrail`.
