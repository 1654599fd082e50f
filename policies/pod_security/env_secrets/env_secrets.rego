# METADATA
# title: Secrets must not be literal environment values
# description: >-
#   An environment variable whose name says it is a secret (password, token, secret, API key, private
#   key, credentials) must come from a Secret (valueFrom.secretKeyRef), and no literal value may carry
#   credentials (a URL with a password, an AWS access key, a PEM private key). ConfigMaps are checked
#   too, since envFrom turns their keys into environment variables.
# custom:
#   severity: critical
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout, ConfigMap]
#   remediation: >-
#     Move the value into a Kubernetes Secret (or AWS Secrets Manager via the CSI driver) and reference it
#     with valueFrom.secretKeyRef; rotate the leaked credential.
package pod_security.env_secrets

import data.lib.kubernetes as k8s

secret_name := `(?i)(passw(or)?d|secret|token|api_?key|private_?key|credential|access_?key)`

secret_value_patterns := {
	"a URL with a password": `[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:[^/\s@]+@`,
	"an AWS access key id": `\b(AKIA|ASIA)[0-9A-Z]{16}\b`,
	"a private key": `-----BEGIN [A-Z ]*PRIVATE KEY-----`,
}

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	some env in c.env
	regex.match(secret_name, env.name)
	is_string(env.value)
	env.value != ""
	msg := sprintf("container %q sets %s to a literal value; use valueFrom.secretKeyRef", [c.name, env.name])
}

deny contains {"msg": msg, "container": c.name} if {
	some c in k8s.containers
	some env in c.env
	is_string(env.value)
	some what, pattern in secret_value_patterns
	regex.match(pattern, env.value)
	msg := sprintf("container %q variable %s holds %s", [c.name, env.name, what])
}

# ConfigMaps reach containers through envFrom, so their data is environment
# too: the same rules apply to its keys and values.
deny contains msg if {
	input.kind == "ConfigMap"
	some key, value in object.get(input, "data", {})
	regex.match(secret_name, key)
	value != ""
	msg := sprintf("ConfigMap key %s holds a literal value; secrets belong in a Secret", [key])
}

deny contains msg if {
	input.kind == "ConfigMap"
	some key, value in object.get(input, "data", {})
	some what, pattern in secret_value_patterns
	regex.match(pattern, value)
	msg := sprintf("ConfigMap key %s holds %s", [key, what])
}
