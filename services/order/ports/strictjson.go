package ports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// checkKeys walks the JSON tokens of raw and refuses what encoding/json
// would quietly accept: a key given twice in one object (the last one
// wins) and a key that is not written exactly as documented (encoding/json
// matches keys case-insensitively, and folds even "ſ" to "s" and the
// Kelvin sign to "k", so {"Store_ID":..,"store_id":..} passes as one
// field). Every documented key is lower-case ASCII, so any other key is
// refused rather than guessed at. The error names the key's path
// ("address.city", "items[0].sku"). Malformed JSON is left to the decoder,
// which says where.
func checkKeys(raw []byte) *RequestError {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	type frame struct {
		object bool
		path   string
		keys   map[string]bool
		index  int  // next array element
		key    bool // an object expects a key next
	}
	var stack []*frame
	// child returns the path of the value about to be read.
	child := func(last string) string {
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.object {
			return last
		}
		p := f.path + "[" + strconv.Itoa(f.index) + "]"
		f.index++
		return p
	}
	var pending string // path of the value after the last key
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // end of input, or malformed: the decoder reports it
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k, _ := tok.(string)
			path := k
			if top.path != "" {
				path = top.path + "." + k
			}
			if !documentedKey(k) {
				if k == "" {
					path = strings.TrimSuffix(path, ".") + `[""]` // still names where
				}
				return &RequestError{http.StatusBadRequest, path, fmt.Sprintf("key %q is not a documented field name (lower-case letters, digits and _, written exactly)", k)}
			}
			if top.keys[k] {
				return &RequestError{http.StatusBadRequest, path, fmt.Sprintf("key %q appears twice", k)}
			}
			top.keys[k] = true
			top.key = false
			pending = path
			continue
		}
		path := child(pending)
		if top != nil && top.object {
			top.key = true // the value is read: a key or '}' follows
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, path: path, keys: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: path})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}

// documentedKey: the body's field names are lower-case ASCII snake case.
func documentedKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}
