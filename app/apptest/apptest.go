// Package apptest serves a whole minipay server (app.New) over loopback
// for a test, and takes it down when the test ends.
package apptest

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"minipay/api"
	"minipay/app"
	"minipay/store/dbtest"
)

// Serve assembles a server from cfg (logging nowhere and with
// dbtest.SlowMachine deadlines unless cfg says otherwise) and
// serves it on a loopback port until the test ends; the writer is drained
// after the HTTP server has closed.
func Serve(t testing.TB, cfg app.Config) (*app.App, *httptest.Server) {
	t.Helper()
	a := assemble(t, cfg)
	hs := httptest.NewServer(a.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(a.API.EndStreams) // first: Close waits for open streams
	return a, hs
}

// ServeEdge is Serve through the listener and http.Server that `minipay
// serve` uses (app.Listen, app.HTTPServer) with edge's limits. It returns
// the base URL, http://127.0.0.1:PORT.
func ServeEdge(t testing.TB, cfg app.Config, edge app.Edge) (*app.App, string) {
	t.Helper()
	a := assemble(t, cfg)
	ln, err := app.Listen("127.0.0.1:0", edge)
	if err != nil {
		t.Fatal(err)
	}
	hs := a.HTTPServer(edge)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	t.Cleanup(func() {
		hs.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Error("serve:", err)
		}
	})
	return a, "http://" + ln.Addr().String()
}

// assemble builds the server and drains its writer when the test ends,
// after the HTTP server (cleanups run last first). Without TokenKeys it
// gets a random key of its own.
func assemble(t testing.TB, cfg app.Config) *app.App {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TokenKeys == nil {
		cfg.TokenKeys = []api.SigningKey{api.NewSigningKey("test")}
	}
	// Tests of deadlines set their own.
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = dbtest.SlowMachine
	}
	if cfg.BatchTimeout == 0 {
		cfg.BatchTimeout = dbtest.SlowMachine
	}
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}
