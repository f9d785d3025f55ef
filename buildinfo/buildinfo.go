// Package buildinfo says which eventlens this binary is: its version and the commit it was built
// from, set by the linker for releases and read from Go's build information otherwise.
package buildinfo

import "runtime/debug"

// Set with -ldflags "-X github.com/eventlens/eventlens/buildinfo.version=v1.2.3 -X ...commit=abc".
var (
	version = ""
	commit  = ""
)

// Version is the release version, or "dev" for a build from a work tree.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Commit is the VCS revision the binary was built from, with "+dirty" when the tree had changes,
// or "unknown" when Go recorded none (go run, go test).
func Commit() string {
	if commit != "" {
		return commit
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "unknown", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}
