package awsprovider

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// attributeAt returns the schema attribute that path names directly, or nil when the
// path names a block, a block element or a value inside an attribute.
func attributeAt(b *Block, path *tftypes.AttributePath) *Attribute {
	steps := path.Steps()
	cur := b
	for i := 0; i < len(steps); i++ {
		name, ok := steps[i].(tftypes.AttributeName)
		if !ok {
			return nil
		}
		if a, ok := cur.Attributes[string(name)]; ok {
			if i == len(steps)-1 {
				return a
			}
			return nil
		}
		nb, ok := cur.BlockTypes[string(name)]
		if !ok {
			return nil
		}
		if nb.NestingMode != "single" {
			i++ // the element key of a list or set block
			if i >= len(steps) {
				return nil
			}
		}
		cur = nb.Block
	}
	return nil
}

// planCreate marks every computed attribute the configuration leaves null as unknown:
// on create the real provider learns those values (ids, ARNs, endpoints) only from AWS.
func planCreate(b *Block, proposed tftypes.Value) (tftypes.Value, error) {
	return tftypes.Transform(proposed, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if !v.IsNull() {
			return v, nil
		}
		if a := attributeAt(b, p); a != nil && a.Computed {
			return tftypes.NewValue(v.Type(), tftypes.UnknownValue), nil
		}
		return v, nil
	})
}

// setTagsAll sets tags_all to default_tags merged with tags, as the real provider does.
// It leaves objects without tags_all alone.
func setTagsAll(b *Block, obj tftypes.Value, defaults map[string]string) (tftypes.Value, error) {
	if _, ok := b.Attributes["tags_all"]; !ok || obj.IsNull() || !obj.IsKnown() {
		return obj, nil
	}
	var attrs map[string]tftypes.Value
	if err := obj.As(&attrs); err != nil {
		return obj, fmt.Errorf("read object: %w", err)
	}
	mapType := tftypes.Map{ElementType: tftypes.String}
	merged := map[string]tftypes.Value{}
	for k, v := range defaults {
		merged[k] = tftypes.NewValue(tftypes.String, v)
	}
	if tags, ok := attrs["tags"]; ok && !tags.IsNull() {
		if !tags.IsKnown() {
			attrs["tags_all"] = tftypes.NewValue(mapType, tftypes.UnknownValue)
			return tftypes.NewValue(obj.Type(), attrs), nil
		}
		var m map[string]tftypes.Value
		if err := tags.As(&m); err != nil {
			return obj, fmt.Errorf("read tags: %w", err)
		}
		for k, v := range m {
			merged[k] = v
		}
	}
	if len(merged) == 0 {
		attrs["tags_all"] = tftypes.NewValue(mapType, map[string]tftypes.Value{})
	} else {
		attrs["tags_all"] = tftypes.NewValue(mapType, merged)
	}
	return tftypes.NewValue(obj.Type(), attrs), nil
}

// fillUnknown replaces what is still unknown after apply (or in a data source read,
// which must return known values) with null, and a null top-level id with a stable
// fake id derived from the object's known values.
func fillUnknown(b *Block, typeName string, v tftypes.Value) (tftypes.Value, error) {
	out, err := tftypes.Transform(v, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		return tftypes.NewValue(v.Type(), nil), nil
	})
	if err != nil {
		return v, err
	}
	if _, ok := b.Attributes["id"]; !ok || out.IsNull() {
		return out, nil
	}
	var attrs map[string]tftypes.Value
	if err := out.As(&attrs); err != nil {
		return out, fmt.Errorf("read object: %w", err)
	}
	if id := attrs["id"]; id.IsNull() {
		sum := sha256.Sum256([]byte(typeName + "\x00" + out.String()))
		attrs["id"] = tftypes.NewValue(tftypes.String, typeName+"-"+hex.EncodeToString(sum[:6]))
	}
	return tftypes.NewValue(out.Type(), attrs), nil
}
