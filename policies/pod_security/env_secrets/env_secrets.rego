# METADATA
# title: Secrets must not be literal environment values
# description: >-
#   An environment variable whose name says it is a secret (password, token, secret, API key, private
#   key, credentials) must come from a Secret (valueFrom.secretKeyRef), and no literal value may carry
#   credentials (a URL with a password, an AWS access key, a PEM private key).
# custom:
#   severity: critical
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
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
