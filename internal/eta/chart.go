package eta

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Okabe-Ito colours, distinguishable with common colour blindness.
var (
	blue   = color.RGBA{0, 114, 178, 255}
	orange = color.RGBA{230, 159, 0, 255}
	grey   = color.RGBA{150, 150, 150, 255}
)

// Chart draws the evaluation as a PNG: predicted vs actual time at
// placement (model and oracle, world minutes, the diagonal is perfect), and
// calibration (the share of orders delivered before each predicted
// quantile, against the quantile: on the diagonal is calibrated).
func (r *Report) Chart() ([]byte, error) {
	if len(r.Sample) == 0 {
		return nil, fmt.Errorf("eta: no test orders to chart")
	}
	scatter := plot.New()
	scatter.Title.Text = fmt.Sprintf("predicted vs actual at placement (seed %d, model %s)", r.Seed, r.ModelVersion)
	scatter.X.Label.Text = "predicted median, world minutes"
	scatter.Y.Label.Text = "actual, world minutes"
	scatter.Add(plotter.NewGrid())
	var model, oracle plotter.XYs
	top := 0.0
	for _, p := range r.Sample {
		a := p.Actual.P50.Minutes()
		model = append(model, plotter.XY{X: p.Model.P50.Minutes(), Y: a})
		oracle = append(oracle, plotter.XY{X: p.Oracle.P50.Minutes(), Y: a})
		top = max(top, a, p.Model.P50.Minutes())
	}
	for _, s := range []struct {
		name string
		xy   plotter.XYs
		c    color.Color
	}{{"oracle", oracle, grey}, {"model", model, blue}} {
		sc, err := plotter.NewScatter(s.xy)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Radius = s.c, vg.Points(1.5)
		scatter.Add(sc)
		scatter.Legend.Add(s.name, sc)
	}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: top, Y: top}})
	if err != nil {
		return nil, err
	}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	scatter.Add(diag)
	scatter.Legend.Top, scatter.Legend.Left = true, true

	calib := plot.New()
	calib.Title.Text = "calibration at placement"
	calib.X.Label.Text = "predicted quantile"
	calib.Y.Label.Text = "share of orders delivered by it"
	calib.Add(plotter.NewGrid())
	share := func(q func(Point) float64) float64 {
		n := 0
		for _, p := range r.Sample {
			if p.Actual.P50.Seconds() <= q(p) {
				n++
			}
		}
		return float64(n) / float64(len(r.Sample))
	}
	for _, s := range []struct {
		name string
		pick func(Point) [3]float64
		c    color.Color
	}{
		{"oracle", func(p Point) [3]float64 {
			return [3]float64{p.Oracle.P10.Seconds(), p.Oracle.P50.Seconds(), p.Oracle.P90.Seconds()}
		}, grey},
		{"model", func(p Point) [3]float64 {
			return [3]float64{p.Model.P10.Seconds(), p.Model.P50.Seconds(), p.Model.P90.Seconds()}
		}, blue},
	} {
		var xy plotter.XYs
		for i, q := range []float64{0.1, 0.5, 0.9} {
			xy = append(xy, plotter.XY{X: q, Y: share(func(p Point) float64 { return s.pick(p)[i] })})
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		l.Color, pts.Color = s.c, s.c
		calib.Add(l, pts)
		calib.Legend.Add(s.name, l, pts)
	}
	ideal, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, err
	}
	ideal.Color = orange
	ideal.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	calib.Add(ideal)
	calib.Legend.Add("calibrated", ideal)
	calib.Legend.Top, calib.Legend.Left = true, true
	calib.X.Min, calib.X.Max, calib.Y.Min, calib.Y.Max = 0, 1, 0, 1

	img := vgimg.NewWith(vgimg.UseWH(14*vg.Inch, 6*vg.Inch), vgimg.UseDPI(96))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 8, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 4, PadBottom: vg.Millimeter * 4, PadLeft: vg.Millimeter * 4, PadRight: vg.Millimeter * 4}
	canvases := plot.Align([][]*plot.Plot{{scatter, calib}}, tiles, dc)
	scatter.Draw(canvases[0][0])
	calib.Draw(canvases[0][1])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
