package app_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"minipay/app"
	"minipay/app/apptest"
	"minipay/client"
	"minipay/store"
	"minipay/store/dbtest"
)

// slack is how much later than its timeout a connection may be closed on
// a loaded test machine.
const slack = time.Second

const healthz = "GET /healthz HTTP/1.1\r\nHost: minipay\r\n\r\n"

// TestEdgeTimeouts: a client that trickles a body, or idles on a
// keep-alive connection, is closed on time, and oversized headers are
// refused.
func TestEdgeTimeouts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		edge := app.Edge{ReadTimeout: 300 * time.Millisecond, WriteTimeout: 2 * time.Second,
			IdleTimeout: 300 * time.Millisecond, MaxHeaderBytes: 1 << 10, MaxConns: 100}
		_, base := apptest.ServeEdge(t, app.Config{DB: db}, edge)
		addr := strings.TrimPrefix(base, "http://")

		start := time.Now() // before the server can start its clock
		c := slowBody(t, addr)
		stop := make(chan struct{})
		go trickle(c, stop)
		waitClosed(t, "slow body", c, start, edge.ReadTimeout)
		close(stop)

		c = dial(t, addr)
		if res := get(t, c, healthz); res.StatusCode != http.StatusOK {
			t.Fatalf("healthz: %s", res.Status)
		}
		waitClosed(t, "idle keep-alive", c, time.Now(), edge.IdleTimeout)

		pad := strings.Repeat("x", 8<<10) // past MaxHeaderBytes and net/http's 4 KiB grace
		if res := get(t, dial(t, addr), "GET /healthz HTTP/1.1\r\nHost: minipay\r\nX-Pad: "+pad+"\r\n\r\n"); res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("oversized headers: %s", res.Status)
		}
	})
}

// TestEdgeCrowd: with many slow clients connected, a normal client is
// still served; once the connection cap is full, one more connection
// waits until a slot frees.
func TestEdgeCrowd(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *store.DB) {
		const slow = 50
		edge := app.DefaultEdge() // seconds of patience: the slow clients stay for the whole test
		edge.MaxConns = slow + 1
		_, base := apptest.ServeEdge(t, app.Config{DB: db, PasswordCost: bcrypt.MinCost}, edge)
		addr := strings.TrimPrefix(base, "http://")
		conns := make([]net.Conn, slow)
		for i := range conns {
			conns[i] = slowBody(t, addr)
		}

		transferBeside(t, base)

		slowBody(t, addr) // the last slot
		probe := dial(t, addr)
		if _, err := io.WriteString(probe, healthz); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(probe)
		probe.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := r.Peek(1); !isTimeout(err) {
			t.Fatalf("a connection beyond the cap was answered while it was full (%v)", err)
		}
		conns[0].Close()
		probe.SetReadDeadline(time.Now().Add(slack))
		res, err := http.ReadResponse(r, nil)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("the waiting connection after a slot freed: %v %v", res, err)
		}
	})
}

// transferBeside signs up two users and moves money between them, one
// connection per request, failing the test on any error.
func transferBeside(t *testing.T, base string) {
	t.Helper()
	ctx := context.Background()
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	c := client.New(base).WithHTTPClient(hc).WithRetry(client.Retry{Attempts: 1})
	res, err := hc.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz beside the slow clients: %v %v", res, err)
	}
	res.Body.Close()
	for _, name := range []string{"alice", "bob"} {
		if _, err := c.SignUp(ctx, name, "password-"+name, "Name "+name); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Login(ctx, "alice", "password-alice")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := c.WithToken(s.Token).Transfer(ctx, client.TransferRequest{To: client.ToUser("bob"), Amount: 1_000}, "t1")
	if err != nil || tr.Status != "completed" || tr.Charged != 10_000 {
		t.Fatalf("transfer beside the slow clients: %+v %v", tr, err)
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// slowBody connects and sends the headers of a sign-up and the first byte
// of its body, then stops.
func slowBody(t *testing.T, addr string) net.Conn {
	t.Helper()
	c := dial(t, addr)
	req := "POST /v1/users HTTP/1.1\r\nHost: minipay\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	return c
}

// trickle writes a byte of body every 20 ms until stop or a failed write.
func trickle(c net.Conn, stop <-chan struct{}) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			if _, err := io.WriteString(c, " "); err != nil {
				return
			}
		}
	}
}

// get sends a raw request on c and reads its response.
func get(t *testing.T, c net.Conn, req string) *http.Response {
	t.Helper()
	c.SetDeadline(time.Now().Add(slack))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// waitClosed fails the test unless the server closes c between half its
// timeout and timeout+slack after since. Whatever the server still sends
// (an error response) is read and ignored.
func waitClosed(t *testing.T, what string, c net.Conn, since time.Time, timeout time.Duration) {
	t.Helper()
	c.SetReadDeadline(since.Add(timeout + slack))
	_, err := io.Copy(io.Discard, c)
	took := time.Since(since)
	switch {
	case isTimeout(err):
		t.Errorf("%s: still open %v after it began (timeout %v)", what, took, timeout)
	case took < timeout/2:
		t.Errorf("%s: closed after %v, too soon for its timeout %v (%v)", what, took, timeout, err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
