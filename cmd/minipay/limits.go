package main

import (
	"flag"

	"minipay/api"
)

// limitFlags adds serve's rate-limit flags to fs; the limits they fill in
// are read after parseFlags.
func limitFlags(fs *flag.FlagSet) *api.Limits {
	l := api.DefaultLimits()
	fs.IntVar(&l.LoginFailuresPerUser, "login-failures-per-user", l.LoginFailuresPerUser, "wrong passwords allowed per username in --login-window")
	fs.IntVar(&l.LoginFailuresPerAddress, "login-failures-per-address", l.LoginFailuresPerAddress, "wrong passwords allowed per client address in --login-window")
	fs.DurationVar(&l.LoginWindow, "login-window", l.LoginWindow, "window over which the failed-login counts refill")
	fs.IntVar(&l.SignUpsPerAddress, "signups-per-address", l.SignUpsPerAddress, "sign-ups allowed per client address in --signup-window")
	fs.DurationVar(&l.SignUpWindow, "signup-window", l.SignUpWindow, "window over which the sign-up count refills")
	fs.IntVar(&l.MovesPerUser, "moves-per-user", l.MovesPerUser, "money-moving requests allowed per user in --move-window")
	fs.DurationVar(&l.MoveWindow, "move-window", l.MoveWindow, "window over which the money-moving count refills")
	fs.IntVar(&l.SettlementsPerUser, "settlements-per-user", l.SettlementsPerUser, "settlements a user may create in --settlement-window")
	fs.DurationVar(&l.SettlementWindow, "settlement-window", l.SettlementWindow, "window over which the settlement count refills")
	fs.StringVar(&l.ClientIPHeader, "client-ip-header", "",
		"header whose last address is the client's, set by a trusted proxy (e.g. X-Forwarded-For); empty: the socket's peer")
	return &l
}
