package egress

import (
	"context"
	"net/netip"
	"testing"

	"minipay/errs"
)

// TestPublic: only addresses on the public internet pass, in either
// family and however an IPv4 address is written.
func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34": true, "2606:2800:220:1:248:1893:25c8:1946": true, "8.8.8.8": true,
		"127.0.0.1": false, "127.8.9.10": false, "::1": false, "::ffff:127.0.0.1": false,
		"10.0.0.1": false, "172.16.5.4": false, "192.168.1.1": false, "fd00::1": false,
		"169.254.169.254": false, "fe80::1": false, "0.0.0.0": false, "::": false,
		"224.0.0.1": false, "ff02::1": false, "100.64.0.1": false, "255.255.255.255": false,
		"::ffff:10.0.0.1": false, "::ffff:8.8.8.8": true,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestControl: the dial-time check refuses what Public refuses, unless
// private addresses are allowed.
func TestControl(t *testing.T) {
	strict, open := Policy{}, Policy{AllowPrivate: true}
	if err := strict.Control("tcp4", "127.0.0.1:80", nil); err == nil {
		t.Error("dialling loopback was allowed")
	}
	if err := strict.Control("tcp6", "[::ffff:169.254.169.254]:80", nil); err == nil {
		t.Error("dialling a mapped link-local address was allowed")
	}
	if err := strict.Control("tcp4", "8.8.8.8:443", nil); err != nil {
		t.Error(err)
	}
	if err := open.Control("tcp4", "127.0.0.1:80", nil); err != nil {
		t.Error(err)
	}
}

// TestCheckURLShape: a URL's shape is checked whatever the policy; with
// private addresses allowed its host is not looked up.
func TestCheckURLShape(t *testing.T) {
	open := Policy{AllowPrivate: true}
	for _, raw := range []string{"http://127.0.0.1:8080/hooks", "https://no-such-host.invalid/x?y=1"} {
		if _, err := open.CheckURL(context.Background(), raw); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
	for _, raw := range []string{"", "ftp://a.example/", "//a.example/", "http://", "mailto:a@b.example",
		"http://u:p@a.example/", "http://a.example/#f", "http://a.example/%zz"} {
		if _, err := open.CheckURL(context.Background(), raw); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("%q: %v, want invalid", raw, err)
		}
	}
	if _, err := (Policy{}).CheckURL(context.Background(), "http://127.0.0.1/"); errs.CodeOf(err) != errs.URLRefused {
		t.Errorf("loopback: %v, want url_refused", err)
	}
}
