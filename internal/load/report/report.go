// Package report writes the results folder of a load run: summary.json for
// tools, summary.md for people reading a CI artifact or pull request, and
// chart.png with throughput and latency percentiles over time.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bloody-sweet/platform/internal/load"
)

// File names inside a results folder.
const (
	JSONFile     = "summary.json"
	MarkdownFile = "summary.md"
	ChartFile    = "chart.png"
)

// Write renders every file in memory first and then writes them into dir
// (created if needed), so a rendering error leaves no partial folder.
func Write(dir string, s *load.Summary) error {
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	png, err := Chart(s)
	if err != nil {
		return fmt.Errorf("draw chart: %w", err)
	}
	md := Markdown(s)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create results folder: %w", err)
	}
	for name, data := range map[string][]byte{JSONFile: append(js, '\n'), MarkdownFile: []byte(md), ChartFile: png} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// Markdown renders the summary as a short report.
func Markdown(s *load.Summary) string {
	var b strings.Builder
	verdict := "PASSED"
	if !s.Passed {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "# Load run `%s`: %s\n\n", s.Scenario.Name, verdict)
	if s.Scenario.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", s.Scenario.Description)
	}
	if r := first(s.Pipeline, s.Raw); r != nil {
		fmt.Fprintf(&b, "Started %s, %d stages over %.0fs, %d orders planned.\n\n",
			r.Started.Format("2006-01-02 15:04:05 UTC"), len(s.Scenario.Stages), r.SendSeconds, r.Total.Planned)
	}
	b.WriteString("![throughput and latency over time](" + ChartFile + ")\n\n")

	b.WriteString("## Thresholds\n\n| threshold | limit | measured | result |\n|---|---|---|---|\n")
	for _, c := range s.Checks {
		op := "<="
		if c.Name == "min_throughput" {
			op = ">="
		}
		res := "ok"
		if !c.Pass {
			res = "**FAILED**"
		}
		if c.Note != "" {
			res += ": " + c.Note
		}
		fmt.Fprintf(&b, "| `%s` | %s %s %s | %s %s | %s |\n", c.Name, op, num(c.Limit), c.Unit, num(c.Actual), c.Unit, res)
	}
	b.WriteString("\n")
	if s.Pipeline != nil {
		stageTable(&b, "Order pipeline ("+s.Pipeline.Target+")", "HTTP", "placed -> delivered", s.Pipeline)
	}
	if s.Raw != nil {
		stageTable(&b, "Raw baseline: "+s.RawNote, "produce ack", "hop 1 -> hop 4", s.Raw)
	} else if s.RawNote != "" {
		fmt.Fprintf(&b, "Raw baseline: %s\n\n", s.RawNote)
	}
	if len(s.Comparison) > 0 {
		b.WriteString("## Pipeline vs raw kafka-go (same schedule, same run)\n\n")
		b.WriteString("| stage | offered /s | pipeline finished /s | raw finished /s | ratio | pipeline e2e p99 ms | raw e2e p99 ms |\n|---|---|---|---|---|---|---|\n")
		for _, c := range s.Comparison {
			name := c.Stage
			if name == "total" {
				name = "**sustained**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %.2f | %s | %s |\n", name, num(c.Rate), num(c.PipelineFinished),
				num(c.RawFinished), c.ThroughputRatio, num(c.PipelineEndToEndP99), num(c.RawEndToEndP99))
		}
		b.WriteString("\nFinished per second counts arrivals by the second they reached the end (for the pipeline DELIVERED or " +
			"CANCELLED; the simulators decline, reject and cancel a few percent by design) during each stage; sustained is all " +
			"finished arrivals over the time until the last one finished, so a backlog drained after the sends lowers it.\n\n")
	}
	return b.String()
}

func stageTable(b *strings.Builder, title, reqName, e2eName string, r *load.Result) {
	fmt.Fprintf(b, "## %s\n\n", title)
	fmt.Fprintf(b, "| stage | offered /s | ok | errors | shed (503) | ok /s | delivered | cancelled | undelivered | %s p50 / p95 / p99 ms | %s p50 / p99 ms |\n", reqName, e2eName)
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, st := range append(append([]load.StageResult{}, r.Stages...), r.Total) {
		name := st.Name
		if name == "total" {
			name = "**total**"
		}
		fmt.Fprintf(b, "| %s | %s | %d | %d | %d | %s | %d | %d | %d | %s / %s / %s | %s / %s |\n", name, num(st.Rate), st.OK, st.Errors, st.Shed,
			num(st.Throughput), st.Delivered, st.Cancelled, st.Undelivered,
			num(st.Request.P50), num(st.Request.P95), num(st.Request.P99), num(st.EndToEnd.P50), num(st.EndToEnd.P99))
	}
	b.WriteString("\n")
	if c := r.Changes; c != nil {
		fmt.Fprintf(b, "Customers' changes right after placing: cancel asked %d, cancelled %d, refused %d (409); "+
			"revise asked %d, taken %d, refused %d (409: the store accepted first); other failures %d.\n\n",
			c.CancelAsked, c.Cancelled, c.CancelRefused, c.ReviseAsked, c.ReviseTaken, c.ReviseRefused, c.Failed)
	}
	if len(r.Hops) > 0 {
		b.WriteString("Where orders waited (time between consecutive statuses by the services' event times; the last row from a terminal event to its arrival here):\n\n")
		b.WriteString("| hop | count | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|\n")
		for _, h := range r.Hops {
			fmt.Fprintf(b, "| %s | %d | %s | %s | %s |\n", h.Hop, h.Count, num(h.P50), num(h.P99), num(h.Max))
		}
		b.WriteString("\n")
	}
	if len(r.ErrorKinds) > 0 {
		kinds := make([]string, 0, len(r.ErrorKinds))
		for k := range r.ErrorKinds {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		b.WriteString("Errors (and shed requests) by cause:\n\n")
		for _, k := range kinds {
			fmt.Fprintf(b, "- %s: %d (e.g. `%s`)\n", k, r.ErrorKinds[k], truncate(r.ErrorSamples[k], 160))
		}
		b.WriteString("\n")
	}
}

func first(rs ...*load.Result) *load.Result {
	for _, r := range rs {
		if r != nil {
			return r
		}
	}
	return nil
}

// num prints a measurement with 3 significant digits, no exponent for the
// ranges a load report has.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0")
	case v >= 0.01:
		return fmt.Sprintf("%.3g", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "`", "'")
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
