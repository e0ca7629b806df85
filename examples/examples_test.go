// Package examples_test runs each example shop as a merchant would run it, as a process of its
// own against a real kpcheckout with its KakaoPay sandbox: the Go shop built from a copy in a
// fresh module, the Express shop with node, the PHP shop with php's built-in server.
package examples_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpcheckout/kpcheckout/handlers/handlerstest"
)

// TestGoShopCopiedOut: the Go shop's files, copied into a module of their own that requires
// nothing, build offline and take an order to paid.
func TestGoShopCopiedOut(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(handlerstest.RepoRoot(t), "examples", "shop")
	files, _ := filepath.Glob(filepath.Join(src, "*"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("github.com/kpcheckout/")) {
			t.Errorf("%s imports kpcheckout: it cannot be copied out", filepath.Base(f))
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/cafe\n\ngo 1.26\n"), 0o644)
	build := exec.Command("go", "build", "-o", "shop", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build in a fresh module: %v\n%s", err, out)
	}
	runShop(t, func(e *handlerstest.Env, addr string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(dir, "shop"), "-addr", addr)
		cmd.Env = append(os.Environ(), "KPCHECKOUT_API_KEY="+e.Key, "KPCHECKOUT_URL="+e.URL)
		return cmd
	})
}

// TestExpressShop: the Express shop, which verifies with the standardwebhooks npm package.
func TestExpressShop(t *testing.T) {
	handlerstest.NodeTool(t, "tsc") // npm ci has run: express and standardwebhooks are there
	runShop(t, func(e *handlerstest.Env, addr string) *exec.Cmd {
		host, port, _ := net.SplitHostPort(addr)
		cmd := exec.Command("node", filepath.Join(handlerstest.RepoRoot(t), "examples", "express", "server.js"))
		cmd.Env = append(os.Environ(), "KPCHECKOUT_API_KEY="+e.Key, "KPCHECKOUT_URL="+e.URL, "HOST="+host, "PORT="+port)
		return cmd
	})
}

// TestPHPShop: the PHP shop, which verifies with hash_hmac; `php shop.php register` first.
func TestPHPShop(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		t.Fatal("php is not installed: run `make deps` (it installs Debian's php-cli)")
	}
	script := filepath.Join(handlerstest.RepoRoot(t), "examples", "php", "shop.php")
	data := t.TempDir()
	runShop(t, func(e *handlerstest.Env, addr string) *exec.Cmd {
		env := append(os.Environ(), "KPCHECKOUT_API_KEY="+e.Key, "KPCHECKOUT_URL="+e.URL, "SHOP_URL=http://"+addr, "SHOP_DATA="+data)
		reg := exec.Command(php, script, "register")
		reg.Env = env
		if out, err := reg.CombinedOutput(); err != nil {
			t.Fatalf("php shop.php register: %v\n%s", err, out)
		}
		cmd := exec.Command(php, "-S", addr, script)
		cmd.Env = env
		return cmd
	})
}

// runShop starts a kpcheckout and the shop command start makes, and walks one order: the shop
// sends the shopper to a checkout of the order's lines, the shopper pays in the sandbox and never
// comes back, the order page waits (and reloads itself), and kpcheckout's checkout.paid webhook
// alone makes it paid (and the page stops reloading).
func runShop(t *testing.T, start func(e *handlerstest.Env, addr string) *exec.Cmd) {
	e := handlerstest.New(t)
	addr := freeAddr(t)
	shopURL := "http://" + addr
	cmd := start(e, addr)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("the shop's output:\n%s", out.String())
		}
	})
	waitForEndpoint(t, e, shopURL+"/webhooks")
	if page := get(t, shopURL+"/"); !strings.Contains(page, "예제 카페") {
		t.Fatalf("the shop's page:\n%s", page)
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	res, err := client.PostForm(shopURL+"/orders", url.Values{"qty_americano": {"2"}, "qty_croissant": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	checkoutID, ok := strings.CutPrefix(res.Header.Get("Location"), e.URL+"/c/")
	if res.StatusCode != http.StatusSeeOther || !ok {
		t.Fatalf("POST /orders: %d to %q, want 303 to a checkout", res.StatusCode, res.Header.Get("Location"))
	}
	var c struct {
		Amount     int64             `json:"amount"`
		Reference  string            `json:"reference"`
		Metadata   map[string]string `json:"metadata"`
		SuccessURL string            `json:"success_url"`
	}
	e.API("GET", "/v1/checkouts/"+checkoutID, "", &c)
	order := c.Reference
	if c.Amount != 11000 || order == "" || c.Metadata["order_id"] != order || c.SuccessURL != shopURL+"/orders/"+order {
		t.Fatalf("the shop's checkout %+v: want 11,000 won for its order", c)
	}
	page := get(t, shopURL+"/orders/"+order)
	if !strings.Contains(page, "결제 확인 중") || !strings.Contains(page, `http-equiv="refresh"`) {
		t.Fatalf("the unpaid order's page does not wait and reload itself:\n%s", page)
	}

	e.PayByPhone(checkoutID) // the shopper pays and the tab closes: the shop never sees it back
	handlerstest.Deliver(t, e)
	page = get(t, shopURL+"/orders/"+order)
	if !strings.Contains(page, "결제 완료") || strings.Contains(page, `http-equiv="refresh"`) {
		t.Fatalf("after checkout.paid the order's page is:\n%s", page)
	}
	res, err = http.Post(shopURL+"/webhooks", "application/json", strings.NewReader(`{"id":"evt_forged","type":"checkout.paid","data":{"object":{}}}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("an unsigned delivery answers %d, want 400", res.StatusCode)
	}
}

// waitForEndpoint waits until the shop has registered its webhook endpoint at url.
func waitForEndpoint(t *testing.T, e *handlerstest.Env, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		var list struct {
			Data []struct {
				URL string `json:"url"`
			} `json:"data"`
		}
		e.API("GET", "/v1/webhook_endpoints?limit=100", "", &list)
		for _, ep := range list.Data {
			if ep.URL == url {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the shop registered no endpoint at %s in 30 s", url)
}

// get answers a page of the shop, waiting for it to listen.
func get(t *testing.T, u string) string {
	t.Helper()
	for try := 0; ; try++ {
		res, err := http.Get(u)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", u, res.StatusCode, b)
			}
			return string(b)
		}
		if try > 100 {
			t.Fatalf("GET %s: %v", u, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
