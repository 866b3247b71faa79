package histbench

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

func TestRefusesSQLite(t *testing.T) {
	t.Parallel()
	err := Run(context.Background(), Config{DatabaseURL: "sqlite:" + t.TempDir() + "/x.db", Out: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "PostgreSQL only") {
		t.Fatalf("err = %v, want a PostgreSQL-only error", err)
	}
}

func TestPlanSummaryFoldsPartitions(t *testing.T) {
	raw := `[{"Plan": {"Node Type": "Limit", "Actual Rows": 20, "Actual Loops": 1, "Shared Hit Blocks": 7, "Plans": [
		{"Node Type": "Merge Append", "Actual Rows": 20, "Actual Loops": 1, "Plans": [
			{"Node Type": "Index Only Scan", "Scan Direction": "Backward", "Index Name": "i1", "Relation Name": "entries_p1", "Actual Rows": 3, "Actual Loops": 1, "Shared Hit Blocks": 2},
			{"Node Type": "Index Only Scan", "Scan Direction": "Backward", "Index Name": "i2", "Relation Name": "entries_p2", "Actual Rows": 9, "Actual Loops": 1, "Shared Hit Blocks": 3},
			{"Node Type": "Index Only Scan", "Scan Direction": "Backward", "Index Name": "i3", "Relation Name": "entries_p3", "Actual Rows": 8, "Actual Loops": 1, "Shared Hit Blocks": 2}]}]},
		"Planning Time": 1.5, "Execution Time": 0.25}]`
	var e []explained
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		t.Fatal(err)
	}
	s := e[0].summary()
	for _, want := range []string{"execution 0.250 ms, planning 1.500 ms", "3 partitions like: Index Only Scan Backward using i1 on entries_p1", "rows=20 over 3 loops, hit=7 read=0"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}
