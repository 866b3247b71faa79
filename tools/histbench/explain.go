package histbench

import (
	"fmt"
	"strings"
)

// explained is one statement's EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON).
type explained struct {
	Plan          planNode `json:"Plan"`
	PlanningTime  float64  `json:"Planning Time"`
	ExecutionTime float64  `json:"Execution Time"`
}

type planNode struct {
	NodeType        string     `json:"Node Type"`
	JoinType        string     `json:"Join Type"`
	Strategy        string     `json:"Strategy"`
	ParentRel       string     `json:"Parent Relationship"`
	Relation        string     `json:"Relation Name"`
	Index           string     `json:"Index Name"`
	Direction       string     `json:"Scan Direction"`
	SortMethod      string     `json:"Sort Method"`
	ActualRows      float64    `json:"Actual Rows"`
	ActualLoops     float64    `json:"Actual Loops"`
	ActualTotalTime float64    `json:"Actual Total Time"`
	SharedHit       int64      `json:"Shared Hit Blocks"`
	SharedRead      int64      `json:"Shared Read Blocks"`
	TempRead        int64      `json:"Temp Read Blocks"`
	TempWritten     int64      `json:"Temp Written Blocks"`
	SubplansRemoved int        `json:"Subplans Removed"`
	Workers         int        `json:"Workers Launched"`
	RowsRemoved     float64    `json:"Rows Removed by Filter"`
	RowsRemovedJoin float64    `json:"Rows Removed by Join Filter"`
	Plans           []planNode `json:"Plans"`
}

// summary renders the plan as an indented tree, one node a line: its
// type, what it reads, rows per loop × loops, time and buffers. The
// children of an Append or Merge Append over partitions are folded into
// the first one and a count.
func (e explained) summary() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "execution %.3f ms, planning %.3f ms; shared buffers hit %d, read %d\n",
		e.ExecutionTime, e.PlanningTime, e.Plan.SharedHit, e.Plan.SharedRead)
	e.Plan.render(&sb, 0)
	return strings.TrimRight(sb.String(), "\n")
}

func (n planNode) label() string {
	s := n.NodeType
	if n.Direction == "Backward" {
		s += " Backward"
	}
	if n.JoinType != "" && n.JoinType != "Inner" {
		s += " (" + n.JoinType + ")"
	}
	if n.Strategy != "" && n.NodeType == "Aggregate" {
		s += " (" + n.Strategy + ")"
	}
	if n.Index != "" {
		s += " using " + n.Index
	}
	if n.Relation != "" {
		s += " on " + n.Relation
	}
	if n.SortMethod != "" {
		s += " [" + n.SortMethod + "]"
	}
	return s
}

func (n planNode) render(sb *strings.Builder, depth int) {
	fmt.Fprintf(sb, "%s%s  rows=%s", strings.Repeat("  ", depth), n.label(), num(n.ActualRows))
	if n.ActualLoops > 1 {
		fmt.Fprintf(sb, "×%s loops", num(n.ActualLoops))
	}
	if n.ActualTotalTime > 0 {
		fmt.Fprintf(sb, " time=%.3f ms", n.ActualTotalTime)
	}
	if n.RowsRemoved > 0 {
		fmt.Fprintf(sb, " removed-by-filter=%s", num(n.RowsRemoved))
	}
	if n.RowsRemovedJoin > 0 {
		fmt.Fprintf(sb, " removed-by-join-filter=%s", num(n.RowsRemovedJoin))
	}
	if n.Workers > 0 {
		fmt.Fprintf(sb, " workers=%d", n.Workers)
	}
	if n.SubplansRemoved > 0 {
		fmt.Fprintf(sb, " pruned=%d", n.SubplansRemoved)
	}
	fmt.Fprintf(sb, " hit=%d read=%d", n.SharedHit, n.SharedRead)
	if n.TempRead+n.TempWritten > 0 {
		fmt.Fprintf(sb, " temp=%d/%d", n.TempRead, n.TempWritten)
	}
	sb.WriteByte('\n')
	kids := n.Plans
	if (n.NodeType == "Append" || n.NodeType == "Merge Append") && len(kids) > 2 {
		var rows, loops float64
		var hit, read int64
		for _, k := range kids {
			rows += k.ActualRows * max(k.ActualLoops, 1)
			loops += k.ActualLoops
			hit += k.SharedHit
			read += k.SharedRead
		}
		fmt.Fprintf(sb, "%s%d partitions like: %s  (all partitions: rows=%s over %s loops, hit=%d read=%d)\n",
			strings.Repeat("  ", depth+1), len(kids), kids[0].label(), num(rows), num(loops), hit, read)
		return
	}
	for _, k := range kids {
		k.render(sb, depth+1)
	}
}

func num(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}
