package main

import (
	"flag"
	"time"

	"minipay/api"
)

// limitFlags adds serve's rate-limit flags to fs; the limits they fill
// in are read after parseFlags.
func limitFlags(fs *flag.FlagSet) *api.Limits {
	l := api.DefaultLimits()
	count := func(p *int, name, usage string) { fs.IntVar(p, name, *p, usage) }
	span := func(p *time.Duration, name, usage string) { fs.DurationVar(p, name, *p, usage) }
	count(&l.LoginFailuresPerUser, "login-failures-per-user",
		"login attempts per username in --login-window before a lockout (counted in the database, across servers)")
	count(&l.LoginFailuresPerAddress, "login-failures-per-address",
		"login attempts per client address in --login-window before a lockout (counted per server)")
	span(&l.LoginWindow, "login-window", "window of the login counts, and the first lockout; each lockout in a row doubles")
	span(&l.LoginLockoutMax, "login-lockout-max", "longest lockout; a username or address quiet this long after one starts over")
	count(&l.SignUpsPerAddress, "signups-per-address", "sign-ups allowed per client address in --signup-window")
	span(&l.SignUpWindow, "signup-window", "window over which the sign-up count refills")
	count(&l.MovesPerUser, "moves-per-user", "money-moving requests allowed per user in --move-window")
	span(&l.MoveWindow, "move-window", "window over which the money-moving count refills")
	count(&l.LookupsPerUser, "lookups-per-user", "recipient look-ups allowed per user in --lookup-window")
	span(&l.LookupWindow, "lookup-window", "window over which the look-up count refills")
	count(&l.SettlementsPerUser, "settlements-per-user", "settlements a user may create in --settlement-window")
	span(&l.SettlementWindow, "settlement-window", "window over which the settlement count refills")
	count(&l.StrangersPerDay, "strangers-per-day",
		"people never dealt with that one user may ask to pay in settlements per business day")
	count(&l.StrangerRequestsPerDay, "stranger-requests-per-day",
		"settlement requests from people never dealt with that one user receives per business day")
	fs.StringVar(&l.ClientIPHeader, "client-ip-header", "",
		"header whose last address is the client's, set by a trusted proxy (e.g. X-Forwarded-For); empty: the socket's peer")
	return &l
}
