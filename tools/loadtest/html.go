package loadtest

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// The HTML report is one self-contained file: inline CSS and SVG charts
// drawn here, no scripts, fonts or anything fetched from a network.

// Colours of the charts.
const (
	colP50    = "#2563eb"
	colP95    = "#f59e0b"
	colP99    = "#dc2626"
	colMax    = "#6b7280"
	colOK     = "#16a34a"
	colErrors = "#dc2626"
)

type tick struct {
	Pos   float64
	Label string
}

type point struct{ X, Y float64 }

type series struct {
	Name, Color string
	Points      string // SVG polyline points
	Area        string // SVG polygon points under the line, "" for none
	Dots        []point
}

type legendItem struct {
	Name, Color string
	X           float64
}

// lineChart is a time-series chart: seconds of the run across, a value up.
type lineChart struct {
	W, H       float64
	L, R, T, B float64 // the plot area
	YTicks     []tick
	XTicks     []tick
	Series     []series
	Legend     []legendItem
	YTitle     string
	XTitle     string
	Empty      bool
	// End marks where the duration ended: after it VUs start no new
	// scenario, and only the last ones finish.
	End *tick
}

type bar struct {
	X, Y, W, H float64
	Color      string
	Title      string
}

type barRow struct {
	Label  string
	Y      float64 // text baseline of the label
	Bars   []bar
	Max    point
	MaxTip string
	Value  string // p99, written after the bars
	ValueX float64
}

// barChart is the per-step percentile chart: one row per step, bars on a
// logarithmic latency axis.
type barChart struct {
	W, H       float64
	L, R, T, B float64
	XTicks     []tick
	Rows       []barRow
	Legend     []legendItem
}

type chip struct {
	Code   string
	N      string
	Severe bool // not a business rejection: transport, 5xx, unexpected
}

type stepRow struct {
	Name, Requests, OK, ErrPct, PerSecond string
	P50, P95, P99, Max                    string
	Errors                                []chip
	Total                                 bool
	Failing                               bool
}

type scenarioRow struct {
	Name, Weight, Share, Runs, OK, Failed, Mean string
	Failing                                     bool
}

type card struct {
	Label, Value, Sub, Class string
}

type kv struct{ K, V string }

type page struct {
	URL        string
	Started    string
	Cards      []card
	Latency    lineChart
	Throughput lineChart
	Bars       barChart
	Steps      []stepRow
	Setup      []stepRow
	Scenarios  []scenarioRow
	AuditOK    bool
	AuditHead  string
	AuditFacts []kv
	Problems   []string
	Config     []kv
}

// severe reports whether an outcome is a failure of the system rather
// than a rejection a real user could meet (insufficient funds, the daily
// limit…).
func severe(code string) bool {
	switch code {
	case "transport", "internal", "unexpected", "canceled":
		return true
	}
	return strings.HasPrefix(code, "http_5")
}

func toRow(s StepStats, total bool) stepRow {
	row := stepRow{Name: s.Name, Requests: thousands(int64(s.Requests)), OK: thousands(int64(s.OK)),
		PerSecond: rate(s.PerSecond), P50: ms(s.P50), P95: ms(s.P95), P99: ms(s.P99), Max: ms(s.Max), Total: total}
	if s.Requests > 0 {
		row.ErrPct = pct(float64(s.ErrorCount()) / float64(s.Requests))
	}
	row.Failing = s.ErrorCount() > 0
	for _, part := range strings.Split(s.ErrorList(), ", ") {
		if code, n, ok := strings.Cut(part, " "); ok {
			row.Errors = append(row.Errors, chip{Code: code, N: n, Severe: severe(code)})
		}
	}
	return row
}

func pct(f float64) string {
	switch {
	case f == 0:
		return "0%"
	case f < 0.001:
		return "<0.1%"
	}
	return strconv.FormatFloat(100*f, 'f', 1, 64) + "%"
}

// niceTicks returns about n round tick values from 0 to at least max.
func niceTicks(max float64, n int) []float64 {
	if max <= 0 {
		max = 1
	}
	raw := max / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := 0.0; v < max+step*0.999; v += step {
		out = append(out, v)
	}
	return out
}

func num(v float64) string {
	if v == math.Trunc(v) {
		return thousands(int64(v))
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// lineData is one line of a time chart: a value per second.
type lineData struct {
	name, color string
	vals        []float64
	area        bool // shade the area under the line
}

// timeChart draws series of per-second values.
func timeChart(yTitle string, n int, end time.Duration, lines []lineData) lineChart {
	c := lineChart{W: 1040, H: 280, L: 64, R: 1020, T: 34, B: 244, YTitle: yTitle, XTitle: "seconds into the run"}
	hi := 0.0
	for _, l := range lines {
		for _, v := range l.vals {
			hi = math.Max(hi, v)
		}
	}
	if n == 0 {
		c.Empty = true
		return c
	}
	ys := niceTicks(hi, 4)
	top := ys[len(ys)-1]
	y := func(v float64) float64 { return c.B - (c.B-c.T)*v/top }
	x := func(sec float64) float64 { return c.L + (c.R-c.L)*sec/float64(n) }
	for _, v := range ys {
		c.YTicks = append(c.YTicks, tick{Pos: y(v), Label: num(v)})
	}
	xs := niceTicks(float64(n), 10)
	for _, v := range xs {
		if v <= float64(n) {
			c.XTicks = append(c.XTicks, tick{Pos: x(v), Label: num(v)})
		}
	}
	if e := end.Seconds(); e > 0 && e < float64(n) {
		c.End = &tick{Pos: x(e), Label: "duration ends"}
	}
	lx := c.R
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		lx -= 12 + 7*float64(len(l.name)) + 18
		c.Legend = append([]legendItem{{Name: l.name, Color: l.color, X: lx}}, c.Legend...)
		var pts []string
		s := series{Name: l.name, Color: l.color}
		for j, v := range l.vals {
			p := point{x(float64(j) + 0.5), y(v)}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.X, p.Y))
			if n <= 90 {
				s.Dots = append(s.Dots, p)
			}
		}
		s.Points = strings.Join(pts, " ")
		if l.area && len(pts) > 0 {
			s.Area = fmt.Sprintf("%.1f,%.1f %s %.1f,%.1f", x(0.5), c.B, s.Points, x(float64(len(l.vals))-0.5), c.B)
		}
		c.Series = append([]series{s}, c.Series...)
	}
	return c
}

// stepBars draws p50/p95/p99 per step on a log axis, with max as a dot.
func stepBars(steps []StepStats) barChart {
	const rowH, barH = 40.0, 8.0
	c := barChart{W: 1040, L: 150, R: 880, T: 40}
	c.B = c.T + rowH*float64(len(steps))
	c.H = c.B + 34
	if len(steps) == 0 {
		return c
	}
	lo, hi := math.Inf(1), 0.0
	for _, s := range steps {
		if s.P50 > 0 {
			lo = math.Min(lo, float64(s.P50)/1e6)
		}
		hi = math.Max(hi, float64(s.Max)/1e6)
	}
	if hi <= 0 {
		hi = 1
	}
	if math.IsInf(lo, 1) || lo <= 0 {
		lo = hi / 10
	}
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dhi <= dlo {
		dhi = dlo + 1
	}
	x := func(msv float64) float64 {
		if msv <= 0 {
			return c.L
		}
		f := (math.Log10(msv) - dlo) / (dhi - dlo)
		return c.L + (c.R-c.L)*math.Min(math.Max(f, 0), 1)
	}
	for d := dlo; d <= dhi; d++ {
		v := math.Pow(10, d)
		label := strconv.FormatFloat(v, 'f', -1, 64) + " ms"
		if v >= 1000 {
			label = strconv.FormatFloat(v/1000, 'f', -1, 64) + " s"
		}
		c.XTicks = append(c.XTicks, tick{Pos: x(v), Label: label})
	}
	for i, s := range steps {
		top := c.T + rowH*float64(i) + (rowH-3*barH-4)/2
		row := barRow{Label: s.Name, Y: top + 1.5*barH + 6}
		for j, p := range []struct {
			name  string
			v     time.Duration
			color string
		}{{"p50", s.P50, colP50}, {"p95", s.P95, colP95}, {"p99", s.P99, colP99}} {
			w := math.Max(x(float64(p.v)/1e6)-c.L, 1)
			row.Bars = append(row.Bars, bar{X: c.L, Y: top + float64(j)*(barH+2), W: w, H: barH, Color: p.color,
				Title: fmt.Sprintf("%s %s: %s", s.Name, p.name, ms(p.v))})
		}
		row.Max = point{x(float64(s.Max) / 1e6), top + 1.5*barH + 2}
		row.MaxTip = fmt.Sprintf("%s max: %s", s.Name, ms(s.Max))
		row.Value = ms(s.P50) + " · " + ms(s.P99)
		row.ValueX = c.R + 16
		c.Rows = append(c.Rows, row)
	}
	lx := c.L
	for _, l := range []legendItem{{"p50", colP50, 0}, {"p95", colP95, 0}, {"p99", colP99, 0}, {"max", colMax, 0}} {
		l.X = lx
		c.Legend = append(c.Legend, l)
		lx += 70
	}
	return c
}

func (r *Report) page() page {
	p := page{URL: r.URL, Started: r.Started.Format("2006-01-02 15:04:05 MST")}
	errRate := 0.0
	if r.Total.Requests > 0 {
		errRate = float64(r.Total.ErrorCount()) / float64(r.Total.Requests)
	}
	severeN := 0
	for _, s := range r.Steps {
		for code, n := range s.Errors {
			if severe(code) {
				severeN += n
			}
		}
	}
	audit := card{Label: "audit", Value: "PASSED", Sub: "the books balance", Class: "good"}
	switch {
	case r.AuditErr != "":
		audit = card{Label: "audit", Value: "NOT RUN", Sub: "cannot prove the books", Class: "bad"}
	case len(r.Audit.Problems) > 0:
		audit = card{Label: "audit", Value: "FAILED", Sub: fmt.Sprintf("%d problems", len(r.Audit.Problems)), Class: "bad"}
	}
	errClass := ""
	if severeN > 0 {
		errClass = "bad"
	}
	p.Cards = []card{
		{Label: "requests", Value: thousands(int64(r.Total.Requests)), Sub: fmt.Sprintf("in %s, %d VUs", r.Elapsed.Round(100*time.Millisecond), r.Concurrency)},
		{Label: "throughput", Value: rate(r.Total.PerSecond), Sub: "requests per second"},
		{Label: "latency p50 · p99", Value: ms(r.Total.P50) + " · " + ms(r.Total.P99), Sub: "all steps, max " + ms(r.Total.Max)},
		{Label: "errors", Value: pct(errRate), Sub: fmt.Sprintf("%s rejected, %d system", thousands(int64(r.Total.ErrorCount()-severeN)), severeN), Class: errClass},
		audit,
	}

	n := len(r.Timeline)
	p50, p99, thr, errs := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, b := range r.Timeline {
		p50[i], p99[i] = float64(b.P50)/1e6, float64(b.P99)/1e6
		span := math.Min(1, r.Elapsed.Seconds()-float64(i))
		if span < 0.05 {
			span = 0.05
		}
		thr[i], errs[i] = float64(b.Requests)/span, float64(b.Errors)/span
	}
	p.Latency = timeChart("latency (ms)", n, r.Duration, []lineData{{"p50", colP50, p50, false}, {"p99", colP99, p99, false}})
	p.Throughput = timeChart("requests per second", n, r.Duration, []lineData{{"requests/s", colOK, thr, true}, {"errors/s", colErrors, errs, false}})
	p.Bars = stepBars(r.Steps)

	for _, s := range r.Steps {
		p.Steps = append(p.Steps, toRow(s, false))
	}
	p.Steps = append(p.Steps, toRow(r.Total, true))
	for _, s := range r.Setup {
		p.Setup = append(p.Setup, toRow(s, false))
	}
	totalW := 0
	for _, s := range r.Scenarios {
		totalW += s.Weight
	}
	for _, s := range r.Scenarios {
		row := scenarioRow{Name: s.Name, Weight: strconv.Itoa(s.Weight), Runs: thousands(int64(s.Runs)), OK: thousands(int64(s.OK)),
			Failed: thousands(int64(s.Failed)), Failing: s.Failed > 0, Mean: "–"}
		if totalW > 0 {
			row.Share = pct(float64(s.Weight) / float64(totalW))
		}
		if s.Runs > 0 {
			row.Mean = ms(s.Time / time.Duration(s.Runs))
		}
		p.Scenarios = append(p.Scenarios, row)
	}

	switch {
	case r.AuditErr != "":
		p.AuditHead = "The audit did not run: " + r.AuditErr
	case len(r.Audit.Problems) > 0:
		p.AuditHead = fmt.Sprintf("The audit found %d problems: the books do not balance.", len(r.Audit.Problems))
		p.Problems = r.Audit.Problems
	default:
		p.AuditOK = true
		p.AuditHead = "The books balance: every transaction sums to zero, every balance equals its entries, no balance is negative, the pending hold equals the open pending transfers."
	}
	if r.Audit != nil {
		p.AuditFacts = []kv{{"transactions", thousands(r.Audit.Transactions)}, {"entries", thousands(r.Audit.Entries)},
			{"money in user accounts", thousands(r.Audit.UserMoney) + " won"}, {"audit time", ms(r.AuditElapsed)}}
	}

	weights := make([]string, 0, len(r.Weights))
	for _, s := range Scenarios {
		weights = append(weights, fmt.Sprintf("%s=%d", s, r.Weights[s]))
	}
	rateS := "unlimited (closed loop)"
	if r.Rate > 0 {
		rateS = rate(r.Rate) + " scenario starts/s"
	}
	p.Config = []kv{
		{"server", r.URL}, {"users set up", thousands(int64(r.Users))}, {"users at the end", thousands(int64(r.FinalUsers))},
		{"virtual users", strconv.Itoa(r.Concurrency)}, {"duration", r.Duration.String()}, {"rate", rateS},
		{"hot burst senders", strconv.Itoa(r.HotSenders)}, {"weights", strings.Join(weights, " ")},
		{"seed", strconv.FormatUint(r.Seed, 10)}, {"setup time", r.SetupElapsed.Round(time.Millisecond).String()},
		{"retried requests", thousands(r.Retries)}, {"run id", r.RunID},
	}
	return p
}

// WriteHTML writes the report as one self-contained HTML page.
func (r *Report) WriteHTML(w io.Writer) error {
	return reportTemplate.Execute(w, r.page())
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"f":   func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	"add": func(a, b float64) float64 { return a + b },
}).Parse(reportHTML))

const reportHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>minipay load test — {{.URL}}</title>
<style>
  :root { --fg:#1f2933; --muted:#64748b; --line:#e2e8f0; --bg:#f5f7fa; --good:#15803d; --goodbg:#dcfce7; --bad:#b91c1c; --badbg:#fee2e2; --warn:#92400e; --warnbg:#fef3c7; }
  * { box-sizing: border-box; }
  body { margin:0; background:var(--bg); color:var(--fg); font:14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
  main { max-width:1100px; margin:0 auto; padding:28px 24px 48px; }
  h1 { font-size:24px; margin:0 0 2px; }
  h2 { font-size:16px; margin:0 0 12px; }
  .sub { color:var(--muted); margin-bottom:20px; }
  .cards { display:grid; grid-template-columns:repeat(5, 1fr); gap:12px; margin-bottom:16px; }
  .card { background:#fff; border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
  .card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
  .card .value { font-size:24px; font-weight:650; margin:4px 0 2px; white-space:nowrap; }
  .card .small { color:var(--muted); font-size:12px; }
  .card.good { background:var(--goodbg); border-color:#86efac; } .card.good .value { color:var(--good); }
  .card.bad { background:var(--badbg); border-color:#fca5a5; } .card.bad .value { color:var(--bad); }
  section { background:#fff; border:1px solid var(--line); border-radius:10px; padding:16px 18px; margin-bottom:16px; }
  .note { color:var(--muted); font-size:12.5px; margin:-6px 0 10px; }
  svg.chart { display:block; width:100%; height:auto; }
  svg text { font-family:inherit; font-size:12px; fill:#475569; }
  svg .grid { stroke:#e5e7eb; stroke-width:1; }
  svg .axis { stroke:#94a3b8; stroke-width:1; }
  svg .lab { fill:#1f2933; font-size:12.5px; }
  svg .title { fill:#64748b; font-size:11.5px; }
  table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
  th, td { padding:6px 8px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
  th { color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
  th:first-child, td:first-child { text-align:left; }
  td.errs, th.errs { text-align:left; white-space:normal; }
  tr.total td { font-weight:650; border-top:2px solid #cbd5e1; }
  .chip { display:inline-block; padding:1px 7px; margin:1px 4px 1px 0; border-radius:999px; font-size:12px; background:var(--warnbg); color:var(--warn); }
  .chip.severe { background:var(--badbg); color:var(--bad); font-weight:600; }
  td.warn { color:var(--warn); font-weight:600; } td.zero { color:#94a3b8; }
  .ok { color:var(--good); } .fail { color:var(--bad); font-weight:600; }
  .audit { border-left:6px solid var(--good); } .audit.bad { border-left-color:var(--bad); }
  .audit .head { font-size:15px; font-weight:600; margin-bottom:8px; }
  dl { display:grid; grid-template-columns:max-content 1fr; gap:4px 18px; margin:0; }
  dt { color:var(--muted); } dd { margin:0; font-variant-numeric:tabular-nums; }
  ul.problems { color:var(--bad); margin:8px 0 0; }
  .two { display:grid; grid-template-columns:1fr 1fr; gap:16px; }
  .two section { margin-bottom:0; }
</style>
</head>
<body>
<main>
<h1>minipay load test</h1>
<div class="sub">{{.URL}} · started {{.Started}}</div>

<div class="cards">
{{range .Cards}}<div class="card {{.Class}}"><div class="label">{{.Label}}</div><div class="value">{{.Value}}</div><div class="small">{{.Sub}}</div></div>
{{end}}</div>

<section class="audit{{if not .AuditOK}} bad{{end}}">
  <h2>Audit</h2>
  <div class="head {{if .AuditOK}}ok{{else}}fail{{end}}">{{.AuditHead}}</div>
  {{if .AuditFacts}}<dl>{{range .AuditFacts}}<dt>{{.K}}</dt><dd>{{.V}}</dd>{{end}}</dl>{{end}}
  {{if .Problems}}<ul class="problems">{{range .Problems}}<li>{{.}}</li>{{end}}</ul>{{end}}
</section>

<section>
  <h2>Latency over time</h2>
  <div class="note">p50 and p99 of the requests that started in each second, all steps together. Hot bursts show as p99 spikes.</div>
  {{template "line" .Latency}}
</section>

<section>
  <h2>Throughput over time</h2>
  <div class="note">Requests started per second, and how many of them failed (any error code).</div>
  {{template "line" .Throughput}}
</section>

<section>
  <h2>Latency by step</h2>
  <div class="note">Bars: p50, p95, p99; dot: max. Logarithmic scale. On the right: p50 · p99.</div>
  {{template "bars" .Bars}}
</section>

<section>
  <h2>Steps</h2>
  <div class="note">Every HTTP request the virtual users made. Amber codes are rejections a real user could meet (not enough money, the daily limit); red ones are failures of the system.</div>
  <table>
    <tr><th>step</th><th>requests</th><th>ok</th><th>errors</th><th>req/s</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th class="errs">errors by code</th></tr>
    {{range .Steps}}<tr{{if .Total}} class="total"{{end}}><td>{{.Name}}</td><td>{{.Requests}}</td><td>{{.OK}}</td><td{{if .Failing}} class="warn"{{else}} class="zero"{{end}}>{{.ErrPct}}</td><td>{{.PerSecond}}</td><td>{{.P50}}</td><td>{{.P95}}</td><td>{{.P99}}</td><td>{{.Max}}</td>
      <td class="errs">{{range .Errors}}<span class="chip{{if .Severe}} severe{{end}}">{{.Code}} {{.N}}</span>{{end}}</td></tr>
    {{end}}
  </table>
</section>

<div class="two">
<section>
  <h2>Scenarios</h2>
  <div class="note">A run fails when any of its steps fails. One hot run is one burst of many transfers.</div>
  <table>
    <tr><th>scenario</th><th>weight</th><th>runs</th><th>ok</th><th>failed</th><th>mean</th></tr>
    {{range .Scenarios}}<tr><td>{{.Name}}</td><td>{{.Weight}} <span class="title">({{.Share}})</span></td><td>{{.Runs}}</td><td>{{.OK}}</td><td{{if .Failing}} class="fail"{{end}}>{{.Failed}}</td><td>{{.Mean}}</td></tr>
    {{end}}
  </table>
</section>
<section>
  <h2>Run</h2>
  <dl>{{range .Config}}<dt>{{.K}}</dt><dd>{{.V}}</dd>{{end}}</dl>
</section>
</div>

<section style="margin-top:16px">
  <h2>Setup</h2>
  <div class="note">Signing up, logging in and funding the users before the run; not in the numbers above.</div>
  <table>
    <tr><th>step</th><th>requests</th><th>ok</th><th>errors</th><th>req/s</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th class="errs">errors by code</th></tr>
    {{range .Setup}}<tr><td>{{.Name}}</td><td>{{.Requests}}</td><td>{{.OK}}</td><td{{if .Failing}} class="warn"{{else}} class="zero"{{end}}>{{.ErrPct}}</td><td>{{.PerSecond}}</td><td>{{.P50}}</td><td>{{.P95}}</td><td>{{.P99}}</td><td>{{.Max}}</td>
      <td class="errs">{{range .Errors}}<span class="chip{{if .Severe}} severe{{end}}">{{.Code}} {{.N}}</span>{{end}}</td></tr>
    {{end}}
  </table>
</section>
</main>
</body>
</html>
{{define "line"}}<svg class="chart" viewBox="0 0 {{f .W}} {{f .H}}" role="img" aria-label="{{.YTitle}}">
{{if .Empty}}<text x="{{f .L}}" y="{{f .T}}">no data</text>{{else}}
{{range .YTicks}}<line class="grid" x1="{{f $.L}}" x2="{{f $.R}}" y1="{{f .Pos}}" y2="{{f .Pos}}"/><text x="{{f (add $.L -8)}}" y="{{f (add .Pos 4)}}" text-anchor="end">{{.Label}}</text>
{{end}}<line class="axis" x1="{{f .L}}" x2="{{f .R}}" y1="{{f .B}}" y2="{{f .B}}"/>
{{range .XTicks}}<line class="axis" x1="{{f .Pos}}" x2="{{f .Pos}}" y1="{{f $.B}}" y2="{{f (add $.B 5)}}"/><text x="{{f .Pos}}" y="{{f (add $.B 19)}}" text-anchor="middle">{{.Label}}</text>
{{end}}<text class="title" x="{{f .L}}" y="{{f (add .T -14)}}">{{.YTitle}}</text>
<text class="title" x="{{f .R}}" y="{{f (add .B 34)}}" text-anchor="end">{{.XTitle}}</text>
{{with .End}}<line x1="{{f .Pos}}" x2="{{f .Pos}}" y1="{{f $.T}}" y2="{{f $.B}}" stroke="#94a3b8" stroke-dasharray="4 3"/><text class="title" x="{{f (add .Pos -4)}}" y="{{f (add $.T 10)}}" text-anchor="end">{{.Label}}</text>{{end}}
{{range .Series}}{{if .Area}}<polygon points="{{.Area}}" fill="{{.Color}}" fill-opacity="0.12" stroke="none"/>{{end}}
<polyline points="{{.Points}}" fill="none" stroke="{{.Color}}" stroke-width="2" stroke-linejoin="round"/>
{{$c := .Color}}{{range .Dots}}<circle cx="{{f .X}}" cy="{{f .Y}}" r="2.5" fill="{{$c}}"/>{{end}}
{{end}}{{range .Legend}}<rect x="{{f .X}}" y="{{f (add $.T -24)}}" width="12" height="12" rx="2" fill="{{.Color}}"/><text class="lab" x="{{f (add .X 17)}}" y="{{f (add $.T -14)}}">{{.Name}}</text>
{{end}}{{end}}</svg>{{end}}
{{define "bars"}}<svg class="chart" viewBox="0 0 {{f .W}} {{f .H}}" role="img" aria-label="latency by step">
{{range .XTicks}}<line class="grid" x1="{{f .Pos}}" x2="{{f .Pos}}" y1="{{f $.T}}" y2="{{f $.B}}"/><text x="{{f .Pos}}" y="{{f (add $.B 18)}}" text-anchor="middle">{{.Label}}</text>
{{end}}<text class="title" x="{{f (add .R 16)}}" y="{{f (add .T -20)}}">p50 · p99</text>
{{range .Rows}}<text class="lab" x="{{f (add $.L -12)}}" y="{{f .Y}}" text-anchor="end">{{.Label}}</text>
{{range .Bars}}<rect x="{{f .X}}" y="{{f .Y}}" width="{{f .W}}" height="{{f .H}}" rx="2" fill="{{.Color}}"><title>{{.Title}}</title></rect>{{end}}
<circle cx="{{f .Max.X}}" cy="{{f .Max.Y}}" r="4" fill="{{"#6b7280"}}"><title>{{.MaxTip}}</title></circle>
<text class="lab" x="{{f .ValueX}}" y="{{f .Y}}">{{.Value}}</text>
{{end}}{{range .Legend}}<rect x="{{f .X}}" y="{{f (add $.T -30)}}" width="12" height="12" rx="2" fill="{{.Color}}"/><text class="lab" x="{{f (add .X 17)}}" y="{{f (add $.T -20)}}">{{.Name}}</text>
{{end}}</svg>{{end}}
`
