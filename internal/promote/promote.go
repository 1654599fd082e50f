// Package promote moves image tags one environment forward in the CUE model
// (cue/config/images.cue) and re-renders, so a promotion is an ordinary pull
// request whose rendered diff reviewers read like any other change.
//
// Promotion only goes one step along Order: prod gets only what staging ran,
// staging only what dev ran. Dev, where releases land, is set from a
// release's image references instead (Options.Set, release.yml).
package promote

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/bloody-sweet/platform/internal/cliexit"
	"github.com/bloody-sweet/platform/internal/render"
)

// ImagesFile holds the image tags, relative to the repository root.
const ImagesFile = "cue/config/images.cue"

// Order is the path every image takes. A tag is promoted from one
// environment to the next, never past one.
var Order = []string{"dev", "staging", "prod"}

// Options says what to promote.
type Options struct {
	Root     string   // repository root
	To       string   // target environment (staging or prod)
	Services []string // empty means every service in the images file
	DryRun   bool     // plan only: change nothing on disk
	// Set gives the first environment (dev) the images a release pushed:
	// service -> "<tag>@sha256:<digest>". Only with To == Order[0].
	Set map[string]string
}

// Released is the source environment of a Move that Set made.
const Released = "release"

// releaseRef is what a release writes: the tag and the digest it pushed.
var releaseRef = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}@sha256:[0-9a-f]{64}$`)

// Move is one service's tag change.
type Move struct {
	Service  string
	From, To string // environments
	Tag      string // the tag being promoted (the From environment's)
	Previous string // the To environment's tag before the promotion
}

// Changed reports whether the move changes the target's tag.
func (m Move) Changed() bool { return m.Tag != m.Previous }

// Result is what a promotion did (or, with DryRun, would do).
type Result struct {
	Moves   []Move
	Changes []render.Change // rendered files written
}

// Run promotes the tags and renders the selected target environment. The
// images file and the rendered tree change together or not at all: a failed
// render restores the images file.
func Run(opts Options) (*Result, error) {
	var from string
	if opts.To == Order[0] && len(opts.Set) > 0 {
		if len(opts.Services) > 0 {
			return nil, cliexit.BadInputf("--service: with --set the services are the ones --set names")
		}
	} else {
		if len(opts.Set) > 0 {
			return nil, cliexit.BadInputf("--set is for %s, where releases land; %s takes the images of the environment before it", Order[0], opts.To)
		}
		var err error
		if from, err = previous(opts.To); err != nil {
			return nil, err
		}
	}
	path := filepath.Join(opts.Root, filepath.FromSlash(ImagesFile))
	orig, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ImagesFile, err)
	}
	var (
		updated []byte
		moves   []Move
	)
	if from == "" {
		updated, moves, err = SetReleased(orig, opts.To, opts.Set)
	} else {
		updated, moves, err = Promote(orig, from, opts.To, opts.Services)
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Moves: moves}
	if opts.DryRun || bytes.Equal(orig, updated) {
		return res, nil
	}
	if err := writeFile(path, updated); err != nil {
		return nil, err
	}
	_, changes, err := render.Apply(render.Options{Root: opts.Root, Envs: []string{opts.To}})
	if err != nil {
		if rerr := writeFile(path, orig); rerr != nil {
			err = errors.Join(err, fmt.Errorf("restore %s: %w", ImagesFile, rerr))
		}
		return nil, err
	}
	res.Changes = changes
	return res, nil
}

// previous returns the environment a tag is promoted to env from.
func previous(env string) (string, error) {
	i := slices.Index(Order, env)
	switch {
	case i < 0:
		return "", cliexit.BadInputf("--to %q: unknown environment (want one of %v)", env, Order[1:])
	case i == 0:
		return "", cliexit.BadInputf("--to %s: %s is where releases land: give the release's images with --set SERVICE=TAG@sha256:DIGEST", env, env)
	}
	return Order[i-1], nil
}

// Promote rewrites the images file src so that each selected service's tag
// in env to equals its tag in env from. It edits the syntax tree, so comments
// and layout survive, and fails (bad input) on a service or tag it cannot
// find rather than guess.
func Promote(src []byte, from, to string, services []string) ([]byte, []Move, error) {
	f, err := parser.ParseFile(ImagesFile, src, parser.ParseComments)
	if err != nil {
		return nil, nil, cliexit.WrapBadInput(fmt.Errorf("parse %s: %w", ImagesFile, err))
	}
	svcs, err := lookup(f.Decls, "", "services")
	if err != nil {
		return nil, nil, err
	}
	all := labels(svcs)
	if len(services) == 0 {
		services = all
	}
	var moves []Move
	for _, svc := range services {
		if !slices.Contains(all, svc) {
			return nil, nil, cliexit.BadInputf("--service %q: not in %s (services: %v)", svc, ImagesFile, all)
		}
		tags, err := lookupPath(svcs, "services", svc, "image", "tags")
		if err != nil {
			return nil, nil, err
		}
		where := "services." + svc + ".image.tags"
		src, err := tagLit(tags, where, from)
		if err != nil {
			return nil, nil, err
		}
		dst, err := tagLit(tags, where, to)
		if err != nil {
			return nil, nil, err
		}
		tag, _ := strconv.Unquote(src.Value)
		prev, _ := strconv.Unquote(dst.Value)
		dst.Value = strconv.Quote(tag)
		moves = append(moves, Move{Service: svc, From: from, To: to, Tag: tag, Previous: prev})
	}
	out, err := format.Node(f)
	if err != nil {
		return nil, nil, fmt.Errorf("format %s: %w", ImagesFile, err)
	}
	return out, moves, nil
}

// SetReleased rewrites the images file src so that env's reference of each
// service in refs is the release's "<tag>@sha256:<digest>". Like Promote it
// edits the syntax tree and refuses (bad input) an unknown service or a
// reference without a digest: a release always pushed by digest.
func SetReleased(src []byte, env string, refs map[string]string) ([]byte, []Move, error) {
	f, err := parser.ParseFile(ImagesFile, src, parser.ParseComments)
	if err != nil {
		return nil, nil, cliexit.WrapBadInput(fmt.Errorf("parse %s: %w", ImagesFile, err))
	}
	svcs, err := lookup(f.Decls, "", "services")
	if err != nil {
		return nil, nil, err
	}
	all := labels(svcs)
	for svc, ref := range refs {
		if !slices.Contains(all, svc) {
			return nil, nil, cliexit.BadInputf("--set %s: not in %s (services: %v)", svc, ImagesFile, all)
		}
		if !releaseRef.MatchString(ref) || strings.HasPrefix(ref, "latest@") {
			return nil, nil, cliexit.BadInputf("--set %s=%q: want TAG@sha256:<64 hex digits>, the tag and digest the release pushed", svc, ref)
		}
	}
	var moves []Move
	for _, svc := range all { // the file's order, not the map's
		ref, ok := refs[svc]
		if !ok {
			continue
		}
		tags, err := lookupPath(svcs, "services", svc, "image", "tags")
		if err != nil {
			return nil, nil, err
		}
		dst, err := tagLit(tags, "services."+svc+".image.tags", env)
		if err != nil {
			return nil, nil, err
		}
		prev, _ := strconv.Unquote(dst.Value)
		dst.Value = strconv.Quote(ref)
		moves = append(moves, Move{Service: svc, From: Released, To: env, Tag: ref, Previous: prev})
	}
	out, err := format.Node(f)
	if err != nil {
		return nil, nil, fmt.Errorf("format %s: %w", ImagesFile, err)
	}
	return out, moves, nil
}

// lookup finds the struct value of the field named label among decls;
// parent is the dotted path of decls, for messages.
func lookup(decls []ast.Decl, parent, label string) ([]ast.Decl, error) {
	full := label
	if parent != "" {
		full = parent + "." + label
	}
	for _, d := range decls {
		field, ok := d.(*ast.Field)
		if !ok || fieldLabel(field) != label {
			continue
		}
		s, ok := field.Value.(*ast.StructLit)
		if !ok {
			return nil, cliexit.BadInputf("%s: %s: want a struct", pos(field.Pos()), full)
		}
		return s.Elts, nil
	}
	return nil, cliexit.BadInputf("%s: no field %s", ImagesFile, full)
}

// lookupPath follows labels through nested structs, including the
// `a: b: c: {...}` shorthand (which parses as nested single-field structs).
func lookupPath(decls []ast.Decl, parent string, labels ...string) ([]ast.Decl, error) {
	for _, l := range labels {
		var err error
		if decls, err = lookup(decls, parent, l); err != nil {
			return nil, err
		}
		parent += "." + l
	}
	return decls, nil
}

// tagLit returns the string literal of tags.<env>.
func tagLit(tags []ast.Decl, where, env string) (*ast.BasicLit, error) {
	for _, d := range tags {
		field, ok := d.(*ast.Field)
		if !ok || fieldLabel(field) != env {
			continue
		}
		lit, ok := field.Value.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return nil, cliexit.BadInputf("%s: %s.%s: want a plain string tag", pos(field.Pos()), where, env)
		}
		return lit, nil
	}
	return nil, cliexit.BadInputf("%s: no field %s.%s", ImagesFile, where, env)
}

func labels(decls []ast.Decl) []string {
	var out []string
	for _, d := range decls {
		if field, ok := d.(*ast.Field); ok {
			out = append(out, fieldLabel(field))
		}
	}
	return out
}

func fieldLabel(f *ast.Field) string {
	name, _, err := ast.LabelName(f.Label)
	if err != nil {
		return ""
	}
	return name
}

func pos(p token.Pos) string {
	return fmt.Sprintf("%s:%d:%d", ImagesFile, p.Line(), p.Column())
}

// writeFile replaces path through a temp file and a rename, so a crash never
// leaves a half-written model.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".promote-*.tmp")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o644)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
