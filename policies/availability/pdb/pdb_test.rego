package availability.pdb_test

import data.availability.pdb
import data.lib.fixtures

test_rollout_with_pdb_allowed if {
	count(pdb.deny) == 0 with input as fixtures.combine([fixtures.rollout, fixtures.pdb])
}

test_rollout_without_pdb_denied if {
	some f in pdb.deny with input as fixtures.combine([fixtures.rollout])
	f.resource == {"kind": "Rollout", "namespace": "orders-prod", "name": "order"}
	f.path == "doc-0.yaml"
}

test_pdb_in_other_namespace_does_not_count if {
	other := json.patch(fixtures.pdb, [{"op": "replace", "path": "/metadata/namespace", "value": "orders-staging"}])
	count(pdb.deny) == 1 with input as fixtures.combine([fixtures.rollout, other])
}

test_pdb_selecting_other_pods_does_not_count if {
	other := json.patch(fixtures.pdb, [{"op": "replace", "path": "/spec/selector/matchLabels", "value": {"app.kubernetes.io/name": "payment"}}])
	count(pdb.deny) == 1 with input as fixtures.combine([fixtures.rollout, other])
}

test_single_replica_needs_no_pdb if {
	count(pdb.deny) == 0 with input as fixtures.combine([fixtures.deployment])
}

test_hpa_min_replicas_counts if {
	hpa := json.patch(fixtures.hpa, [{"op": "replace", "path": "/metadata/namespace", "value": "orders-dev"}, {"op": "replace", "path": "/spec/scaleTargetRef", "value": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "order"}}])
	count(pdb.deny) == 1 with input as fixtures.combine([fixtures.deployment, hpa])
}

test_scaled_object_min_replica_count_counts if {
	so := json.patch(fixtures.scaled_object, [{"op": "replace", "path": "/metadata/namespace", "value": "orders-dev"}, {"op": "replace", "path": "/spec/scaleTargetRef", "value": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "order"}}])
	count(pdb.deny) == 1 with input as fixtures.combine([fixtures.deployment, so])
}

test_single_document_input_ignored if {
	count(pdb.deny) == 0 with input as fixtures.rollout
}

test_conftest_multi_document_entry if {
	count(pdb.deny) == 1 with input as [{"path": "m.yaml", "contents": [fixtures.rollout, fixtures.deployment]}]
	count(pdb.deny) == 0 with input as [{"path": "m.yaml", "contents": [fixtures.rollout, fixtures.pdb]}]
}
