package web

import (
	"net/http"
	"strings"

	"minipay/api"

	"minipay/store"
)

// Live updates. A page with parts that can change under it (balances,
// pending transfers, notifications, a settlement's shares) marks them
// data-live; static/wallet.js then listens to EventsPath, the user's
// event stream, and on each event fetches the page again and swaps those
// parts in. The stream is the API's own (api.EventStream: the same
// outbox reads, limits and session checks as GET /v1/events/stream),
// authenticated by the session cookie instead of a bearer token. Without
// the stream (or script) a page is as fresh as its last load.

// A page's stream starts after the newest event the page was read with
// (?after=, then the browser's Last-Event-ID when it reconnects), so an
// event committed between reading the page and opening the stream still
// refreshes it, and opening a stream needs no read fence (which a
// database busy with long transactions can withhold).

// EventsPath is the wallet's event stream: the server mounts it outside
// the request deadline (api.Server.Wrap's streams), as a stream lasts
// minutes.
const EventsPath = "/events"

// events serves the stream to a logged-in browser. A cookie that names no
// live session is refused as the API refuses a bad token (401), which
// stops the browser's EventSource.
func (w *Wallet) events(rw http.ResponseWriter, r *http.Request) {
	var token string
	if c, err := r.Cookie(w.sessionCookieName(r)); err == nil {
		token = c.Value
	}
	w.cfg.API.EventStream(rw, r, token)
}

// eventTypes are the types a page listens for (an EventSource hears only
// the types it names), from the store's list so that none is missed.
var eventTypes = strings.Join(store.EventTypes, " ")

// EventTypes is what the layout gives wallet.js to listen for.
func (p *page) EventTypes() string { return eventTypes }

// newestEvent is the id of c's newest event, 0 if none.
func (w *Wallet) newestEvent(r *http.Request, c api.Caller) (int64, error) {
	es, err := w.cfg.DB.Events(r.Context(), c.User, store.EventFilter{Limit: 1})
	if err != nil || len(es) == 0 {
		return 0, err
	}
	return es[0].ID, nil
}
