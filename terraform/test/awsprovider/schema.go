// Package awsprovider is a schema-only stand-in for the hashicorp/aws provider, used to
// plan the Terraform in this repository without AWS credentials or network access.
//
// Its schema is the real hashicorp/aws 6.25.0 schema, reduced to the resources and data
// sources the modules use (schema/aws.schema.json, written by schema/generate.sh from the
// npm package @cdktf/provider-aws). Terraform therefore checks every argument name,
// type, required argument and block shape exactly as it would against the real provider.
// Planning marks computed attributes unknown, as the real provider does on create, and
// computes tags_all from the provider's default_tags. It never calls AWS: nothing here
// proves that AWS accepts the values.
package awsprovider

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// ProviderAddress is the registry address Terraform resolves `hashicorp/aws` to.
const ProviderAddress = "registry.terraform.io/hashicorp/aws"

//go:embed schema/aws.schema.json
var schemaJSON []byte

// Block is one schema block in the JSON shape of `terraform providers schema -json`.
type Block struct {
	Attributes map[string]*Attribute   `json:"attributes"`
	BlockTypes map[string]*NestedBlock `json:"block_types"`
}

// Attribute is one attribute of a Block.
type Attribute struct {
	Type      json.RawMessage `json:"type"`
	Required  bool            `json:"required"`
	Optional  bool            `json:"optional"`
	Computed  bool            `json:"computed"`
	Sensitive bool            `json:"sensitive"`

	typ tftypes.Type
}

// NestedBlock is a block nested in a Block.
type NestedBlock struct {
	NestingMode string `json:"nesting_mode"`
	Block       *Block `json:"block"`
	MinItems    int64  `json:"min_items"`
	MaxItems    int64  `json:"max_items"`
}

// Schema is a resource, data source or provider schema.
type Schema struct {
	Version int64  `json:"version"`
	Block   *Block `json:"block"`
}

// Schemas is the whole provider schema.
type Schemas struct {
	Provider    *Schema            `json:"provider"`
	Resources   map[string]*Schema `json:"resource_schemas"`
	DataSources map[string]*Schema `json:"data_source_schemas"`
}

// LoadSchemas parses the embedded schema file.
func LoadSchemas() (*Schemas, error) { return ParseSchemas(schemaJSON) }

// ParseSchemas parses a schema document in the `terraform providers schema -json` shape.
func ParseSchemas(doc []byte) (*Schemas, error) {
	var top struct {
		ProviderSchemas map[string]*Schemas `json:"provider_schemas"`
	}
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, fmt.Errorf("parse provider schema: %w", err)
	}
	s, ok := top.ProviderSchemas[ProviderAddress]
	if !ok || s.Provider == nil {
		return nil, fmt.Errorf("provider schema: no %s provider in the document", ProviderAddress)
	}
	all := map[string]*Schema{"provider": s.Provider}
	for n, r := range s.Resources {
		all["resource "+n] = r
	}
	for n, d := range s.DataSources {
		all["data "+n] = d
	}
	for where, sc := range all {
		if sc.Block == nil {
			return nil, fmt.Errorf("provider schema: %s has no block", where)
		}
		if err := sc.Block.resolve(where); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (b *Block) resolve(where string) error {
	for n, a := range b.Attributes {
		t, err := ParseType(a.Type)
		if err != nil {
			return fmt.Errorf("provider schema: %s.%s: %w", where, n, err)
		}
		a.typ = t
	}
	for n, nb := range b.BlockTypes {
		switch nb.NestingMode {
		case "list", "set", "single":
		default:
			return fmt.Errorf("provider schema: %s.%s: unsupported nesting mode %q", where, n, nb.NestingMode)
		}
		if nb.Block == nil {
			return fmt.Errorf("provider schema: %s.%s: nested block has no block", where, n)
		}
		if err := nb.Block.resolve(where + "." + n); err != nil {
			return err
		}
	}
	return nil
}

// ParseType converts a cty JSON type ("string", ["list","string"], ["object",{...}]).
func ParseType(raw json.RawMessage) (tftypes.Type, error) {
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		switch name {
		case "string":
			return tftypes.String, nil
		case "number":
			return tftypes.Number, nil
		case "bool":
			return tftypes.Bool, nil
		case "dynamic":
			return tftypes.DynamicPseudoType, nil
		}
		return nil, fmt.Errorf("unknown primitive type %q", name)
	}
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return nil, fmt.Errorf("type %s: want a name or a [kind, element] pair", raw)
	}
	if err := json.Unmarshal(pair[0], &name); err != nil {
		return nil, fmt.Errorf("type %s: kind is not a string", raw)
	}
	switch name {
	case "list", "set", "map":
		el, err := ParseType(pair[1])
		if err != nil {
			return nil, err
		}
		switch name {
		case "list":
			return tftypes.List{ElementType: el}, nil
		case "set":
			return tftypes.Set{ElementType: el}, nil
		}
		return tftypes.Map{ElementType: el}, nil
	case "object":
		var attrs map[string]json.RawMessage
		if err := json.Unmarshal(pair[1], &attrs); err != nil {
			return nil, fmt.Errorf("type %s: object attributes: %w", raw, err)
		}
		out := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
		for n, r := range attrs {
			t, err := ParseType(r)
			if err != nil {
				return nil, fmt.Errorf("object attribute %s: %w", n, err)
			}
			out.AttributeTypes[n] = t
		}
		return out, nil
	}
	return nil, fmt.Errorf("type %s: unknown kind %q", raw, name)
}

// ValueType is the tftypes object type of a block.
func (b *Block) ValueType() tftypes.Type {
	o := tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}
	for n, a := range b.Attributes {
		o.AttributeTypes[n] = a.typ
	}
	for n, nb := range b.BlockTypes {
		el := nb.Block.ValueType()
		switch nb.NestingMode {
		case "list":
			o.AttributeTypes[n] = tftypes.List{ElementType: el}
		case "set":
			o.AttributeTypes[n] = tftypes.Set{ElementType: el}
		default:
			o.AttributeTypes[n] = el
		}
	}
	return o
}

// proto converts the schema to the plugin protocol's form.
func (s *Schema) proto() *tfprotov6.Schema {
	return &tfprotov6.Schema{Version: s.Version, Block: s.Block.proto()}
}

func (b *Block) proto() *tfprotov6.SchemaBlock {
	out := &tfprotov6.SchemaBlock{}
	for _, n := range sortedKeys(b.Attributes) {
		a := b.Attributes[n]
		out.Attributes = append(out.Attributes, &tfprotov6.SchemaAttribute{
			Name: n, Type: a.typ, Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive,
		})
	}
	for _, n := range sortedKeys(b.BlockTypes) {
		nb := b.BlockTypes[n]
		mode := map[string]tfprotov6.SchemaNestedBlockNestingMode{
			"list": tfprotov6.SchemaNestedBlockNestingModeList,
			"set":  tfprotov6.SchemaNestedBlockNestingModeSet,
		}[nb.NestingMode]
		if nb.NestingMode == "single" {
			mode = tfprotov6.SchemaNestedBlockNestingModeSingle
		}
		out.BlockTypes = append(out.BlockTypes, &tfprotov6.SchemaNestedBlock{
			TypeName: n, Nesting: mode, Block: nb.Block.proto(), MinItems: nb.MinItems, MaxItems: nb.MaxItems,
		})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
