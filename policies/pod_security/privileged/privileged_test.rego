package pod_security.privileged_test

import data.lib.fixtures
import data.pod_security.privileged

test_unprivileged_allowed if {
	count(privileged.deny) == 0 with input as fixtures.deployment
}

test_privileged_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/privileged", "value": true}])
	some f in privileged.deny with input as obj
	f.container == "order"
}

test_privileged_init_container_denied if {
	init := object.union(fixtures.container, {"name": "migrate", "securityContext": {"privileged": true}})
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/initContainers", "value": [init]}])
	{f.container | some f in privileged.deny with input as obj} == {"migrate"}
}

test_cronjob_privileged_denied if {
	pod := json.patch(fixtures.pod_spec, [{"op": "add", "path": "/containers/0/securityContext/privileged", "value": true}])
	obj := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cleanup"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": pod}}}}}
	count(privileged.deny) == 1 with input as obj
}
