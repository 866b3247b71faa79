package dbtest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Proxy is a loopback TCP proxy in front of a PostgreSQL server, for
// tests of a database that goes away: Refuse closes its listener and
// every connection through it, so the server's open connections break
// and new ones are refused by the kernel, as when PostgreSQL is down;
// Accept listens again on the same port.
type Proxy struct {
	t        testing.TB
	addr     string // the proxy's host:port
	upstream string // PostgreSQL's host:port

	mu    sync.Mutex
	ln    net.Listener // nil while refusing
	conns map[net.Conn]bool
}

// NewProxy starts a proxy to the PostgreSQL server of pgURL and returns
// the same URL through the proxy. It stops when the test ends.
func NewProxy(t testing.TB, pgURL string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, addr: ln.Addr().String(), upstream: u.Host, conns: map[net.Conn]bool{}}
	p.serve(ln)
	t.Cleanup(p.Refuse)
	u.Host = p.addr
	return p, u.String()
}

// Refuse closes the listener and every connection through the proxy.
func (p *Proxy) Refuse() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Accept listens again on the proxy's port. Another process may have
// taken the port meanwhile; it retries for a few seconds.
func (p *Proxy) Accept() {
	p.t.Helper()
	var ln net.Listener
	var err error
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(50 * time.Millisecond) {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.serve(ln)
			return
		}
	}
	p.t.Fatalf("listen on %s again: %v", p.addr, err)
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by Refuse
			}
			go p.pipe(c)
		}
	}()
}

// pipe copies both ways between c and a new connection to the upstream
// server until either side closes.
func (p *Proxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, up) {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
	c.Close()
	up.Close()
}

// track records c and up so that Refuse closes them; if the proxy is
// refusing already, it closes them at once and reports false.
func (p *Proxy) track(c, up net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		c.Close()
		up.Close()
		return false
	}
	p.conns[c], p.conns[up] = true, true
	return true
}
