package kindcluster

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Dockerfile builds every service's image, the service named by the SERVICE
// build argument (relative to the repository root, the build context).
const Dockerfile = "services/Dockerfile"

// Image is one service's image: built from Dockerfile and tagged with the
// reference the environment's rendered manifests run, so the manifests Argo
// CD applies find it on the nodes (imagePullPolicy IfNotPresent) without a
// registry.
type Image struct {
	Service string
	Ref     string
}

// ServiceImages is the image of every service rendered for env, as
// environments/<env>/<name>/manifests.gen.yaml names it.
func ServiceImages(root, env string) ([]Image, error) {
	files, err := filepath.Glob(filepath.Join(root, "environments", env, "*", "manifests.gen.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Image
	for _, manifests := range files {
		svc := filepath.Base(filepath.Dir(manifests))
		refs, err := imagesIn(manifests, "/"+svc+":")
		if err != nil {
			return nil, err
		}
		if len(refs) != 1 {
			return nil, fmt.Errorf("%s: %d image references for service %s (%v), want one", manifests, len(refs), svc, refs)
		}
		out = append(out, Image{Service: svc, Ref: refs[0]})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no services rendered under environments/%s", root, env)
	}
	return out, nil
}

// imagesIn lists the distinct `image:` values of a rendered file that
// contain marker.
func imagesIn(path, marker string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	seen := map[string]bool{}
	var refs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "- "))
		ref, ok := strings.CutPrefix(line, "image: ")
		if !ok || !strings.Contains(ref, marker) || seen[ref] {
			continue
		}
		seen[ref] = true
		refs = append(refs, strings.Trim(ref, `"'`))
	}
	return refs, sc.Err()
}

// Build builds every image with docker from the repository root.
func Build(ctx context.Context, root string, images []Image, log io.Writer) error {
	for _, img := range images {
		cmd := exec.CommandContext(ctx, "docker", "build", "-f", Dockerfile, "--build-arg", "SERVICE="+img.Service, "-t", img.Ref, ".")
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("docker build %s (SERVICE=%s): %w", img.Ref, img.Service, err)
		}
	}
	return nil
}

// save is `docker save ref` in memory (the services' images are small:
// a static binary on distroless).
func save(ctx context.Context, ref string) ([]byte, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", "save", ref)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("docker save %s: %w: %s", ref, err, errb.String())
	}
	return out.Bytes(), nil
}
