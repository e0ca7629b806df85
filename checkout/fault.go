//go:build !faultpoints

package checkout

// fault marks a place where a crash is tested; production builds compile it to nothing.
func fault(string) {}
