// Package egress decides where minipay may send requests on its users'
// behalf (webhooks): http(s) URLs whose host resolves only to public
// addresses, so a user cannot make the server call into its own network
// (loopback, private ranges, link-local such as the cloud metadata
// address). The API checks a URL when it is registered; the sender checks
// again the address it actually dials (Control), since a name may resolve
// elsewhere by then (DNS rebinding).
package egress

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"syscall"

	"minipay/errs"
)

// MaxURL bounds a URL's length.
const MaxURL = 2048

// sharedSpace is carrier-grade NAT (RFC 6598): not on the internet.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// Public reports whether ip is an address on the public internet.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is loopback too
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() &&
		!ip.IsLinkLocalMulticast() && !ip.IsInterfaceLocalMulticast() && !ip.IsMulticast() &&
		!ip.IsUnspecified() && !sharedSpace.Contains(ip) && ip != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// Policy is where requests may go.
type Policy struct {
	// AllowPrivate lets them reach any address (tests; a private
	// deployment whose receivers are on its own network).
	AllowPrivate bool
	// Resolver looks hosts up (nil: net.DefaultResolver).
	Resolver *net.Resolver
}

// CheckURL parses raw and refuses it unless it is an absolute http or
// https URL without credentials whose host resolves, to public addresses
// only unless p allows private ones: invalid for a malformed URL,
// url_refused for one that names a refused address.
func (p Policy) CheckURL(ctx context.Context, raw string) (*url.URL, error) {
	if len(raw) > MaxURL {
		return nil, errs.E(errs.Invalid, "url must be at most %d bytes", MaxURL)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, errs.E(errs.Invalid, "url is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errs.E(errs.Invalid, "url must be http or https")
	case u.Hostname() == "" || u.Opaque != "":
		return nil, errs.E(errs.Invalid, "url must name a host")
	case u.User != nil:
		return nil, errs.E(errs.Invalid, "url must not hold credentials")
	case u.Fragment != "":
		return nil, errs.E(errs.Invalid, "url must not have a fragment")
	}
	if p.AllowPrivate {
		return u, nil
	}
	r := p.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil || len(addrs) == 0 {
		return nil, errs.E(errs.Invalid, "url's host %q does not resolve", u.Hostname())
	}
	for _, a := range addrs {
		if !Public(a) {
			return nil, errs.E(errs.URLRefused, "url's host %q resolves to %s, a private, loopback or otherwise non-public address", u.Hostname(), a.Unmap())
		}
	}
	return u, nil
}

// Control is for net.Dialer.Control: it refuses to connect to an address
// that is not public, unless p allows private ones. It sees the address
// the dialer is about to connect to, after resolution.
func (p Policy) Control(network, address string, _ syscall.RawConn) error {
	if p.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("egress: dialing %q: %w", address, err)
	}
	if !Public(ap.Addr()) {
		return fmt.Errorf("egress: %s is not a public address", ap.Addr().Unmap())
	}
	return nil
}
