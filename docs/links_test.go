package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeGivesTheTwoCommands keeps the front page's promise: .ci/run runs the test command
// README gives, and an operator starts with make run.
func TestReadmeGivesTheTwoCommands(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"\nmake run ", "\nmake test "} {
		if !strings.Contains(string(readme), cmd) {
			t.Errorf("README.md gives no %q", strings.TrimSpace(cmd))
		}
	}
}

// TestRelativeLinksResolve checks every relative link of README.md and docs/*.md: the file it
// names exists and, when it names a heading, the heading is there; moving a section between the
// files must carry its links along.
func TestRelativeLinksResolve(t *testing.T) {
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, file := range append(files, "../README.md") {
		text := withoutCode(t, file)
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), path)
			}
			if _, err := os.Stat(dest); err != nil {
				t.Errorf("%s links to %s: %v", file, target, err)
				continue
			}
			if anchor != "" && !anchors(t, dest)[anchor] {
				t.Errorf("%s links to %s: %s has no heading %q", file, target, dest, anchor)
			}
		}
	}
}

// withoutCode is a Markdown file without its fenced code blocks, where ]( is code, not a link.
func withoutCode(t *testing.T, file string) string {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fence := false
	for line := range strings.Lines(string(raw)) {
		if strings.HasPrefix(line, "```") {
			fence = !fence
			continue
		}
		if !fence {
			b.WriteString(line)
		}
	}
	return b.String()
}

// anchors are the ids GitHub gives a Markdown file's headings: lower case, punctuation dropped,
// spaces as hyphens.
func anchors(t *testing.T, file string) map[string]bool {
	drop := regexp.MustCompile(`[^\p{L}\p{N}_\- ]`)
	ids := map[string]bool{}
	for line := range strings.Lines(withoutCode(t, file)) {
		if title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " "); ok && strings.HasPrefix(line, "#") {
			ids[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(strings.TrimSpace(title)), ""), " ", "-")] = true
		}
	}
	return ids
}
