# METADATA
# title: Secrets a pod reads must be produced in the same environment
# description: >-
#   Every Secret a pod template reads by name (env valueFrom.secretKeyRef, envFrom secretRef, a secret
#   volume or a projected secret source) must be produced by the same rendered environment: an
#   ExternalSecret in the pod's namespace whose target is that Secret (spec.target.name, or its own
#   name when the target has none), or a Secret object of that name. A secretKeyRef key must be one of
#   the keys that producer writes, when its keys can be told from the manifest (template.data, or data
#   without dataFrom). Otherwise a typo in a secret name or key passes review and the pods sit in
#   CreateContainerConfigError after the deploy. References marked optional are exempt.
# custom:
#   severity: high
#   remediation: >-
#     Fix the Secret name or key in the pod template (the CUE service's secretEnv), or add the
#     ExternalSecret that produces it (the shared chart renders <service>-connections with exactly the
#     keys secretEnv reads).
#   combine: true
package availability.secret_refs

import data.lib.combined
import data.lib.kubernetes as k8s

deny contains combined.finding(entry, msg) if {
	some entry in combined.entries
	obj := entry.contents
	some ref in secret_refs(obj)
	count(producers(k8s.namespace_of(obj), ref.name)) == 0
	msg := sprintf("%s %s reads Secret %q (%s) but no ExternalSecret or Secret in namespace %q produces it", [obj.kind, k8s.name_of(obj), ref.name, ref.where, k8s.namespace_of(obj)])
}

deny contains combined.finding(entry, msg) if {
	some entry in combined.entries
	obj := entry.contents
	some ref in key_refs(obj)
	ps := producers(k8s.namespace_of(obj), ref.name)
	count(ps) > 0

	# only when every producer's keys can be told (known_keys defined) and
	# none of them writes the key
	every p in ps {
		keys := known_keys(p)
		not ref.key in keys
	}
	keys := sort([k | some p in ps; some k in known_keys(p)])
	msg := sprintf("%s %s reads key %q of Secret %q (%s) but its producer only writes %v", [obj.kind, k8s.name_of(obj), ref.key, ref.name, ref.where, keys])
}

# secret_refs(obj) are the non-optional Secrets the pods of obj read, each
# with where it is read.
secret_refs(obj) := (key_refs(obj) | envfrom_refs(obj)) | volume_refs(obj)

key_refs(obj) := {{"name": r.name, "key": r.key, "where": sprintf("container %s env %s", [c.name, e.name])} |
	some c in k8s.containers_of(obj)
	some e in object.get(c, "env", [])
	r := e.valueFrom.secretKeyRef
	not r.optional
}

envfrom_refs(obj) := {{"name": r.name, "where": sprintf("container %s envFrom", [c.name])} |
	some c in k8s.containers_of(obj)
	some f in object.get(c, "envFrom", [])
	r := f.secretRef
	not r.optional
}

volume_refs(obj) := {{"name": name, "where": sprintf("volume %s", [v.name])} |
	some v in object.get(k8s.pod_spec_of(obj), "volumes", [])
	some name in volume_secrets(v)
}

volume_secrets(v) := {v.secret.secretName | not v.secret.optional} | {s.secret.name |
	some s in v.projected.sources
	not s.secret.optional
}

# producers(ns, name) are the rendered objects that create Secret ns/name.
producers(ns, name) := {e.contents |
	some e in combined.by_kind.ExternalSecret
	k8s.namespace_of(e.contents) == ns
	target_of(e.contents) == name
} | {e.contents |
	some e in combined.by_kind.Secret
	k8s.namespace_of(e.contents) == ns
	k8s.name_of(e.contents) == name
}

# target_of(es) is the Secret an ExternalSecret writes: spec.target.name,
# which defaults to the ExternalSecret's own name.
target_of(es) := object.get(es, ["spec", "target", "name"], k8s.name_of(es))

# known_keys(p) are the keys a producer writes, where the manifest tells:
# a Secret's data and stringData; an ExternalSecret's template.data when the
# template replaces the fetched data (mergePolicy Replace, the default) and
# no templateFrom adds more; else its data[].secretKey when no dataFrom
# brings keys named by the provider. Undefined when it cannot be told.
known_keys(p) := {k | some k, _ in object.union(object.get(p, "data", {}), object.get(p, "stringData", {}))} if p.kind == "Secret"

known_keys(p) := {k | some k, _ in p.spec.target.template.data} if {
	p.kind == "ExternalSecret"
	object.get(p.spec.target.template, "mergePolicy", "Replace") == "Replace"
	not p.spec.target.template.templateFrom
}

known_keys(p) := {d.secretKey | some d in object.get(p.spec, "data", [])} if {
	p.kind == "ExternalSecret"
	not p.spec.target.template
	not p.spec.dataFrom
}
