package api

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// BenchmarkDecodeTransfer is the strict decoding of a transfer's body
// (media type, key scan, decoding), a request built per iteration:
//
//	go test ./api -run '^$' -bench DecodeTransfer -benchmem
func BenchmarkDecodeTransfer(b *testing.B) {
	body := []byte(`{"to":"bob","amount":1000,"memo":"lunch"}`)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/v1/transfers", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var q transferRequest
		if err := decode(r, &q); err != nil {
			b.Fatal(err)
		}
	}
}
