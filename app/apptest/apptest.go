// Package apptest serves a whole minipay server (app.New) over loopback
// for a test, and takes it down when the test ends.
package apptest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"minipay/app"
)

// Serve assembles a server from cfg (logging nowhere unless cfg says) and
// serves it on a loopback port until the test ends; the writer is drained
// after the HTTP server has closed.
func Serve(t testing.TB, cfg app.Config) (*app.App, *httptest.Server) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close) // cleanups run last first: after hs.Close
	hs := httptest.NewServer(a.Handler())
	t.Cleanup(hs.Close)
	return a, hs
}
