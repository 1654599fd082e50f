package pod_security.seccomp_test

import data.lib.fixtures
import data.pod_security.seccomp

test_pod_runtime_default_allowed if {
	count(seccomp.deny) == 0 with input as fixtures.deployment
}

test_container_unconfined_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/seccompProfile", "value": {"type": "Unconfined"}}])
	count(seccomp.deny) == 1 with input as obj
}

test_missing_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "remove", "path": "/spec/template/spec/securityContext/seccompProfile"}])
	count(seccomp.deny) == 1 with input as obj
}
