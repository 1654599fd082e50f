# METADATA
# title: ExternalSecrets read only their own environment's secrets
# description: >-
#   An ExternalSecret of environment <env> (namespace orders-<env>, or the bloody-sweet.io/environment
#   label) reads through the ClusterSecretStore bloody-sweet-<env>, only Secrets Manager keys under
#   bloody-sweet/<env>/, and finds the database master secret only by the tag of that environment's RDS
#   instance. The operator's IAM role would refuse another environment's secrets at run time; this
#   rule says so in the pull request, before a dev manifest points at prod. Only an ExternalSecret that
#   produces a <service>-db-admin Secret (the migrate hook's) may find the RDS master secret: the
#   services' own <service>-connections carry no password (IAM auth as <service>_svc).
# custom:
#   severity: high
#   kinds: [ExternalSecret]
#   remediation: >-
#     Render the ExternalSecret from the CUE model (cue/templates/externalsecret.cue), which takes the
#     store and the prefix from the environment (environments.<env>.secrets).
package secrets.external_secret_scope

import data.lib.kubernetes as k8s

cfg := data.platform.secrets

env := k8s.environment_of(input) if input.kind == "ExternalSecret"

deny contains "cannot tell the ExternalSecret's environment: deploy it to orders-<env> or label it bloody-sweet.io/environment=<env>" if {
	input.kind == "ExternalSecret"
	not known_env
}

known_env if env in data.platform.environments

deny contains msg if {
	known_env
	ref := object.get(input.spec, "secretStoreRef", {})
	want := concat("", [cfg.store_prefix, env])
	[object.get(ref, "kind", "SecretStore"), object.get(ref, "name", "")] != [cfg.store_kind, want]
	msg := sprintf("reads through %s %q; environment %s reads through %s %q", [object.get(ref, "kind", "SecretStore"), object.get(ref, "name", ""), env, cfg.store_kind, want])
}

deny contains msg if {
	known_env
	some key in remote_keys
	not startswith(key, env_path)
	msg := sprintf("reads secret %q, outside environment %s's %s", [key, env, env_path])
}

deny contains msg if {
	known_env
	some f in object.get(input.spec, "dataFrom", [])
	find := f.find
	not env_find(find)
	msg := sprintf("dataFrom find %v may match secrets of other environments: find by path under %s, or by tag %s of %s%s", [find, env_path, cfg.rds_instance_tag, cfg.rds_instance_prefix, env])
}

deny contains msg if {
	known_env
	some f in object.get(input.spec, "dataFrom", [])
	f.find.tags[cfg.rds_instance_tag]
	not endswith(target_name, cfg.db_admin_suffix)
	msg := sprintf("finds the RDS master secret but produces Secret %q: only a <service>%s Secret, read by the migrate hook alone, may hold the master credentials", [target_name, cfg.db_admin_suffix])
}

# target_name is the Secret the ExternalSecret writes (its own name by default).
target_name := object.get(input.spec, ["target", "name"], object.get(input.metadata, "name", ""))

env_path := concat("", [cfg.path_prefix, env, "/"])

# remote_keys are the Secrets Manager keys the ExternalSecret names.
remote_keys contains d.remoteRef.key if some d in object.get(input.spec, "data", [])

remote_keys contains f.extract.key if some f in object.get(input.spec, "dataFrom", [])

# env_find(find): a find that can only match this environment's secrets.
env_find(find) if startswith(object.get(find, "path", ""), env_path)

env_find(find) if {
	arn := find.tags[cfg.rds_instance_tag]
	endswith(arn, concat("", [":db:", cfg.rds_instance_prefix, env]))
}
