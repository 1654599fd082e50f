# METADATA
# title: PromQL helpers
# description: |
#   Finds the metric names a PromQL expression reads. Not a full parser: it
#   removes what cannot be a metric name (Argo templating, label matchers,
#   strings, range selectors, grouping clauses, numbers), then keeps the
#   identifiers that are not function calls, aggregations or keywords.
package lib.promql

keywords := {
	"by", "without", "on", "ignoring", "group_left", "group_right", "offset",
	"bool", "and", "or", "unless", "inf", "nan", "atan2",
}

# strip(query) removes, in order: Argo templating ({{args.x}}), string
# literals, label matchers, range and subquery selectors, grouping label lists
# (by/without/on/ignoring/group_left/group_right (...)), numbers and durations.
strip(query) := s7 if {
	s1 := regex.replace(query, `\{\{[^}]*\}\}`, " ")
	s2 := regex.replace(s1, `"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`, " ")
	s3 := regex.replace(s2, `\{[^}]*\}`, " ")
	s4 := regex.replace(s3, `\[[^\]]*\]`, " ")
	s5 := regex.replace(s4, `(?i)\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`, " ")
	s6 := regex.replace(s5, `\b[0-9][0-9a-zA-Z_.]*`, " ")
	s7 := regex.replace(s6, `[0-9]*\.[0-9]+`, " ")
}

# metrics(query) is the set of metric names the query reads.
metrics(query) := {name |
	some token in regex.find_n(`[a-zA-Z_:][a-zA-Z0-9_:]*\s*\(?`, strip(query), -1)
	not endswith(token, "(")
	name := trim_space(token)
	not lower(name) in keywords
}

# base_name(name) maps a histogram or summary series to the metric it belongs to.
base_name(name) := trim_suffix(name, suffix) if {
	some suffix in ["_bucket", "_sum", "_count"]
	endswith(name, suffix)
}

base_name(name) := name if {
	every suffix in ["_bucket", "_sum", "_count"] {
		not endswith(name, suffix)
	}
}
