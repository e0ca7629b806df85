// Package e2e holds the Chromium tests of whole shopper flows: Debian's Chromium, driven through
// chromedp as shoppers would use it, against kpcheckout and the sandbox KakaoPay started by
// handlers/handlerstest. They live apart from the handlers tests so that `go test ./handlers`
// needs no browser; `make test` installs Chromium and axe-core and runs both.
package e2e
