package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"minipay/store"
)

// envNames are the flags whose environment variable is not envName's.
var envNames = map[string]string{"database": "MINIPAY_DATABASE_URL"}

// envName is the environment variable of a flag: MINIPAY_ and its name in
// capitals, dashes as underscores (--writer-workers: MINIPAY_WRITER_WORKERS).
func envName(flagName string) string {
	if name, ok := envNames[flagName]; ok {
		return name
	}
	return "MINIPAY_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags parses args after giving every flag of fs its environment
// variable: one that is set becomes the flag's default, so -h shows it and
// the command line still wins. -h never shows a secret: defaults are shown
// with any password in a URL masked. A variable that does not parse stops
// the program, as a malformed flag does.
func parseFlags(fs *flag.FlagSet, args []string) {
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		f.Usage += " (env " + name + ")"
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil {
				fmt.Fprintf(os.Stderr, "minipay: %s=%q: %v\n", name, v, err)
				os.Exit(2)
			}
		}
		f.DefValue = store.Redact(f.Value.String())
	})
	fs.Parse(args)
}
