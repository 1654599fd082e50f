# METADATA
# title: Only the migrate hook Job reads the database master credentials
# description: >-
#   A <service>-db-admin Secret holds the RDS master user's database-url. The only workload that may read
#   it (env secretKeyRef, envFrom, a secret volume or projected source) is the service's own migrate Job
#   run as an Argo CD PreSync hook: a Job annotated argocd.argoproj.io/hook=PreSync whose
#   app.kubernetes.io/name is <service>. The service's Rollout and every other workload log in as
#   <service>_svc with IAM tokens and must never see the master credentials.
# custom:
#   severity: high
#   kinds: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod, Rollout]
#   remediation: >-
#     Read DATABASE_URL from <service>-connections (user <service>_svc, IAM auth) in the workload; the
#     shared chart's migrate Job (apps/charts/service/templates/migrate-job.yaml) is the one reader of
#     <service>-db-admin.
package secrets.db_admin_readers

import data.lib.kubernetes as k8s

suffix := data.platform.secrets.db_admin_suffix

deny contains msg if {
	some ref in admin_refs
	not presync_job
	msg := sprintf("%s %s reads the master credentials Secret %q (%s): only the service's PreSync migrate Job may", [input.kind, k8s.name_of(input), ref.name, ref.where])
}

deny contains msg if {
	presync_job
	some ref in admin_refs
	service := object.get(k8s.labels_of(input), "app.kubernetes.io/name", "")
	ref.name != concat("", [service, suffix])
	msg := sprintf("Job %s of service %q reads %q (%s): a migrate Job reads only its own service's %s%s", [k8s.name_of(input), service, ref.name, ref.where, service, suffix])
}

# presync_job: a Job Argo CD runs as a PreSync hook, and in no other phase.
presync_job if {
	input.kind == "Job"
	hooks := {trim_space(h) | some h in split(object.get(input.metadata, ["annotations", "argocd.argoproj.io/hook"], ""), ",")}
	hooks == {"PreSync"}
}

# admin_refs are the *-db-admin Secrets the pods read, optional or not.
admin_refs contains {"name": r.name, "where": sprintf("container %s env %s", [c.name, e.name])} if {
	some c in k8s.containers
	some e in object.get(c, "env", [])
	r := e.valueFrom.secretKeyRef
	endswith(r.name, suffix)
}

admin_refs contains {"name": r.name, "where": sprintf("container %s envFrom", [c.name])} if {
	some c in k8s.containers
	some f in object.get(c, "envFrom", [])
	r := f.secretRef
	endswith(r.name, suffix)
}

admin_refs contains {"name": v.secret.secretName, "where": sprintf("volume %s", [v.name])} if {
	some v in object.get(k8s.pod_spec, "volumes", [])
	endswith(v.secret.secretName, suffix)
}

admin_refs contains {"name": src.secret.name, "where": sprintf("volume %s", [v.name])} if {
	some v in object.get(k8s.pod_spec, "volumes", [])
	some src in v.projected.sources
	endswith(src.secret.name, suffix)
}
