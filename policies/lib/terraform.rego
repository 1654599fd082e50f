# METADATA
# title: Terraform plan helpers
# description: |
#   Reads `terraform show -json` plans. A plan is recognised by its shape
#   (format_version plus planned_values or resource_changes). Resources come
#   from resource_changes (everything that will exist after apply, so deletes
#   are skipped), with their planned values and which attributes are still
#   unknown at plan time.
package lib.terraform

is_plan if {
	is_object(input)
	input.format_version
	has_resources
}

has_resources if input.planned_values

has_resources if input.resource_changes

# resources lists every managed resource that exists after the apply:
# {address, key, type, values, unknown}.
resources := [r |
	is_plan
	some rc in object.get(input, "resource_changes", [])
	rc.mode == "managed"
	not rc.change.actions == ["delete"]
	r := {
		"address": rc.address,
		"key": config_key(rc),
		"type": rc.type,
		"values": object.get(rc.change, "after", {}),
		"unknown": unknown_of(rc.change),
	}
]

unknown_of(change) := object.get(change, "after_unknown", {}) if is_object(object.get(change, "after_unknown", {}))

unknown_of(change) := {} if not is_object(object.get(change, "after_unknown", {}))

# of_type(t) lists the resources of one type.
of_type(t) := [r | some r in resources; r.type == t]

# config_key(rc) is the resource's address without instance keys, which is how
# the configuration section names it: module.a.aws_s3_bucket.b.
config_key(rc) := concat(".", [strip_index(rc.module_address), rc.type, rc.name]) if rc.module_address

config_key(rc) := concat(".", [rc.type, rc.name]) if not rc.module_address

strip_index(addr) := regex.replace(addr, `\[[^\]]*\]`, "")

# config_resources[key] is the configuration block of each resource, down
# three levels of module calls, so policies can follow references that are
# unknown at plan time. (Explicit levels instead of walk(): walking every
# expression of a large configuration cost more than all the plan policies.)
config_resources[key] := res if {
	some [prefix, module] in config_modules
	some res in object.get(module, "resources", [])
	res.mode == "managed"
	key := concat("", [prefix, res.address])
}

config_modules contains [prefix, module] if {
	module := object.get(input, ["configuration", "root_module"], {})
	prefix := ""
}

config_modules contains [prefix, call.module] if {
	some name, call in input.configuration.root_module.module_calls
	prefix := sprintf("module.%s.", [name])
}

config_modules contains [prefix, inner.module] if {
	some name, call in input.configuration.root_module.module_calls
	some inner_name, inner in call.module.module_calls
	prefix := sprintf("module.%s.module.%s.", [name, inner_name])
}

config_modules contains [prefix, third.module] if {
	some name, call in input.configuration.root_module.module_calls
	some inner_name, inner in call.module.module_calls
	some third_name, third in inner.module.module_calls
	prefix := sprintf("module.%s.module.%s.module.%s.", [name, inner_name, third_name])
}

# references(r, attr) lists the configuration references of one attribute,
# made absolute with the resource's module prefix.
references(r, attr) := [ref |
	cfg := config_resources[r.key]
	some raw in object.get(cfg.expressions, [attr, "references"], [])
	ref := concat("", [module_of(r.key), raw])
]

module_of(key) := prefix if {
	parts := split(key, ".")
	count(parts) > 2
	prefix := concat("", [concat(".", array.slice(parts, 0, count(parts) - 2)), "."])
}

module_of(key) := "" if count(split(key, ".")) <= 2

# refers_to(r, attr, target) is true when attribute attr of r refers to the
# resource target (by its config key), e.g. bucket = aws_s3_bucket.state.id.
refers_to(r, attr, target) if {
	some ref in references(r, attr)
	startswith(concat("", [ref, "."]), concat("", [target.key, "."]))
}

# Tags: tags_all holds provider default_tags merged with the resource's tags.
# When tags_all is unknown at plan time, merge the provider's default_tags
# (constant or from a variable) with the resource's own tags.
effective_tags(r) := r.values.tags_all if is_object(object.get(r.values, "tags_all", null))

effective_tags(r) := object.union(default_tags, own_tags(r)) if not is_object(object.get(r.values, "tags_all", null))

own_tags(r) := tags if {
	tags := object.get(r.values, "tags", {})
	is_object(tags)
}

own_tags(r) := {} if not is_object(object.get(r.values, "tags", {}))

default_tags := object.union_n([tags |
	some cfg in providers
	some block in object.get(cfg, ["expressions", "default_tags"], [])
	tags := block_tags(block)
])

providers := [cfg |
	some name, cfg in object.get(input, ["configuration", "provider_config"], {})
	startswith(name, "aws")
]

block_tags(block) := block.tags.constant_value if is_object(block.tags.constant_value)

block_tags(block) := input.variables[name].value if {
	not block.tags.constant_value
	some ref in block.tags.references
	startswith(ref, "var.")
	name := trim_prefix(ref, "var.")
	is_object(input.variables[name].value)
}

# taggable(r) is true when the resource's schema has tags.
taggable(r) if _ = r.values.tags

taggable(r) if _ = r.values.tags_all

taggable(r) if r.unknown.tags_all

# block(values, name) is a nested block's settings: Terraform renders a
# single block as a one-item list; a missing or empty block is {}.
block(values, name) := values[name][0] if {
	is_array(values[name])
	count(values[name]) > 0
}

block(values, name) := values[name] if is_object(values[name])

block(values, name) := {} if not nonempty(object.get(values, name, null))

nonempty(x) if {
	is_array(x)
	count(x) > 0
}

nonempty(x) if {
	is_object(x)
	count(x) > 0
}

# Note for policy authors: every function argument that may be undefined
# goes through object.get, because OPA evaluates call arguments before a
# `not`, so `not f(x.missing)` is undefined rather than true.

open_cidrs := {"0.0.0.0/0", "::/0"}

# finding(r, msg) is a result naming the resource by type and address.
finding(r, msg) := {"msg": msg, "resource": {"kind": r.type, "name": r.address}}

# known(r, attr) is true when attr is not waiting for apply.
known(r, attr) if not r.unknown[attr]
