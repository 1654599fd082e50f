package pod_security.probes_test

import data.lib.fixtures
import data.pod_security.probes

test_both_probes_allowed if {
	count(probes.deny) == 0 with input as fixtures.rollout
}

test_missing_readiness_denied if {
	obj := json.patch(fixtures.rollout, [{"op": "remove", "path": "/spec/template/spec/containers/0/readinessProbe"}])
	probes.deny == {{"msg": `container "order" has no readinessProbe`, "container": "order"}} with input as obj
}

test_missing_liveness_denied if {
	obj := json.patch(fixtures.rollout, [{"op": "remove", "path": "/spec/template/spec/containers/0/livenessProbe"}])
	count(probes.deny) == 1 with input as obj
}

test_job_exempt if {
	obj := json.patch(fixtures.deployment, [{"op": "replace", "path": "/kind", "value": "Job"}, {"op": "remove", "path": "/spec/template/spec/containers/0/livenessProbe"}])
	count(probes.deny) == 0 with input as obj
}
