package pod_security.host_namespaces_test

import data.lib.fixtures
import data.pod_security.host_namespaces

test_no_host_namespaces_allowed if {
	count(host_namespaces.deny) == 0 with input as fixtures.deployment
}

test_host_network_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/hostNetwork", "value": true}])
	host_namespaces.deny == {"pod spec sets hostNetwork: true"} with input as obj
}

test_host_pid_and_ipc_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/hostPID", "value": true}, {"op": "add", "path": "/spec/template/spec/hostIPC", "value": true}])
	count(host_namespaces.deny) == 2 with input as obj
}
