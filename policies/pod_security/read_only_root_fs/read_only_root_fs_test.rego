package pod_security.read_only_root_fs_test

import data.lib.fixtures
import data.pod_security.read_only_root_fs

test_read_only_allowed if {
	count(read_only_root_fs.deny) == 0 with input as fixtures.deployment
}

test_writable_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "replace", "path": "/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem", "value": false}])
	count(read_only_root_fs.deny) == 1 with input as obj
}

test_missing_denied if {
	obj := json.patch(fixtures.deployment, [{"op": "remove", "path": "/spec/template/spec/containers/0/securityContext"}])
	count(read_only_root_fs.deny) == 1 with input as obj
}
