package pod_security.non_root_test

import data.lib.fixtures
import data.pod_security.non_root

test_pod_level_non_root_allowed if {
	count(non_root.deny) == 0 with input as fixtures.deployment
}

test_container_override_to_root_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/runAsNonRoot", "value": false}, {"op": "remove", "path": "/spec/template/spec/securityContext/runAsUser"}])
	count(non_root.deny) == 1 with input as obj
}

test_no_security_context_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "remove", "path": "/spec/template/spec/securityContext"}])
	count(non_root.deny) == 1 with input as obj
}

test_uid_zero_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/runAsUser", "value": 0}])
	some f in non_root.deny with input as obj
	contains(f.msg, "user 0")
}

test_run_as_user_alone_allowed if {
	obj := json.patch(fixtures.deployment, [{"op": "remove", "path": "/spec/template/spec/securityContext/runAsNonRoot"}])
	count(non_root.deny) == 0 with input as obj
}
