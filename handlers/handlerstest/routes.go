package handlerstest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/accounts"
)

// RoutePatterns reads the "METHOD /path" patterns of handlers/routes.go, the route table, whose
// path starts with prefix.
func RoutePatterns(t *testing.T, prefix string) []string {
	t.Helper()
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("handlerstest: no source file to find routes.go from")
	}
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(filepath.Dir(here), "..", "routes.go"), nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		p, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		if _, path, ok := strings.Cut(p, " "); ok && strings.HasPrefix(path, prefix) {
			patterns = append(patterns, p)
		}
		return true
	})
	if len(patterns) < 5 {
		t.Fatalf("found only %d routes under %s in routes.go: %v", len(patterns), prefix, patterns)
	}
	return patterns
}

// ScopeIDs makes one of each other object a dashboard URL names, for e's merchant, by name of
// the route's parameter.
func ScopeIDs(t *testing.T, e *Env) map[string]string {
	t.Helper()
	ctx := t.Context()
	ids := map[string]string{}
	_, ids["agreementID"] = e.Subscribe("9900")
	var obj struct{ ID string }
	e.API("POST", "/v1/agreements/"+ids["agreementID"]+"/charges", `{"amount":9900,"reference":"SUB-2"}`, &obj)
	ids["chargeID"] = obj.ID
	e.API("POST", "/v1/webhook_endpoints", `{"url":"`+e.Shop.URL+`/hooks"}`, &obj)
	ids["endpointID"] = obj.ID
	var events struct{ Data []struct{ ID string } }
	e.API("GET", "/v1/events", "", &events)
	if len(events.Data) > 0 {
		ids["eventID"] = events.Data[0].ID
	}
	ids["linkID"] = CreateLink(t, e, `{"amount":5000,"description":"원두 200g","success_url":"`+e.Shop.URL+`/thanks","failure_url":"`+e.Shop.URL+`/cart"}`).ID
	m := e.Merchant()
	keys, err := e.Merchants.APIKeys(ctx, m)
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v", err)
	}
	ids["keyID"] = keys[0].ID
	cu, err := e.Users.Create(ctx, accounts.UserParams{MerchantID: e.MerchantID, Email: "staff@cafe.example", Role: accounts.RoleStaff})
	if err != nil {
		t.Fatal(err)
	}
	ids["userID"] = cu.User.ID
	for name, id := range ids {
		if id == "" {
			t.Fatalf("no %s made", name)
		}
	}
	return ids
}
