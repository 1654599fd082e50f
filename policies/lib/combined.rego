# METADATA
# title: Combined-input helpers
# description: |
#   Cross-document policies receive every document of a run at once, in the
#   shape `conftest test --combine` uses: an array of {"path", "contents"}.
#   Outside that shape these rules are empty, so a combined policy never fires
#   on a single document.
package lib.combined

# entries are the {path, contents} pairs of the run, one per object. A
# multi-document file arrives from conftest as one entry whose contents is
# the list of its documents; it is split here.
entries := array.concat(
	[e |
		is_array(input)
		some e in input
		is_object(e.contents)
	],
	[{"path": e.path, "contents": doc} |
		is_array(input)
		some e in input
		is_array(e.contents)
		some doc in e.contents
		is_object(doc)
	],
)

# objects are the documents themselves.
objects := [e.contents | some e in entries]

# by_kind[kind] lists the documents of that kind with their paths.
by_kind[kind] contains e if {
	some e in entries
	kind := e.contents.kind
}

# finding(entry, msg) is a result naming the document it is about.
finding(entry, msg) := {
	"msg": msg,
	"path": entry.path,
	"resource": {
		"kind": object.get(entry.contents, "kind", ""),
		"namespace": object.get(entry.contents, ["metadata", "namespace"], ""),
		"name": object.get(entry.contents, ["metadata", "name"], ""),
	},
}
