package apptest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
)

// Logs collects a server's JSON log lines for a test to read; safe for
// concurrent use.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Logger logs into l, at every level from debug.
func (l *Logs) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// Lines decodes every line logged so far.
func (l *Logs) Lines(t testing.TB) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %s: %v", sc.Bytes(), err)
		}
		out = append(out, m)
	}
	return out
}

// Count is how many lines so far have the message msg at level ("INFO",
// "ERROR", …).
func (l *Logs) Count(t testing.TB, level, msg string) int {
	t.Helper()
	n := 0
	for _, m := range l.Lines(t) {
		if m["level"] == level && m["msg"] == msg {
			n++
		}
	}
	return n
}
