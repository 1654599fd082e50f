package pod_security.capabilities_test

import data.lib.fixtures
import data.pod_security.capabilities

test_drop_all_allowed if {
	count(capabilities.deny) == 0 with input as fixtures.deployment
}

test_no_drop_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/securityContext/capabilities/drop", "value": ["NET_RAW"]}])
	count(capabilities.deny) == 1 with input as obj
}

test_add_sys_admin_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/capabilities/add", "value": ["SYS_ADMIN"]}])
	some f in capabilities.deny with input as obj
	contains(f.msg, "SYS_ADMIN")
}

test_add_net_bind_service_allowed if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/capabilities/add", "value": ["NET_BIND_SERVICE"]}])
	count(capabilities.deny) == 0 with input as obj
}
