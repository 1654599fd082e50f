package pod_security.privilege_escalation_test

import data.lib.fixtures
import data.pod_security.privilege_escalation

test_false_allowed if {
	count(privilege_escalation.deny) == 0 with input as fixtures.rollout
}

test_missing_denied if {
	obj := json.patch(fixtures.rollout, [{"op": "remove", "path": "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation"}])
	count(privilege_escalation.deny) == 1 with input as obj
}

test_true_denied if {
	obj := json.patch(fixtures.rollout, [{"op": "replace", "path": "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation", "value": true}])
	count(privilege_escalation.deny) == 1 with input as obj
}

test_objects_without_pods_ignored if {
	count(privilege_escalation.deny) == 0 with input as fixtures.pdb
}
