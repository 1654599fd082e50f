package render

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/bloody-sweet/platform/internal/render/benchmodel"
)

// BenchmarkRender renders 5, 50 and 200 services x 3 environments into a
// fresh tree each iteration (evaluation, Helm rendering, writing every file).
// scripts/bench-render.sh times the separate-CLI pipeline on the same input.
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{5, 50, 200} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			model := b.TempDir()
			if err := benchmodel.Write(filepath.Join(model, "root"), repoRoot(b), n); err != nil {
				b.Fatal(err)
			}
			files := 0
			i := 0
			for b.Loop() {
				// a fresh output tree: copy only the symlinks, not outputs.
				b.StopTimer()
				root := filepath.Join(b.TempDir(), fmt.Sprint(i))
				if err := benchmodel.Write(root, repoRoot(b), n); err != nil {
					b.Fatal(err)
				}
				i++
				b.StartTimer()
				res, changes, err := Apply(Options{Root: root})
				if err != nil {
					b.Fatal(err)
				}
				if len(changes) != len(res.Files) {
					b.Fatalf("%d changes for %d files", len(changes), len(res.Files))
				}
				files = len(res.Files)
			}
			b.ReportMetric(float64(files), "files")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(3*n)/1000, "ms/service-env")
		})
	}
}
