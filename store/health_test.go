package store

import (
	"context"
	"database/sql"
	"io"
	"net"
	neturl "net/url"
	"os"
	"testing"
)

// TestUnavailableWhenTheServerVanishes: a connection whose server ends it
// without a word mid-transaction — a backend that exits because its
// postmaster was SIGKILLed in a failover — is unavailable (503, retry),
// not an internal error. A proxy in front of PostgreSQL (when
// MINIPAY_TEST_POSTGRES_URL is set) stands in for the dying server: once
// told to, it swallows the next statement and closes its side cleanly.
func TestUnavailableWhenTheServerVanishes(t *testing.T) {
	base := os.Getenv("MINIPAY_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("PostgreSQL only: MINIPAY_TEST_POSTGRES_URL is not set")
	}
	u, err := neturl.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	vanish := make(chan struct{})
	target := u.Host
	go func() {
		client, err := ln.Accept()
		if err != nil {
			return
		}
		defer client.Close()
		server, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer server.Close()
		go io.Copy(client, server)
		buf := make([]byte, 64<<10)
		for {
			n, err := client.Read(buf)
			if err != nil {
				return
			}
			select {
			case <-vanish: // the statement just sent will never be answered
				server.Close()
				client.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, client)
				return
			default:
			}
			if _, err := server.Write(buf[:n]); err != nil {
				return
			}
		}
	}()
	u.Host = ln.Addr().String()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	// A statement new to the connection, with an argument, as the writer's
	// are: pgx sends it and then reads the end of the connection.
	close(vanish)
	var n int
	err = tx.QueryRowContext(ctx, `SELECT $1::int`, 2).Scan(&n)
	if err == nil || !Unavailable(err) {
		t.Fatalf("a connection ended mid-transaction: %v; Unavailable = false, want true", err)
	}
	t.Logf("the client saw: %v", err)
}
