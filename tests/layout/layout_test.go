// Package layout holds the dependency rule of docs/ARCHITECTURE.md to the
// code: it lists every package of the module with `go list` (every build
// tag the tree uses, test imports included) and fails on an import that
// crosses a layer the wrong way.
package layout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/bloody-sweet/platform"

// buildTags are every tag a file of the tree is built under, so no file's
// imports escape the check.
const buildTags = "integration,faults,gitops,kind,aws"

// shared are the services' public packages the CLI side (cmd/, internal/)
// may import: the contract and what runs or checks the services locally.
var shared = []string{
	"services/events",    // the event contract
	"services/apiclient", // the client of the public API (demo, load harness, tests)
	"services/authtoken", // the bearer-token rules (edge authorizer and services)
	"services/devissuer", // the local identity provider (platform dev, tests)
	"services/stack",     // the five services in one process (demo, dev, load --embedded)
	"services/world",     // the generative model of the delivery world (simulators, platform eta eval)
	"services/eta/model", // the delivery-time model (the eta service, platform eta train/eval)
}

// transport are the packages a domain must not import: a domain knows no
// wire format, broker, database or HTTP.
var transport = []string{
	"net/http", "database/sql", "encoding/json",
	"github.com/segmentio/kafka-go", "github.com/redis/go-redis/v9",
	"services/internal/kafka", "services/internal/httpserver", "services/internal/storage",
}

// pending are the crossings issue 14 still has to remove, each named once.
// The test fails when one of them is gone, so the list only shrinks.
var pending = map[string]string{}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// root is the repository, seen from this package's folder.
var root = filepath.Join("..", "..")

func listPackages(t *testing.T) []pkg {
	t.Helper()
	statSources(t)
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Error", "-tags", buildTags, "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 50 {
		t.Fatalf("go list found %d packages; the module has far more", len(pkgs))
	}
	return pkgs
}

// statSources stats every Go file of the module. go test caches a result
// by the files the test itself opened; the imports are read by the go list
// child process, so without this an edited import would replay a stale pass.
func statSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "tools" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rel strips the module path; packages outside the module keep theirs.
func rel(path string) string {
	if path == module {
		return "."
	}
	return strings.TrimPrefix(path, module+"/")
}

// under reports whether path is dir or inside it.
func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

// service returns the deployable a services/ package belongs to
// ("order" for services/order/app), or "" for the shared ones.
func service(path string) string {
	parts := strings.Split(path, "/")
	if len(parts) < 2 || parts[0] != "services" {
		return ""
	}
	switch parts[1] {
	case "internal", "events", "apiclient", "authtoken", "devissuer", "stack", "world":
		return ""
	}
	return parts[1]
}

// layer returns the hexagon layer of a package inside a service (domain,
// app, adapters, ports, service) or "".
func layer(path string) string {
	parts := strings.Split(path, "/")
	if service(path) == "" || len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// violation says why from may not import to, or "" when it may.
func violation(from, to string, testOnly bool) string {
	switch {
	case under(from, "services"):
		if under(to, "internal") || under(to, "cmd") {
			return "services/ never imports internal/ or cmd/ (the CLI side depends on services, not the reverse)"
		}
		if under(to, "tests") && !(to == "tests/testenv" && testOnly) {
			return "services/ imports tests/ only for tests/testenv, and only from tests"
		}
		if s := service(from); s != "" && service(to) != "" && service(to) != s {
			return "a service never imports another service's packages (they talk through Kafka)"
		}
		if l, tl := layer(from), layer(to); !testOnly && service(from) == service(to) {
			switch {
			case l == "domain" && (tl == "app" || tl == "adapters" || tl == "ports" || tl == "service"):
				return "the domain depends on nothing else of its service"
			case l == "app" && (tl == "adapters" || tl == "ports" || tl == "service"):
				return "the app depends on its domain only"
			case l == "ports" && (tl == "adapters" || tl == "service"):
				return "ports do not import adapters (the composition root, service/, wires them)"
			case l == "adapters" && (tl == "ports" || tl == "service"):
				return "adapters do not import ports"
			}
		}
		if layer(from) == "domain" && !testOnly && slices.ContainsFunc(transport, func(t string) bool { return under(to, t) }) {
			return "a domain knows no transport or wire format"
		}
		if layer(from) == "app" && !testOnly && under(to, "services/internal/kafka") {
			return "an app takes app-level inputs, not the broker's delivery type"
		}
	case under(from, "internal") || under(from, "cmd"):
		if under(to, "services") && !slices.Contains(shared, to) {
			return "the CLI side imports only the services' shared packages " + strings.Join(shared, ", ")
		}
	}
	return ""
}

func TestDependencyRule(t *testing.T) {
	var found []string
	seen := map[string]bool{}
	for _, p := range listPackages(t) {
		from := rel(p.ImportPath)
		check := func(imports []string, testOnly bool) {
			for _, imp := range imports {
				to := rel(imp)
				edge := from + " -> " + to
				why := violation(from, to, testOnly)
				if why == "" || seen[edge] {
					continue
				}
				seen[edge] = true
				if _, ok := pending[edge]; ok {
					continue
				}
				found = append(found, fmt.Sprintf("%s: %s", edge, why))
			}
		}
		check(p.Imports, false)
		check(p.TestImports, true)
		check(p.XTestImports, true)
	}
	sort.Strings(found)
	for _, f := range found {
		t.Error(f)
	}
	for edge, why := range pending {
		if !seen[edge] {
			t.Errorf("pending crossing %q (%s) is gone: remove it from the list", edge, why)
		}
	}
}

// TestViolation pins the rule on made-up edges, both ways, so that a rule
// that stopped matching cannot pass silently.
func TestViolation(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		testOnly bool
		bad      bool
	}{
		{"services/order/ports", "internal/load", false, true},
		{"services/internal/auth", "internal/devissuer", true, true},
		{"services/internal/storage", "tests/testenv", true, false},
		{"services/internal/storage", "tests/testenv", false, true},
		{"services/order/app", "services/payment/domain", false, true},
		{"services/order/ports", "services/order/adapters", false, true},
		{"services/order/ports", "services/order/adapters", true, false},
		{"services/order/service", "services/order/adapters", false, false},
		{"services/order/domain", "services/order/app", false, true},
		{"services/order/domain", "net/http", false, true},
		{"services/order/domain", "services/events", false, false},
		{"services/order/app", "services/internal/kafka", false, true},
		{"services/order/adapters", "services/order/app", false, false},
		{"services/stack", "services/order/service", false, false},
		{"internal/devstack", "services/stack", false, false},
		{"internal/load", "services/order/domain", false, true},
		{"cmd/platform", "services/events", false, false},
		{"internal/render", "internal/cliexit", false, false},
	} {
		if got := violation(tc.from, tc.to, tc.testOnly) != ""; got != tc.bad {
			t.Errorf("violation(%s -> %s, test=%v) = %v, want %v", tc.from, tc.to, tc.testOnly, got, tc.bad)
		}
	}
}
