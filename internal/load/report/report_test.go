package report

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bloody-sweet/platform/internal/load"
	"github.com/bloody-sweet/platform/internal/load/scenario"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// fixture builds a summary by hand: a 2-stage run whose second stage
// saturates, with a raw baseline that keeps up.
func fixture() *load.Summary {
	sc, err := scenario.Load("../../../tests/load/scenarios/smoke.json")
	if err != nil {
		panic(err)
	}
	mk := func(mode string, slow bool) *load.Result {
		r := &load.Result{Scenario: sc.Name, Mode: mode, Target: "embedded", Started: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC), SendSeconds: 25}
		for i := range 40 {
			rate := 5
			if i >= 5 && i < 25 {
				rate = 20
			}
			if i >= 25 {
				rate = 0
			}
			p := load.Point{Second: i, Intended: rate, OK: rate, Delivered: rate, Completed: rate, P50: 3, P95: 8, P99: 12, E2EP99: 400}
			if slow && i >= 15 {
				p.P99 = 90 + float64(i)
				p.E2EP99 = 2000 + 100*float64(i)
				p.Delivered, p.Completed = rate/2, rate/2
				if i == 18 {
					p.Errors = 2
				}
				if i >= 20 && i < 25 {
					p.Shed = 3 // refused by admission control
				}
			}
			if i >= 30 {
				p = load.Point{Second: i}
			}
			r.Series = append(r.Series, p)
		}
		st := func(name string, rate float64, secs float64, deliv int) load.StageResult {
			ok := int(rate * secs)
			return load.StageResult{Name: name, Rate: rate, Seconds: secs, Planned: ok, OK: ok, Throughput: rate,
				Delivered: deliv, DeliveredThroughput: float64(deliv) / secs, CompletedThroughput: float64(deliv) / secs,
				Request:  load.Latency{Count: uint64(ok), P50: 3, P90: 6, P95: 8, P99: 12, Max: 40},
				EndToEnd: load.Latency{Count: uint64(deliv), P50: 300, P99: 400, Max: 500}}
		}
		r.Stages = []load.StageResult{st("warmup", 5, 5, 25), st("steady", 20, 20, 400)}
		r.Total = st("total", 17, 25, 425)
		if slow {
			r.Stages[1].Delivered, r.Stages[1].DeliveredThroughput, r.Stages[1].Undelivered = 300, 15, 98
			r.Stages[1].Cancelled, r.Stages[1].CompletedThroughput = 10, 15.5
			r.Stages[1].Errors, r.Stages[1].OK = 2, 398
			r.Total.Delivered, r.Total.DeliveredThroughput, r.Total.Undelivered = 325, 13, 98
			r.Total.Cancelled, r.Total.CompletedThroughput = 10, 13.4
			r.Total.Errors, r.Total.OK, r.Total.ErrorRate = 2, 423, 2.0/425
			r.Stages[1].Shed, r.Total.Shed = 15, 15
			r.Changes = &load.Changes{CancelAsked: 21, Cancelled: 20, CancelRefused: 1, ReviseAsked: 21, ReviseTaken: 17, ReviseRefused: 4}
			r.ErrorKinds = map[string]int{"http 500": 2, "shed (http 503)": 15}
			r.ErrorSamples = map[string]string{"http 500": "order API answered 500: {\"title\":\"Internal Server Error\"}",
				"shed (http 503)": "order API answered 503: {\"reason\":\"orders_in_flight_at_bound\"}"}
		}
		return r
	}
	return load.NewSummary(sc, mk("pipeline", true), mk("raw", false), "kafka-go through 4 topic hops on the embedded stack's broker")
}

func TestMarkdownGolden(t *testing.T) {
	got := Markdown(fixture())
	path := filepath.Join("testdata", "summary.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("summary.md (-want +got), refresh with -update:\n%s", diff)
	}
}

// TestWrite writes a results folder and checks each file is there and
// readable: the JSON round-trips and the PNG decodes at the intended size
// with more than a blank canvas on it.
func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "results", "smoke")
	s := fixture()
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ChartFile))
	if err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("LOAD_CHART_OUT"); out != "" { // for looking at it
		_ = os.WriteFile(out, data, 0o644)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("chart.png: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1152 || b.Dy() != 864 {
		t.Errorf("chart size %dx%d, want 1152x864", b.Dx(), b.Dy())
	}
	if n := distinctColors(img); n < 8 {
		t.Errorf("chart has %d distinct colours: lines missing", n)
	}
	for _, f := range []string{JSONFile, MarkdownFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func distinctColors(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r >> 12, g >> 12, bl >> 12, a >> 12}] = true
		}
	}
	return len(seen)
}
