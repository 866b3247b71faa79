package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
)

// rawClient is the load generator's HTTP/1.1 client, built as wrk's is:
// the goroutine that sends a request writes it whole from one buffer and
// reads its answer itself, on a keep-alive connection taken from a free
// list. net/http's client, on the same cores as the server, cost about as
// much CPU per request as the server's side of the connection: a
// writeLoop and a readLoop goroutine per connection and two hand-offs
// between them and the caller per request, a header map built for every
// request and every answer. The server still reads and answers every
// request with net/http; only the generator is cheaper.
type rawClient struct {
	addr string
	mu   sync.Mutex
	idle []*rawConn
}

// rawConn is one keep-alive connection and the buffer its requests are
// put together in.
type rawConn struct {
	net.Conn
	r   *bufio.Reader
	buf []byte
}

// post sends head (a request's head up to and including "Content-Length:
// ") and body, and fails unless the answer's status is want. The answer's
// body is read and dropped, or, on another status, quoted in the error.
func (c *rawClient) post(head, body []byte, want int) error {
	rc, err := c.get()
	if err != nil {
		return err
	}
	b := append(rc.buf[:0], head...)
	b = append(strconv.AppendInt(b, int64(len(body)), 10), "\r\n\r\n"...)
	rc.buf = append(b, body...)
	if _, err = rc.Write(rc.buf); err != nil {
		rc.Close()
		return err
	}
	status, answer, keep, err := rc.read(want)
	if err != nil || !keep {
		rc.Close()
	} else {
		c.put(rc)
	}
	if err == nil && status != want {
		err = fmt.Errorf("POST: %d %s", status, answer)
	}
	return err
}

// get takes an idle connection, or dials one.
func (c *rawClient) get() (*rawConn, error) {
	c.mu.Lock()
	if n := len(c.idle); n > 0 {
		rc := c.idle[n-1]
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		return rc, nil
	}
	c.mu.Unlock()
	conn, err := net.Dial("tcp", c.addr)
	if err != nil {
		return nil, err
	}
	return &rawConn{Conn: conn, r: bufio.NewReader(conn)}, nil
}

func (c *rawClient) put(rc *rawConn) {
	c.mu.Lock()
	c.idle = append(c.idle, rc)
	c.mu.Unlock()
}

// closeIdle closes the idle connections.
func (c *rawClient) closeIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rc := range c.idle {
		rc.Close()
	}
	c.idle = nil
}

// errNoLength is an answer this client cannot delimit: minipay's answers
// are small and carry a Content-Length.
var errNoLength = errors.New("an answer without Content-Length")

// read reads an answer's status line and head and then its body, dropped
// if the status is want and returned otherwise; keep is false when the
// server will close the connection.
func (rc *rawConn) read(want int) (status int, body []byte, keep bool, err error) {
	line, err := rc.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, false, err
	}
	// "HTTP/1.1 201 Created\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, nil, false, fmt.Errorf("not an HTTP/1 status line: %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, nil, false, fmt.Errorf("not an HTTP/1 status line: %q", line)
	}
	length, keep := -1, true
	for {
		if line, err = rc.r.ReadSlice('\n'); err != nil {
			return 0, nil, false, err
		}
		name, value, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case len(name) == 0:
			if length < 0 {
				return 0, nil, false, errNoLength
			}
			if status == want {
				_, err = rc.r.Discard(length)
				return status, nil, keep, err
			}
			body = make([]byte, length)
			_, err = io.ReadFull(rc.r, body)
			return status, body, keep, err
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, nil, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
}
