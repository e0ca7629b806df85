package docs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kpcheckout/kpcheckout/docs"
	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

func TestOpenAPILoadsAndValidates(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenAPIHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	docs.OpenAPIHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/openapi.json", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Header().Get("Cache-Control") != "public, max-age=300" || rec.Body.String() != string(docs.OpenAPI) {
		t.Errorf("%d %v, body of %d bytes", rec.Code, rec.Header(), rec.Body.Len())
	}
}

// TestOpenAPILintsClean runs Redocly's linter (npm @redocly/cli, pinned in package-lock.json) with
// its recommended rules (redocly.yaml) over the document: no error and no warning.
func TestOpenAPILintsClean(t *testing.T) {
	root := handlerstest.RepoRoot(t)
	cmd := exec.Command(handlerstest.NodeTool(t, "redocly"), "lint", "--format=json", "docs/openapi.json")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var report struct {
		Totals   struct{ Errors, Warnings, Ignored int }
		Problems []struct {
			RuleID   string `json:"ruleId"`
			Severity string
			Message  string
			Location []struct{ Pointer string }
		}
	}
	if jerr := json.Unmarshal(out, &report); jerr != nil {
		t.Fatalf("redocly lint: %v, %v\n%s\n%s", err, jerr, out, stderr.Bytes())
	}
	for _, p := range report.Problems {
		at := ""
		if len(p.Location) > 0 {
			at = p.Location[0].Pointer
		}
		t.Errorf("%s %s at %s: %s", p.Severity, p.RuleID, at, p.Message)
	}
	if report.Totals != (struct{ Errors, Warnings, Ignored int }{}) || err != nil {
		t.Errorf("redocly lint: %+v, %v", report.Totals, err)
	}
}

// TestOpenAPITypeScriptClient generates TypeScript types from the document with openapi-typescript
// (npm, default options), type-checks a merchant's code against them with tsc (testdata/client.ts:
// a create that gives only the required fields, and ones missing a required field that must not
// compile), and runs it against a real kpcheckout: the minimal create is answered 201 with the
// defaults filled in.
func TestOpenAPITypeScriptClient(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "client.ts"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"client.ts":     string(src),
		"package.json":  `{"type":"module","private":true}`,
		"tsconfig.json": `{"compilerOptions":{"strict":true,"target":"es2022","module":"es2022","moduleResolution":"bundler","lib":["es2022","dom"],"types":[],"outDir":"out","skipLibCheck":false,"noUnusedLocals":false},"files":["client.ts","api.d.ts"]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, dir, nil, handlerstest.NodeTool(t, "openapi-typescript"), filepath.Join(handlerstest.RepoRoot(t), "docs", "openapi.json"), "-o", filepath.Join(dir, "api.d.ts"))
	run(t, dir, nil, handlerstest.NodeTool(t, "tsc"), "-p", dir)

	e := handlerstest.New(t)
	out := run(t, dir, []string{"KPCHECKOUT_URL=" + e.URL, "KPCHECKOUT_API_KEY=" + e.Key}, "node", filepath.Join(dir, "out", "client.js"))
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client.js printed %q: %v", out, err)
	}
	want := map[string]any{"status": "open", "mode": "payment", "currency": "KRW", "expires_in": 3600.0, "tax_free_amount": 0.0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("the checkout the minimal create made: %s is %v, want %v (%v)", k, got[k], v, got)
		}
	}
}

// run runs name in dir with env added and returns its standard output; a failure prints both
// outputs.
func run(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(name), strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}
