package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"minipay/store"
	"minipay/store/dbtest"
)

// binary builds minipay once for the tests that run it as a process, as
// an operator would; VCS stamping is on where the checkout allows it.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "minipay-bin")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "minipay")
	out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", path, ".").CombinedOutput()
	if err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return path, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if path, err := binary(); err == nil {
		os.RemoveAll(filepath.Dir(path))
	}
	os.Exit(code)
}

// run runs the binary with args and extra environment variables.
func run(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("go build: %v", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestConcurrentMigrateCommands runs four `minipay migrate` at once on a
// fresh database, as a rolling deploy would: every one exits 0 and the
// schema is complete.
func TestConcurrentMigrateCommands(t *testing.T) {
	dbtest.EachURL(t, func(t *testing.T, url string) {
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if out, err := run(t, nil, "migrate", "--database", url); err != nil {
					t.Errorf("migrate: %v\n%s", err, out)
				}
			})
		}
		wg.Wait()
		db, err := store.OpenWith(context.Background(), url, store.Options{NoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.CheckSchema(context.Background()); err != nil {
			t.Fatalf("after four concurrent migrations: %v", err)
		}
	})
}

// TestServeWithoutMigrateRefusesAnOldSchema: serve --migrate=false on a
// database that was never migrated stops at once and says what to run.
func TestServeWithoutMigrateRefusesAnOldSchema(t *testing.T) {
	dbtest.EachURL(t, func(t *testing.T, url string) {
		out, err := run(t, nil, "serve", "--migrate=false", "--addr", "127.0.0.1:0", "--database", url)
		if err == nil || !strings.Contains(out, "minipay migrate") {
			t.Fatalf("serve --migrate=false on an empty database: %v\n%s\nwant a refusal naming minipay migrate", err, out)
		}
	})
}

// TestHelpShowsEnvAndNoSecret: in every command's -h each flag names its
// environment variable, and a database URL taken from the environment is
// shown with its password masked.
func TestHelpShowsEnvAndNoSecret(t *testing.T) {
	t.Parallel()
	// A failover pair's multi-host URL, with the password both ways.
	env := []string{"MINIPAY_DATABASE_URL=postgres://app:s3cr3t@db1.example:5432,db2.example:5432/pay?password=s3cr3t&target_session_attrs=read-write"}
	flagLine := regexp.MustCompile(`(?m)^  -(\S+)`)
	for _, cmd := range []string{"serve", "migrate", "audit", "backup", "bench", "bench-history", "drill", "drill-failover", "loadtest"} {
		out, _ := run(t, env, cmd, "-h")
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("%s -h prints the password:\n%s", cmd, out)
		}
		flags := flagLine.FindAllStringSubmatch(out, -1)
		if len(flags) == 0 {
			t.Errorf("%s -h lists no flags:\n%s", cmd, out)
		}
		if got := strings.Count(out, "(env MINIPAY_"); got != len(flags) {
			t.Errorf("%s -h: %d flags, %d environment variables:\n%s", cmd, len(flags), got, out)
		}
		masked := "postgres://app:***@db1.example:5432,db2.example:5432/pay?password=***&target_session_attrs=read-write"
		if cmd != "bench-history" && cmd != "drill-failover" && !strings.Contains(out, masked) {
			t.Errorf("%s -h does not show the masked URL from the environment:\n%s", cmd, out)
		}
	}
}

// TestEnvSetsFlags: a variable sets its flag, and the command line wins.
func TestEnvSetsFlags(t *testing.T) {
	t.Parallel()
	out, _ := run(t, []string{"MINIPAY_SHUTDOWN_TIMEOUT=7s", "MINIPAY_WRITER_WORKERS=5"}, "serve", "-h")
	for _, want := range []string{"(default 7s)", "(default 5)"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve -h with the variables set lacks %q:\n%s", want, out)
		}
	}
	out, err := run(t, []string{"MINIPAY_WRITER_WORKERS=many"}, "serve")
	if err == nil || !strings.Contains(out, "MINIPAY_WRITER_WORKERS") {
		t.Errorf("a malformed variable: %v\n%s\nwant a refusal naming it", err, out)
	}
}

// TestVersion prints the module and, in a git checkout, the revision the
// binary was built from.
func TestVersion(t *testing.T) {
	t.Parallel()
	out, err := run(t, nil, "version")
	if err != nil || !strings.HasPrefix(out, "minipay ") || !strings.Contains(out, "\ngo go1.") {
		t.Fatalf("version: %v\n%s", err, out)
	}
	// Go stamps a build from a checkout whose .git is a directory (not a
	// worktree's .git file), as CI's clone is.
	if fi, err := os.Stat("../../.git"); err != nil || !fi.IsDir() {
		t.Log("not a git clone Go stamps builds from: the revision is not checked")
		return
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "revision " + strings.TrimSpace(string(head)); !strings.Contains(out, want) {
		t.Errorf("version:\n%s\nwant %q", out, want)
	}
}

// TestBackupCommand copies a SQLite database, refuses to overwrite the
// copy, and points PostgreSQL users to pg_dump.
func TestBackupCommand(t *testing.T) {
	dbtest.EachURL(t, func(t *testing.T, url string) {
		to := filepath.Join(t.TempDir(), "copy.db")
		if out, err := run(t, nil, "migrate", "--database", url); err != nil {
			t.Fatalf("migrate: %v\n%s", err, out)
		}
		out, err := run(t, nil, "backup", "--database", url, "--to", to)
		if strings.HasPrefix(url, "postgres") {
			if err == nil || !strings.Contains(out, "pg_dump") {
				t.Errorf("backup of PostgreSQL: %v\n%s\nwant a pointer to pg_dump", err, out)
			}
			return
		}
		if err != nil {
			t.Fatalf("backup: %v\n%s", err, out)
		}
		if out, err := run(t, nil, "audit", "--database", "sqlite:"+to); err != nil {
			t.Errorf("audit of the copy: %v\n%s", err, out)
		}
		if out, err := run(t, nil, "backup", "--database", url, "--to", to); err == nil || !strings.Contains(out, "exists") {
			t.Errorf("a second backup to the same file: %v\n%s\nwant a refusal", err, out)
		}
	})
}

// TestGCPercent: the collector's target is defaultGOGC unless GOGC is set,
// and then the operator's value stands.
func TestGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for env, want := range map[string]int{"": defaultGOGC, "150": 150} {
		debug.SetGCPercent(100)
		t.Setenv("GOGC", env) // restored when the test ends
		if env == "" {
			os.Unsetenv("GOGC")
		} else {
			debug.SetGCPercent(150) // as the runtime did at start from GOGC
		}
		setGCPercent()
		if got := debug.SetGCPercent(100); got != want {
			t.Errorf("GOGC=%q: GC percent %d, want %d", env, got, want)
		}
	}
}
