package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestCheckoutCreatePrintsItsURL(t *testing.T) {
	srv := startServe(t) // makes the demo merchant
	vars := env(map[string]string{"KPCHECKOUT_ADDR": srv.addr, "KPCHECKOUT_DATABASE_URL": srv.databaseURL})
	var out, errb bytes.Buffer
	err := run(t.Context(), []string{"checkout", "create", "--item", "아메리카노:2:4500", "--item", "크루아상:1:2000"}, vars, &out, &errb)
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	url := strings.TrimSpace(out.String())
	if !strings.HasPrefix(url, "http://"+srv.addr+"/c/cs_") {
		t.Fatalf("checkout create printed %q", out.String())
	}
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "11,000원") || !strings.Contains(string(body), "크루아상") {
		t.Errorf("the printed checkout: %d", res.StatusCode)
	}

	out.Reset()
	if err := run(t.Context(), []string{"checkout", "create", "--amount", "5000", "--mode", "subscription"}, vars, &out, &errb); err != nil || !strings.Contains(out.String(), "/c/cs_") {
		t.Errorf("a subscription checkout: %v %q", err, out.String())
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"checkout", "create"}, "amount"},
		{[]string{"checkout", "create", "--amount", "11000", "--item", "커피"}, "name:quantity:unit_price"},
		{[]string{"checkout", "create", "--amount", "11000", "--merchant", "없는 상점"}, "no merchant"},
		{[]string{"checkout", "create", "--amount", "11000", "--mode", "weekly"}, "mode"},
		{[]string{"checkout"}, "kpcheckout checkout needs one of: create"},
	} {
		err := run(t.Context(), tc.args, vars, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want it to say %q", tc.args, err, tc.want)
		}
	}
}

func TestParseItem(t *testing.T) {
	for in, want := range map[string]string{"아메리카노:2:4500": "아메리카노 2 4500", "커피: 라지:1:5000": "커피: 라지 1 5000"} {
		it, err := parseItem(in)
		if got := it.Name + " " + strconv.FormatInt(it.Quantity, 10) + " " + strconv.FormatInt(it.UnitPrice, 10); err != nil || got != want {
			t.Errorf("parseItem(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"커피", "커피:2", ":2:100", "커피:x:100", "커피:1:"} {
		if _, err := parseItem(bad); err == nil {
			t.Errorf("parseItem(%q) accepted", bad)
		}
	}
}

func TestWebhookCommands(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "w.db")
	vars := env(map[string]string{"KPCHECKOUT_DATABASE_URL": db})
	var out bytes.Buffer
	if err := run(t.Context(), []string{"merchant", "create", "--name", "웹훅 상점", "--webhook-url", "http://127.0.0.1:9/hooks"}, vars, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var created struct {
		ID            string `json:"id"`
		WebhookSecret string `json:"webhook_secret"`
	}
	if err := json.Unmarshal(out.Bytes(), &created); err != nil || created.ID == "" {
		t.Fatalf("merchant create printed %q: %v", out.String(), err)
	}
	do := func(args ...string) (map[string]any, []map[string]any, error) {
		t.Helper()
		out.Reset()
		err := run(t.Context(), append([]string{"webhook"}, args...), vars, &out, io.Discard)
		var one map[string]any
		var many []map[string]any
		if json.Unmarshal(out.Bytes(), &one) != nil {
			json.Unmarshal(out.Bytes(), &many)
		}
		return one, many, err
	}
	_, list, err := do("list", "--merchant", "웹훅 상점")
	if err != nil || len(list) != 1 || list[0]["url"] != "http://127.0.0.1:9/hooks" || list[0]["secret"] != nil {
		t.Fatalf("merchant create --webhook-url made %v (%v)", list, err)
	}
	ep, _, err := do("create", "--merchant", created.ID, "--url", "https://shop.example/hooks", "--events", "checkout.paid,refund.succeeded")
	if err != nil || !strings.HasPrefix(fmt.Sprint(ep["secret"]), "whsec_") {
		t.Fatalf("create: %v %v", ep, err)
	}
	id := fmt.Sprint(ep["id"])
	if up, _, err := do("update", id, "--merchant", "웹훅 상점", "--disabled=true", "--events", "*"); err != nil || up["disabled"] != true {
		t.Errorf("update: %v %v", up, err)
	}
	if _, _, err := do("create", "--merchant", "웹훅 상점", "--url", "ftp://x"); err == nil || !strings.Contains(err.Error(), "url") {
		t.Errorf("a bad url: %v", err)
	}
	if _, _, err := do("create", "--merchant", "웹훅 상점", "--url", "https://x.example", "--events", "checkout.payed"); err == nil || !strings.Contains(err.Error(), "checkout.payed") {
		t.Errorf("an unknown event type: %v", err)
	}
	if del, _, err := do("delete", id, "--merchant", "웹훅 상점"); err != nil || del["deleted"] != true {
		t.Errorf("delete: %v %v", del, err)
	}
	if _, _, err := do("delete", id, "--merchant", "웹훅 상점"); err == nil {
		t.Error("deleting twice worked")
	}
	if _, _, err := do("list", "--merchant", "없는 상점"); err == nil {
		t.Error("an unknown merchant was accepted")
	}
}

func TestUserCreate(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "u.db")
	vars := env(map[string]string{"KPCHECKOUT_DATABASE_URL": "sqlite:" + dbPath})
	ctx := t.Context()
	var out bytes.Buffer
	if err := run(ctx, []string{"merchant", "create", "--name", "사용자 상점"}, vars, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var m struct{ ID string }
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"user", "create", "--merchant", "사용자 상점", "--email", "owner@shop.example"}, vars, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var u struct {
		ID         string `json:"id"`
		MerchantID string `json:"merchant_id"`
		Role       string `json:"role"`
		Password   string `json:"password"`
	}
	if err := json.Unmarshal(out.Bytes(), &u); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.ID, "usr_") || u.MerchantID != m.ID || u.Role != "owner" || len(u.Password) < 20 {
		t.Fatalf("user create printed %s", out.String())
	}

	out.Reset()
	err := createUser(ctx, []string{"--merchant", m.ID, "--email", "staff@shop.example", "--role", "staff", "--password-stdin"},
		vars, strings.NewReader("a long enough secret\n"), &out, io.Discard)
	if err != nil || strings.Contains(out.String(), "password") || !strings.Contains(out.String(), `"role": "staff"`) {
		t.Fatalf("--password-stdin: %v, printed %s", err, out.String())
	}
	users := usersIn(t, dbPath)
	for email, password := range map[string]string{"owner@shop.example": u.Password, "STAFF@shop.example": "a long enough secret"} {
		if _, err := users.Authenticate(ctx, email, password); err != nil {
			t.Errorf("%s cannot sign in: %v", email, err)
		}
	}

	for _, args := range [][]string{
		{"user", "create", "--merchant", m.ID, "--email", "owner@shop.example"},
		{"user", "create", "--merchant", "nope", "--email", "x@shop.example"},
		{"user", "create", "--merchant", m.ID, "--email", "x@shop.example", "--role", "admin"},
		{"user", "create", "--merchant", m.ID},
		{"user"},
	} {
		if err := run(ctx, args, vars, io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
