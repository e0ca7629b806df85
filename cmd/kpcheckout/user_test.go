package main

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpcheckout/kpcheckout/accounts"
	"github.com/kpcheckout/kpcheckout/store/sqlite"
)

func TestUserListAndPassword(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "u.db")
	vars := env(map[string]string{"KPCHECKOUT_DATABASE_URL": "sqlite:" + dbPath})
	ctx := t.Context()
	do := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := userCommand(ctx, args, vars, strings.NewReader(stdin), &out, io.Discard)
		return out.String(), err
	}
	if err := run(ctx, []string{"merchant", "create", "--name", "사용자 상점"}, vars, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"merchant", "create", "--name", "다른 상점"}, vars, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := do("", "create", "--merchant", "사용자 상점", "--email", "owner@shop.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := do("a long enough secret\n", "create", "--merchant", "사용자 상점", "--email", "staff@shop.example", "--role", "staff", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	if _, err := do("", "create", "--merchant", "다른 상점", "--email", "owner@other.example"); err != nil {
		t.Fatal(err)
	}

	out, err := do("", "list", "--merchant", "사용자 상점")
	var list []map[string]string
	if err != nil || json.Unmarshal([]byte(out), &list) != nil {
		t.Fatalf("list: %v %s", err, out)
	}
	if len(list) != 2 || list[0]["email"] != "owner@shop.example" || list[1]["role"] != "staff" || list[0]["created_at"] == "" ||
		strings.Contains(out, "argon2") {
		t.Errorf("list printed %s", out)
	}

	out, err = do("", "password", "--email", "STAFF@shop.example")
	var reset map[string]string
	if err != nil || json.Unmarshal([]byte(out), &reset) != nil || reset["email"] != "staff@shop.example" || len(reset["password"]) < 20 {
		t.Fatalf("password: %v %s", err, out)
	}
	out, err = do("another long secret\n", "password", "--email", "owner@shop.example", "--password-stdin")
	if err != nil || strings.Contains(out, "password") {
		t.Fatalf("password --password-stdin: %v %s", err, out)
	}
	users := usersIn(t, dbPath)
	for email, password := range map[string]string{"staff@shop.example": reset["password"], "owner@shop.example": "another long secret"} {
		if _, err := users.Authenticate(ctx, email, password); err != nil {
			t.Errorf("%s cannot sign in with the new password: %v", email, err)
		}
	}
	if _, err := users.Authenticate(ctx, "staff@shop.example", "a long enough secret"); err == nil {
		t.Error("the old password still signs in")
	}

	for _, args := range [][]string{
		{"list"},
		{"list", "--merchant", "없는 상점"},
		{"password"},
		{"password", "--email", "nobody@shop.example"},
		{"frobnicate"},
		{},
	} {
		if _, err := do("", args...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if _, err := do("short\n", "password", "--email", "owner@shop.example", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "12") {
		t.Errorf("a short password: %v", err)
	}
	if _, err := do("", "password", "--email", "owner@shop.example", "--password-stdin"); err == nil {
		t.Error("an empty stdin was accepted")
	}
}

func TestUserPasswordNamesTheMerchantOfAnEmailAtSeveral(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "u.db")
	vars := env(map[string]string{"KPCHECKOUT_DATABASE_URL": "sqlite:" + dbPath})
	ctx := t.Context()
	do := func(stdin string, args ...string) (map[string]string, error) {
		var out bytes.Buffer
		err := userCommand(ctx, args, vars, strings.NewReader(stdin), &out, io.Discard)
		var got map[string]string
		if err == nil {
			err = json.Unmarshal(out.Bytes(), &got)
		}
		return got, err
	}
	ids := map[string]string{}
	for _, name := range []string{"카페", "빵집"} {
		if err := run(ctx, []string{"merchant", "create", "--name", name}, vars, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		u, err := do("", "create", "--merchant", name, "--email", "owner@example.com")
		if err != nil {
			t.Fatalf("user create at %s: %v", name, err)
		}
		ids[name] = u["merchant_id"]
	}
	if _, err := do("", "password", "--email", "owner@example.com"); err == nil || !strings.Contains(err.Error(), "merchant") {
		t.Errorf("password without --merchant: %v", err)
	}
	u, err := do("", "password", "--email", "owner@example.com", "--merchant", "빵집")
	if err != nil || u["merchant_id"] != ids["빵집"] || len(u["password"]) < 20 {
		t.Fatalf("password --merchant 빵집: %v %v", u, err)
	}
	if _, err := do("", "password", "--email", "nobody@example.com", "--merchant", "빵집"); err == nil {
		t.Error("an e-mail the merchant does not have was accepted")
	}
}

// usersIn opens the SQLite database at dbPath beside the command, as the server would, and
// returns its dashboard users; the database is closed when the test ends.
func usersIn(t *testing.T, dbPath string) *accounts.Users {
	t.Helper()
	db, err := sqlite.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	users, err := accounts.NewUsers(accounts.Config{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	return users
}
