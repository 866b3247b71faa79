package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// printVersion writes what the binary was built from, as the Go toolchain
// stamped it: the module's version, the Go version, and the VCS revision,
// its commit time and whether the tree had uncommitted changes (absent
// when built with -buildvcs=false or outside a repository).
func printVersion(w io.Writer) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(w, "minipay: no build information in this binary")
		return
	}
	fmt.Fprintf(w, "minipay %s\ngo %s\n", bi.Main.Version, bi.GoVersion)
	vcs := map[string]string{"vcs.revision": "unknown", "vcs.time": "unknown", "vcs.modified": "unknown"}
	for _, s := range bi.Settings {
		if _, ok := vcs[s.Key]; ok {
			vcs[s.Key] = s.Value
		}
	}
	fmt.Fprintf(w, "revision %s\ntime %s\nmodified %s\n", vcs["vcs.revision"], vcs["vcs.time"], vcs["vcs.modified"])
}
