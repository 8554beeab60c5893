# OPA unit tests (`opa test examples/policies/rego`); paved skips *_test.rego.
package paved.catalog_test

import rego.v1

import data.paved.catalog

test_component_without_owner_is_denied if {
	count(catalog.deny) > 0 with input as {"after": {"kind": "Component", "metadata": {"name": "x"}, "spec": {"lifecycle": "production"}}}
		with data.catalog.lifecycles as ["production"]
}

test_component_with_owner_and_lifecycle_passes if {
	count(catalog.deny) == 0 with input as {"after": {"kind": "Component", "metadata": {"name": "x"}, "spec": {"owner": "team-a", "lifecycle": "production"}}}
		with data.catalog.lifecycles as ["production"]
}
