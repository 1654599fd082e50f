package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/bloody-sweet/platform/internal/load"
)

// Colours chosen to stay distinguishable for common colour blindness
// (Okabe-Ito palette).
var (
	black  = color.RGBA{0, 0, 0, 255}
	orange = color.RGBA{230, 159, 0, 255}
	sky    = color.RGBA{86, 180, 233, 255}
	green  = color.RGBA{0, 158, 115, 255}
	blue   = color.RGBA{0, 114, 178, 255}
	red    = color.RGBA{213, 94, 0, 255}
	purple = color.RGBA{204, 121, 167, 255}
	grey   = color.RGBA{150, 150, 150, 255}
)

// Chart draws two aligned panels over the seconds of the run: throughput
// (offered, answered, delivered; the raw baseline's delivered) on top, and
// latency percentiles on a log scale below, with the thresholds as dashed
// lines and the stage boundaries as grey verticals. It returns PNG bytes.
func Chart(s *load.Summary) ([]byte, error) {
	main := s.Pipeline
	if main == nil {
		main = s.Raw
	}
	if main == nil {
		return nil, fmt.Errorf("no run to chart")
	}
	top := plot.New()
	top.Title.Text = fmt.Sprintf("%s: throughput (%s)", s.Scenario.Name, main.Mode)
	top.Title.TextStyle.Font.Size = vg.Points(16)
	// Long runs are averaged over a few seconds: per-second counts of a
	// batching consumer are too spiky to read.
	win := max(1, len(main.Series)/20)
	top.Y.Label.Text = "per second"
	if win > 1 {
		top.Y.Label.Text = fmt.Sprintf("per second (%ds average)", win)
	}
	top.X.Label.Text = "seconds since start"
	top.Legend.Top = true
	top.Add(plotter.NewGrid())

	addLine(top, "offered", smooth(series(main, func(p load.Point) float64 { return float64(p.Intended) }), win), grey, true)
	addLine(top, "answered ok", smooth(series(main, func(p load.Point) float64 { return float64(p.OK) }), win), blue, false)
	addLine(top, "delivered", smooth(series(main, func(p load.Point) float64 { return float64(p.Delivered) }), win), green, false)
	if s.Raw != nil && s.Raw != main {
		addLine(top, "raw kafka-go delivered", smooth(series(s.Raw, func(p load.Point) float64 { return float64(p.Delivered) }), win), orange, true)
	}
	if errs := series(main, func(p load.Point) float64 { return float64(p.Errors) }); maxY(errs) > 0 {
		addLine(top, "errors", smooth(errs, win), red, false)
	}
	// Refused by admission control: its own line, not an error.
	if shed := series(main, func(p load.Point) float64 { return float64(p.Shed) }); maxY(shed) > 0 {
		addLine(top, "shed (503, admission control)", smooth(shed, win), purple, false)
	}
	top.Y.Min = 0
	top.Y.Max = math.Max(top.Y.Max, 1) * 1.6 // headroom for the legend
	top.Y.Tick.Marker = niceTicks{}

	bottom := plot.New()
	bottom.Title.Text = "latency percentiles (log scale)"
	bottom.Title.TextStyle.Font.Size = vg.Points(16)
	bottom.Y.Label.Text = "latency"
	bottom.X.Label.Text = "seconds since start"
	bottom.Y.Scale = plot.LogScale{}
	bottom.Y.Tick.Marker = durationTicks{}
	bottom.Legend.Top = true
	bottom.Add(plotter.NewGrid())
	reqName, e2eName := "HTTP", "placed -> delivered"
	if main.Mode == "raw" {
		reqName, e2eName = "produce", "hop 1 -> hop 4"
	}
	addLine(bottom, reqName+" p50", positive(series(main, func(p load.Point) float64 { return p.P50 })), sky, false)
	addLine(bottom, reqName+" p95", positive(series(main, func(p load.Point) float64 { return p.P95 })), blue, false)
	addLine(bottom, reqName+" p99", positive(series(main, func(p load.Point) float64 { return p.P99 })), black, false)
	addLine(bottom, e2eName+" p99", positive(series(main, func(p load.Point) float64 { return p.E2EP99 })), green, false)
	if s.Raw != nil && s.Raw != main {
		addLine(bottom, "raw kafka-go hop 1 -> hop 4 p99", positive(series(s.Raw, func(p load.Point) float64 { return p.E2EP99 })), orange, true)
	}
	xmax := float64(len(main.Series))
	t := s.Scenario.Thresholds
	addLine(bottom, "http_p99 threshold", flat(xmax, float64(t.HTTPP99.Milliseconds())), purple, true)
	addLine(bottom, "placed_to_delivered_p99 threshold", flat(xmax, float64(t.PlacedToDeliveredP99.Milliseconds())), red, true)
	// A log axis cannot start at 0: start one decade below the smallest value.
	bottom.Y.Min = math.Max(0.01, math.Pow(10, math.Floor(math.Log10(math.Max(bottom.Y.Min, 0.01)))))
	// and 2.6 decades above the largest, so the legend sits above every line.
	bottom.Y.Max = math.Pow(10, 2.6+math.Log10(math.Max(bottom.Y.Max, 1)))

	for _, p := range []*plot.Plot{top, bottom} {
		p.X.Min = 0
		p.X.Max = xmax
		p.X.Tick.Marker = niceTicks{}
		p.Legend.TextStyle.Font.Size = vg.Points(13)
		stageMarks(p, s)
	}

	img := vgimg.NewWith(vgimg.UseWH(12*vg.Inch, 9*vg.Inch), vgimg.UseDPI(96))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 8,
		PadTop: vg.Millimeter * 3, PadBottom: vg.Millimeter * 3, PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 6}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}

func series(r *load.Result, f func(load.Point) float64) plotter.XYs {
	xy := make(plotter.XYs, len(r.Series))
	for i, p := range r.Series {
		xy[i] = plotter.XY{X: float64(p.Second) + 0.5, Y: f(p)}
	}
	return xy
}

// positive drops the seconds with no sample (0), which a log axis cannot
// show and which are gaps, not zero latency.
func positive(xy plotter.XYs) plotter.XYs {
	out := xy[:0:0]
	for _, p := range xy {
		if p.Y > 0 {
			out = append(out, p)
		}
	}
	return out
}

func flat(xmax, y float64) plotter.XYs {
	if y <= 0 {
		return nil
	}
	return plotter.XYs{{X: 0, Y: y}, {X: xmax, Y: y}}
}

func maxY(xy plotter.XYs) float64 {
	m := 0.0
	for _, p := range xy {
		m = math.Max(m, p.Y)
	}
	return m
}

func addLine(p *plot.Plot, name string, xy plotter.XYs, c color.Color, dashed bool) {
	if len(xy) == 0 {
		return
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return // NaN or Inf in a series: leave the line out rather than fail the report
	}
	l.Color = c
	l.Width = vg.Points(2)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
	}
	p.Add(l)
	p.Legend.Add(name, l)
}

// stageMarks draws a grey vertical line at each stage boundary with the
// stage name and rate at the bottom (the legend is at the top).
func stageMarks(p *plot.Plot, s *load.Summary) {
	at := 0.0
	var labels plotter.XYLabels
	for _, st := range s.Scenario.Stages {
		line, err := plotter.NewLine(plotter.XYs{{X: at, Y: p.Y.Min}, {X: at, Y: p.Y.Max}})
		if err == nil {
			line.Color = grey
			line.Dashes = []vg.Length{vg.Points(2), vg.Points(3)}
			p.Add(line)
		}
		labels.XYs = append(labels.XYs, plotter.XY{X: at, Y: p.Y.Min})
		labels.Labels = append(labels.Labels, fmt.Sprintf(" %s %g/s", st.Name, st.Rate))
		at += st.Duration.Seconds()
	}
	if l, err := plotter.NewLabels(labels); err == nil {
		for i := range l.TextStyle {
			l.TextStyle[i].Color = grey
			l.TextStyle[i].YAlign = draw.YBottom
			l.TextStyle[i].Font.Size = vg.Points(12)
		}
		p.Add(l)
	}
}

// niceTicks labels about six round values (1, 2 or 5 times a power of ten)
// with minor ticks between; the default marker labels only the two ends.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if hi <= lo {
		return []plot.Tick{{Value: lo, Label: fmt.Sprintf("%g", lo)}}
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step/1e6; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%g", math.Round(v/step)*step)})
		if minor := v + step/2; minor < hi {
			ticks = append(ticks, plot.Tick{Value: minor})
		}
	}
	return ticks
}

// durationTicks labels each decade of a millisecond log axis as a
// duration ("10ms", "1s", "100s"), with minor ticks at 2x and 5x.
type durationTicks struct{}

func (durationTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for d := math.Pow(10, math.Floor(math.Log10(lo))); d <= hi; d *= 10 {
		if d >= lo {
			ticks = append(ticks, plot.Tick{Value: d, Label: msLabel(d)})
		}
		for _, m := range []float64{2, 5} {
			if v := d * m; v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}

func msLabel(ms float64) string {
	switch {
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'f', -1, 64) + "s"
	case ms >= 1:
		return strconv.FormatFloat(ms, 'f', -1, 64) + "ms"
	default:
		return strconv.FormatFloat(ms*1000, 'f', -1, 64) + "µs"
	}
}

// smooth replaces each point by the mean of the win points ending at it.
func smooth(xy plotter.XYs, win int) plotter.XYs {
	if win <= 1 {
		return xy
	}
	out := make(plotter.XYs, len(xy))
	sum := 0.0
	for i, p := range xy {
		sum += p.Y
		if i >= win {
			sum -= xy[i-win].Y
		}
		out[i] = plotter.XY{X: p.X, Y: sum / float64(min(i+1, win))}
	}
	return out
}
