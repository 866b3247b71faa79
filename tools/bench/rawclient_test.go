package bench

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// answerTransfer answers as POST /v1/transfers does, with the status and
// body the request's path asks for.
func answerTransfer(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/fail":
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, `{"code":"conflict"}`)
	case "/chunked":
		w.WriteHeader(http.StatusCreated)
		w.(http.Flusher).Flush() // the head goes before the body: chunked
		io.WriteString(w, `{"id":1}`)
	default:
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"amount":57,"charged":0,"id":1,"main_balance":999943,"status":"settled","transaction_id":2}`+"\n")
	}
}

func rawHead(srv *httptest.Server, path string) []byte {
	return []byte("POST " + path + " HTTP/1.1\r\nHost: " + srv.Listener.Addr().String() + "\r\nContent-Type: application/json\r\nContent-Length: ")
}

// The raw client reuses its connection, quotes an answer of another
// status, drops a connection the server closes, and refuses an answer it
// cannot delimit.
func TestRawClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(answerTransfer))
	defer srv.Close()
	c := &rawClient{addr: srv.Listener.Addr().String()}
	defer c.closeIdle()
	body := []byte(`{"to":"bob","amount":57}`)
	for range 3 {
		if err := c.post(rawHead(srv, "/v1/transfers"), body, http.StatusCreated); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.idle) != 1 {
		t.Errorf("%d idle connections after three requests in a row, want 1", len(c.idle))
	}
	err := c.post(rawHead(srv, "/fail"), body, http.StatusCreated)
	if err == nil || !strings.Contains(err.Error(), `409 {"code":"conflict"}`) {
		t.Errorf("a 409: %v", err)
	}
	if len(c.idle) != 0 {
		t.Errorf("%d idle connections after Connection: close, want 0", len(c.idle))
	}
	if err := c.post(rawHead(srv, "/chunked"), body, http.StatusCreated); err != errNoLength {
		t.Errorf("a chunked answer: %v, want %v", err, errNoLength)
	}
	if err := c.post(rawHead(srv, "/v1/transfers"), body, http.StatusCreated); err != nil {
		t.Errorf("after a refused answer: %v", err)
	}
}

// BenchmarkGenerator is the load generator's cost per request, against a
// server that answers as a transfer does: net/http's client (what
// bench-http used before, the baseline) and the raw client. CPU-µs/op is
// the process's (client and server, both here), as bench-http counts it:
//
//	go test ./tools/bench -run '^$' -bench Generator -benchmem
func BenchmarkGenerator(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(answerTransfer))
	defer srv.Close()
	body := []byte(`{"to":"b123456_42","amount":57}`)
	measure := func(b *testing.B, post func() error) {
		b.SetParallelism(8)
		b.ReportAllocs()
		cpu := processCPU()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := post(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64((processCPU()-cpu)/time.Nanosecond)/1e3/float64(b.N), "CPU-µs/op")
	}
	b.Run("net-http", func(b *testing.B) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		defer client.CloseIdleConnections()
		u, _ := url.Parse(srv.URL + "/v1/transfers")
		header := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer x"}}
		measure(b, func() error {
			resp, err := client.Do(&http.Request{Method: "POST", URL: u, Host: u.Host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: header, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))})
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return err
		})
	})
	b.Run("raw", func(b *testing.B) {
		c := &rawClient{addr: srv.Listener.Addr().String()}
		defer c.closeIdle()
		head := rawHead(srv, "/v1/transfers")
		measure(b, func() error { return c.post(head, body, http.StatusCreated) })
	})
}
