package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHelpListsTheCommands: kpcheckout, kpcheckout help and kpcheckout --help list every
// command with its line, and succeed.
func TestHelpListsTheCommands(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"--help"}, {"-h"}} {
		var out bytes.Buffer
		if err := run(t.Context(), args, env(nil), &out, io.Discard); err != nil {
			t.Errorf("%v: %v", args, err)
			continue
		}
		for _, cmd := range commands() {
			if !strings.Contains(out.String(), cmd.name+" ") || !strings.Contains(out.String(), cmd.summary) {
				t.Errorf("%v does not list %q: %s", args, cmd.name, out.String())
			}
		}
	}
}

// TestEachCommandHelpShowsItsOwnFlags: `kpcheckout help COMMAND` and `COMMAND --help` print the
// command's usage and examples with its own flags, and no server flag it does not read.
func TestEachCommandHelpShowsItsOwnFlags(t *testing.T) {
	for _, cmd := range commands() {
		for _, args := range [][]string{append(strings.Fields(cmd.name), "--help"), append([]string{"help"}, strings.Fields(cmd.name)...)} {
			var out bytes.Buffer
			if err := run(t.Context(), args, env(nil), &out, io.Discard); err != nil {
				t.Errorf("%v: %v", args, err)
				continue
			}
			help := out.String()
			if !strings.Contains(help, "Usage:\n  kpcheckout "+cmd.name) || !strings.Contains(help, cmd.summary) {
				t.Errorf("%v printed %s", args, help)
			}
			for _, e := range cmd.examples {
				if !strings.Contains(help, e) {
					t.Errorf("%v lacks the example %s", args, e)
				}
			}
			if cmd.settings != settingsAll && (strings.Contains(help, "--addr") || strings.Contains(help, "--tls-domain")) {
				t.Errorf("%v shows server flags:\n%s", args, help)
			}
		}
	}
	var out bytes.Buffer
	run(t.Context(), []string{"webhook", "list", "--help"}, env(nil), &out, io.Discard)
	if strings.Contains(out.String(), "--url") || strings.Contains(out.String(), "--disabled") || !strings.Contains(out.String(), "--merchant") {
		t.Errorf("webhook list --help shows another command's flags:\n%s", out.String())
	}
	out.Reset()
	run(t.Context(), []string{"serve", "--help"}, env(nil), &out, io.Discard)
	if !strings.Contains(out.String(), "--tls-domain") || !strings.Contains(out.String(), "KPCHECKOUT_TLS_DOMAIN") {
		t.Errorf("serve --help lacks the server flags:\n%s", out.String())
	}
}

// TestMistypesGetASuggestion: a mistyped command or flag is named with the nearest known one; a
// missing required flag is named as a flag.
func TestMistypesGetASuggestion(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"webhok", "list"}, `did you mean "webhook"?`},
		{[]string{"webhook", "lst"}, `did you mean "webhook list"?`},
		{[]string{"lisen"}, `did you mean "listen"?`},
		{[]string{"triger", "checkout.paid"}, `did you mean "trigger"?`},
		{[]string{"checkout", "create", "--amout", "5000"}, `unknown flag "--amout"; did you mean "--amount"?`},
		{[]string{"merchant", "create", "--naem", "x"}, `did you mean "--name"?`},
		{[]string{"merchant", "create"}, "--name is required"},
		{[]string{"user", "create", "--merchant", "x"}, "--email is required"},
		{[]string{"checkout", "create", "--amount", "many"}, "--amount"},
		{[]string{"webhook", "delete", "--merchant", "x"}, "which endpoint?"},
		{[]string{"merchant"}, "create, update"},
		{[]string{"frobnicate"}, "kpcheckout help"},
	} {
		err := run(t.Context(), tc.args, env(map[string]string{"KPCHECKOUT_DATABASE_URL": db}), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want it to say %s", tc.args, err, tc.want)
		}
	}
}

// TestAnAmbiguousMerchantNameIsRefused: two merchants of one name are told apart by id, never
// picked silently.
func TestAnAmbiguousMerchantNameIsRefused(t *testing.T) {
	vars := env(map[string]string{"KPCHECKOUT_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "a.db")})
	ctx := t.Context()
	var ids []string
	var note bytes.Buffer
	for range 2 {
		var out bytes.Buffer
		if err := run(ctx, []string{"merchant", "create", "--name", "내 상점"}, vars, &out, &note); err != nil {
			t.Fatal(err)
		}
		var m struct{ ID string }
		json.Unmarshal(out.Bytes(), &m)
		ids = append(ids, m.ID)
	}
	if !strings.Contains(note.String(), ids[0]) || !strings.Contains(note.String(), ids[1]) {
		t.Errorf("the second merchant create did not say the name is taken: %q", note.String())
	}
	err := run(ctx, []string{"user", "create", "--merchant", "내 상점", "--email", "owner@shop.example"}, vars, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), ids[0]) || !strings.Contains(err.Error(), ids[1]) {
		t.Fatalf("an ambiguous --merchant: %v", err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"user", "create", "--merchant", ids[1], "--email", "owner@shop.example"}, vars, &out, io.Discard); err != nil || !strings.Contains(out.String(), ids[1]) {
		t.Errorf("--merchant by id: %v %s", err, out.String())
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"amout", "amount", 1}, {"naem", "name", 1}, {"", "abc", 3}, {"상점", "상점", 0}, {"listen", "lisetn", 1}, {"abc", "abd", 1}} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestDocsDocumentEveryCommand keeps docs/cli.md true: every command, and every flag of its own,
// is there.
func TestDocsDocumentEveryCommand(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)
	server := configFlagNames()
	for _, cmd := range commands() {
		if !strings.Contains(section, "kpcheckout "+cmd.name) {
			t.Errorf("docs/cli.md does not name kpcheckout %s", cmd.name)
		}
		var out bytes.Buffer
		run(t.Context(), append(strings.Fields(cmd.name), "--help"), env(nil), &out, io.Discard)
		for _, f := range regexp.MustCompile(`(?m)^  (--[a-z-]+)`).FindAllStringSubmatch(out.String(), -1) {
			if !server[strings.TrimPrefix(f[1], "--")] && !strings.Contains(section, f[1]) {
				t.Errorf("docs/cli.md does not name %s's flag %s", cmd.name, f[1])
			}
		}
	}
}
