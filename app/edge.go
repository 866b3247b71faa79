package app

import (
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// Edge is what the HTTP server grants one client, so that slow or idle
// clients are closed on time and cannot hold every connection. A
// streaming endpoint that needs longer sets its own deadlines per request
// (http.ResponseController).
type Edge struct {
	// ReadTimeout bounds reading a whole request, headers and body, from
	// its first byte (and a new connection's wait for its first request).
	ReadTimeout time.Duration
	// WriteTimeout bounds handling a request and writing its response,
	// from the end of its headers.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sends no next
	// request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers (net/http allows
	// 4 KiB more before answering 431).
	MaxHeaderBytes int
	// MaxConns caps the connections open at once; beyond it a new
	// connection waits in the kernel's accept queue until one closes.
	MaxConns int
}

// DefaultEdge is what `minipay serve` grants unless told otherwise.
func DefaultEdge() Edge {
	return Edge{ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second,
		MaxHeaderBytes: 16 << 10, MaxConns: 10_000}
}

// Listen listens on the TCP address, accepting at most e.MaxConns
// connections at once (no cap if it is 0).
func Listen(addr string, e Edge) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil || e.MaxConns <= 0 {
		return ln, err
	}
	return netutil.LimitListener(ln, e.MaxConns), nil
}

// HTTPServer serves handler within e's timeouts and header limit. Serve
// it on a listener from Listen.
func HTTPServer(handler http.Handler, e Edge) *http.Server {
	// ReadHeaderTimeout is left zero: net/http then uses ReadTimeout.
	return &http.Server{Handler: handler, ReadTimeout: e.ReadTimeout, WriteTimeout: e.WriteTimeout,
		IdleTimeout: e.IdleTimeout, MaxHeaderBytes: e.MaxHeaderBytes}
}
