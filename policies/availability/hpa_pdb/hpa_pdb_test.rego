package availability.hpa_pdb_test

import data.availability.hpa_pdb
import data.lib.fixtures

test_compatible_allowed if {
	count(hpa_pdb.deny) == 0 with input as fixtures.combine([fixtures.rollout, fixtures.hpa, fixtures.pdb])
}

test_wrong_api_version_denied if {
	hpa := json.patch(fixtures.hpa, [{"op": "replace", "path": "/spec/scaleTargetRef/apiVersion", "value": "apps/v1"}])
	some f in hpa_pdb.deny with input as fixtures.combine([fixtures.rollout, hpa, fixtures.pdb])
	contains(f.msg, "apiVersion apps/v1")
}

test_missing_rollout_denied if {
	some f in hpa_pdb.deny with input as fixtures.combine([fixtures.hpa, fixtures.pdb])
	contains(f.msg, "does not exist")
}

test_min_available_at_min_replicas_denied if {
	p := json.patch(fixtures.pdb, [{"op": "remove", "path": "/spec/maxUnavailable"}, {"op": "add", "path": "/spec/minAvailable", "value": 3}])
	some f in hpa_pdb.deny with input as fixtures.combine([fixtures.rollout, fixtures.hpa, p])
	contains(f.msg, "minAvailable 3")
}

test_max_unavailable_zero_denied if {
	p := json.patch(fixtures.pdb, [{"op": "replace", "path": "/spec/maxUnavailable", "value": 0}])
	count(hpa_pdb.deny) == 1 with input as fixtures.combine([fixtures.rollout, fixtures.hpa, p])
}

test_max_unavailable_all_pods_denied if {
	p := json.patch(fixtures.pdb, [{"op": "replace", "path": "/spec/maxUnavailable", "value": 3}])
	count(hpa_pdb.deny) == 1 with input as fixtures.combine([fixtures.rollout, fixtures.hpa, p])
}

test_scaled_object_compatible_allowed if {
	count(hpa_pdb.deny) == 0 with input as fixtures.combine([fixtures.rollout, fixtures.scaled_object, fixtures.pdb])
}

test_scaled_object_floor_against_pdb_denied if {
	p := json.patch(fixtures.pdb, [{"op": "replace", "path": "/spec/maxUnavailable", "value": 3}])
	some f in hpa_pdb.deny with input as fixtures.combine([fixtures.rollout, fixtures.scaled_object, p])
	contains(f.msg, "maxUnavailable 3")
}

test_scaled_object_wrong_api_version_denied if {
	so := json.patch(fixtures.scaled_object, [{"op": "replace", "path": "/spec/scaleTargetRef/apiVersion", "value": "apps/v1"}])
	some f in hpa_pdb.deny with input as fixtures.combine([fixtures.rollout, so, fixtures.pdb])
	contains(f.msg, "apiVersion apps/v1")
}
