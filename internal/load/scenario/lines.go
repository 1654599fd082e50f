package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// pathLines maps every field and array element of a JSON document to the
// line it starts on, so validation errors (which know only the field path)
// can point at a line. encoding/json keeps no positions, hence this walk.
type pathLines []pathLine

type pathLine struct {
	path  string // "stages[1].rate"
	key   string // last object key on the path ("rate"); "" for array elements
	line  int
	value any // the first token of the value
}

func fieldLines(data []byte) (pathLines, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out pathLines
	var walk func(path, key string, recorded bool) error
	walk = func(path, key string, recorded bool) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if !recorded {
			out = append(out, pathLine{path: path, key: key, line: lineAt(data, dec.InputOffset()), value: tok})
		} else {
			out[len(out)-1].value = tok
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				p := k
				if path != "" {
					p = path + "." + k
				}
				out = append(out, pathLine{path: p, key: k, line: lineAt(data, dec.InputOffset())})
				if err := walk(p, k, true); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(fmt.Sprintf("%s[%d]", path, i), "", false); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	if err := walk("", "", false); err != nil {
		return nil, err
	}
	return out, nil
}

// lineOf returns the line of path, or of its closest recorded parent.
func (pl pathLines) lineOf(path string) int {
	for p := path; p != ""; {
		for _, e := range pl {
			if e.path == p {
				return e.line
			}
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// find returns the first path whose last key is key.
func (pl pathLines) find(key string) (string, int) {
	for _, e := range pl {
		if e.key == key {
			return e.path, e.line
		}
	}
	return key, 0
}

// durationKeys are the fields of type Duration.
var durationKeys = map[string]bool{
	"duration": true, "delivery_timeout": true,
	"http_p95": true, "http_p99": true, "placed_to_delivered_p99": true,
}

// findBadDuration returns the first duration field whose value does not parse.
func (pl pathLines) findBadDuration() (string, int) {
	for _, e := range pl {
		if !durationKeys[e.key] {
			continue
		}
		s, ok := e.value.(string)
		if !ok {
			return e.path, e.line
		}
		if _, err := time.ParseDuration(s); err != nil {
			return e.path, e.line
		}
	}
	return "", 0
}

// lineAt converts a byte offset into a 1-based line number.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + bytes.Count(data[:off], []byte("\n"))
}
