package drill_test

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"minipay/store/dbtest"
	"minipay/tools/drill"
)

// A short drill on every backend: the server is SIGKILLed twice under
// load and restarted; every request must take effect exactly once and the
// audit must pass, with no movement without its event and no event
// without its movement. (Restarting PostgreSQL itself is left to the manual
// drill: other packages' tests share that server while this one runs.)
func TestKillDrill(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "minipay")
	if out, err := exec.Command("go", "build", "-o", bin, "minipay/cmd/minipay").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, backend := range dbtest.Backends() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			res, err := drill.Run(context.Background(), drill.Config{
				Binary: bin, DatabaseURL: dbtest.URL(t, backend),
				Users: 8, Workers: 8, Duration: 4 * time.Second, Kills: 2, Out: io.Discard,
			})
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() || res.Kills != 2 || res.Applied == 0 {
				t.Fatalf("drill: %+v", res)
			}
			// The audit proved each movement has one event; on a fresh
			// database that is one event per transaction.
			if res.Audit.Events != res.Audit.Transactions || res.Audit.Events < res.Applied {
				t.Fatalf("%d events report the %d transactions of %d applied requests", res.Audit.Events, res.Audit.Transactions, res.Applied)
			}
			t.Logf("%d requests, %d retried across %d kills", res.Requests, res.Retried, res.Kills)
		})
	}
}
