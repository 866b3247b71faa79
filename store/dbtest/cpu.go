package dbtest

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"minipay/store"
)

// BackendCPU is the CPU time (user and system) each client backend connected to
// db's database has used so far, by process id, read from /proc: nil
// unless the server runs on this machine and its processes are readable.
// The times are in clock ticks of 10 ms (USER_HZ is 100 on Linux).
func BackendCPU(b testing.TB, db *store.DB) map[int]time.Duration {
	rows, err := db.SQL().QueryContext(context.Background(),
		`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	cpu := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		t, ok := ProcCPU(strconv.Itoa(pid))
		if !ok {
			return nil
		}
		cpu[pid] = t
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return cpu
}

// CPUSpent is the CPU time the backends used between two BackendCPU
// readings (a backend started since counts from zero); false if either
// reading is nil.
func CPUSpent(before, after map[int]time.Duration) (time.Duration, bool) {
	if before == nil || after == nil {
		return 0, false
	}
	var spent time.Duration
	for pid, t := range after {
		spent += t - before[pid]
	}
	return spent, true
}

// ProcCPU is the CPU time (user and system) process pid ("self" for this
// one) has used so far, from /proc/<pid>/stat; false if it is not
// readable. The times there are in clock ticks of 10 ms (USER_HZ is 100
// on Linux).
func ProcCPU(pid string) (time.Duration, bool) {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command's closing parenthesis, from the third
	// on: utime and stime are the 14th and 15th.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}
