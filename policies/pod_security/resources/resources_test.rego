package pod_security.resources_test

import data.lib.fixtures
import data.pod_security.resources

test_full_resources_allowed if {
	count(resources.deny) == 0 with input as fixtures.deployment
	count(resources.warn) == 0 with input as fixtures.deployment
}

test_missing_memory_limit_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "remove", "path": "/spec/template/spec/containers/0/resources/limits/memory"}])
	resources.deny == {{"msg": `container "order" has no resources.limits.memory`, "container": "order"}} with input as obj
}

test_no_resources_denied_three_times if {
	obj := json.patch(fixtures.deployment, [{"op": "remove", "path": "/spec/template/spec/containers/0/resources"}])
	count(resources.deny) == 3 with input as obj
}

test_missing_cpu_limit_warns_only if {
	obj := json.patch(fixtures.deployment, [{"op": "remove", "path": "/spec/template/spec/containers/0/resources/limits/cpu"}])
	count(resources.deny) == 0 with input as obj
	count(resources.warn) == 1 with input as obj
}
