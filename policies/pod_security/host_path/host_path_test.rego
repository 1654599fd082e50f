package pod_security.host_path_test

import data.lib.fixtures
import data.pod_security.host_path

test_empty_dir_allowed if {
	count(host_path.deny) == 0 with input as fixtures.deployment
}

test_host_path_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "add", "path": "/spec/template/spec/volumes/-", "value": {"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}}])
	host_path.deny == {`volume "docker" mounts host path /var/run/docker.sock`} with input as obj
}
