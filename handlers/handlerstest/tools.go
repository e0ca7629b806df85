package handlerstest

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot is the folder of kpcheckout's go.mod, above the test's working folder.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

// NodeTool is the path of an npm package's command in the repository's node_modules/.bin (npm
// ci installs them from package-lock.json). A missing one fails the test: these tests never skip.
func NodeTool(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(RepoRoot(t), "node_modules", ".bin", name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s is not installed (%v): run `make deps` (it runs npm ci) in the repository first", name, err)
	}
	return path
}
