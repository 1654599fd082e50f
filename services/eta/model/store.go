package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Repository keeps model versions: the eta service loads the current one at
// start, `platform eta train` saves a new one. Dir is the local folder of
// dev and the demo; a cluster keeps them in object storage behind the
// same interface.
type Repository interface {
	Save(ctx context.Context, m *Model) error
	Current(ctx context.Context) (*Model, error)
}

// ErrNoModel is returned by Current when no version was saved yet.
var ErrNoModel = errors.New("model: no model version saved yet")

// Dir keeps each version as <version>.json in a folder and the current
// version's name in CURRENT.
type Dir struct{ Path string }

var versionRE = regexp.MustCompile(`^[0-9a-f]{12}$`)

// Save writes m and makes it current. Each file is written to a temporary
// name and renamed, so a reader never sees half a model.
func (d Dir) Save(_ context.Context, m *Model) error {
	if !versionRE.MatchString(m.Version) {
		return fmt.Errorf("model: version %q is not a model version", m.Version)
	}
	if err := os.MkdirAll(d.Path, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(d.Path, m.Version+".json"), b); err != nil {
		return err
	}
	return writeFile(filepath.Join(d.Path, "CURRENT"), []byte(m.Version+"\n"))
}

// Current loads the current version and checks it fits this build.
func (d Dir) Current(_ context.Context) (*Model, error) {
	b, err := os.ReadFile(filepath.Join(d.Path, "CURRENT"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoModel
	}
	if err != nil {
		return nil, err
	}
	v := strings.TrimSpace(string(b))
	if !versionRE.MatchString(v) {
		return nil, fmt.Errorf("model: %s: %q is not a model version", filepath.Join(d.Path, "CURRENT"), v)
	}
	return Load(filepath.Join(d.Path, v+".json"))
}

// Load reads one model file and checks it.
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("model: %s: %w", path, err)
	}
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
