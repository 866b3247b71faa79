package app_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"minipay/app"
	"minipay/app/apptest"
	"minipay/store"
	"minipay/store/dbtest"
)

// TestWalletRoutesLogged: a wallet page's access log line names its
// route, as an API request's does; an unknown path is "unmatched".
func TestWalletRoutesLogged(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		logs := &lockedBuffer{}
		_, hs := apptest.Serve(t, app.Config{DB: db, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
		for _, path := range []string{"/login", "/static/wallet.css", "/nowhere"} {
			res, err := http.Get(hs.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
		}
		want := map[string]string{"/login": "GET /login", "/static/wallet.css": "GET /static/", "/nowhere": "unmatched"}
		got := map[string]string{}
		// A line is written once its handler returns, which may be after
		// the client has read the answer.
		for deadline := time.Now().Add(10 * time.Second); len(got) < len(want) && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			for _, line := range strings.Split(logs.String(), "\n") {
				var l struct{ Msg, Path, Route string }
				if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "request" {
					got[l.Path] = l.Route
				}
			}
		}
		for path, route := range want {
			if got[path] != route {
				t.Errorf("%s logged with route %q, want %q", path, got[path], route)
			}
		}
	})
}

// lockedBuffer is a log destination the server's goroutines share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
