package main

import (
	"flag"
	"strconv"
	"time"

	"minipay/api"
)

// limitFlags adds serve's rate-limit flags to fs, each with an environment
// variable; the limits they fill in are read after fs.Parse.
func limitFlags(fs *flag.FlagSet) *api.Limits {
	l := api.DefaultLimits()
	count := func(p *int, name, envName, usage string) {
		fs.IntVar(p, name, envParsed(envName, *p, strconv.Atoi), usage+" (env "+envName+")")
	}
	span := func(p *time.Duration, name, envName, usage string) {
		fs.DurationVar(p, name, envParsed(envName, *p, time.ParseDuration), usage+" (env "+envName+")")
	}
	count(&l.LoginFailuresPerUser, "login-failures-per-user", "MINIPAY_LOGIN_FAILURES_PER_USER",
		"login attempts per username in --login-window before a lockout (counted in the database, across servers)")
	count(&l.LoginFailuresPerAddress, "login-failures-per-address", "MINIPAY_LOGIN_FAILURES_PER_ADDRESS",
		"login attempts per client address in --login-window before a lockout (counted per server)")
	span(&l.LoginWindow, "login-window", "MINIPAY_LOGIN_WINDOW", "window of the login counts, and the first lockout; each lockout in a row doubles")
	span(&l.LoginLockoutMax, "login-lockout-max", "MINIPAY_LOGIN_LOCKOUT_MAX", "longest lockout; a username or address quiet this long after one starts over")
	count(&l.SignUpsPerAddress, "signups-per-address", "MINIPAY_SIGNUPS_PER_ADDRESS", "sign-ups allowed per client address in --signup-window")
	span(&l.SignUpWindow, "signup-window", "MINIPAY_SIGNUP_WINDOW", "window over which the sign-up count refills")
	count(&l.MovesPerUser, "moves-per-user", "MINIPAY_MOVES_PER_USER", "money-moving requests allowed per user in --move-window")
	span(&l.MoveWindow, "move-window", "MINIPAY_MOVE_WINDOW", "window over which the money-moving count refills")
	count(&l.LookupsPerUser, "lookups-per-user", "MINIPAY_LOOKUPS_PER_USER", "recipient look-ups allowed per user in --lookup-window")
	span(&l.LookupWindow, "lookup-window", "MINIPAY_LOOKUP_WINDOW", "window over which the look-up count refills")
	count(&l.SettlementsPerUser, "settlements-per-user", "MINIPAY_SETTLEMENTS_PER_USER", "settlements a user may create in --settlement-window")
	span(&l.SettlementWindow, "settlement-window", "MINIPAY_SETTLEMENT_WINDOW", "window over which the settlement count refills")
	count(&l.StrangersPerDay, "strangers-per-day", "MINIPAY_STRANGERS_PER_DAY",
		"people never dealt with that one user may ask to pay in settlements per business day")
	count(&l.StrangerRequestsPerDay, "stranger-requests-per-day", "MINIPAY_STRANGER_REQUESTS_PER_DAY",
		"settlement requests from people never dealt with that one user receives per business day")
	fs.StringVar(&l.ClientIPHeader, "client-ip-header", env("MINIPAY_CLIENT_IP_HEADER", ""),
		"header whose last address is the client's, set by a trusted proxy (e.g. X-Forwarded-For); empty: the socket's peer (env MINIPAY_CLIENT_IP_HEADER)")
	return &l
}
