package sandbox_test

import (
	"net/http"
	"testing"

	"github.com/kpcheckout/kpcheckout/kakaopay/sandbox"
)

func TestSubscription(t *testing.T) {
	e := newEnv(t)
	first := newReady(9900)
	first.CID = subCID
	ans := e.pay(first)
	sid := ans.str("sid")
	if len(sid) != 20 || sid[0] != 'S' {
		t.Fatalf("sid = %q", sid)
	}
	if p, _ := e.sb.Payment(ans.str("tid")); p.SID != sid {
		t.Errorf("Payment.SID = %q", p.SID)
	}

	_, st := e.post("manage/subscription/status", sidReq{CID: subCID, SID: sid})
	if st.get("available") != true || st.str("status") != "ACTIVE" || st.str("created_at") == "" || st.str("use_point_status") == "" {
		t.Errorf("status = %v", st)
	}

	charge := chargeReq{CID: subCID, SID: sid, PartnerOrderID: "ch_1", PartnerUserID: first.PartnerUserID,
		ItemName: "월 구독", Quantity: 1, TotalAmount: 9900}
	status, ch := e.post("subscription", charge)
	tid := ch.str("tid")
	if status != http.StatusOK || tid == "" || tid == ans.str("tid") || ch.str("sid") != sid || ch.str("aid") == "" ||
		ch.num("amount.total") != 9900 || ch.str("approved_at") == "" || ch.str("partner_order_id") != "ch_1" {
		t.Fatalf("charge: %d %v", status, ch)
	}
	if got := e.orderStatus(subCID, tid); got != "SUCCESS_PAYMENT" {
		t.Errorf("order of the charge = %s", got)
	}
	if status, res := e.post("cancel", cancelReq{CID: subCID, TID: tid, CancelAmount: 9900}); status != http.StatusOK ||
		res.str("status") != "CANCEL_PAYMENT" {
		t.Errorf("cancel the charge: %d %v", status, res)
	}

	bad := charge
	bad.TotalAmount = 4444
	status, res := e.post("subscription", bad)
	wantError(t, status, res, http.StatusBadRequest, -780)
	bad = charge
	bad.PartnerUserID = "someone_else"
	status, res = e.post("subscription", bad)
	wantError(t, status, res, http.StatusBadRequest, -706)

	status, in := e.post("manage/subscription/inactive", sidReq{CID: subCID, SID: sid})
	if status != http.StatusOK || in.get("available") != false || in.str("status") != "INACTIVE" || in.str("inactivated_at") == "" {
		t.Fatalf("inactive: %d %v", status, in)
	}
	status, res = e.post("subscription", charge)
	wantError(t, status, res, http.StatusBadRequest, -782)
	status, res = e.post("manage/subscription/inactive", sidReq{CID: subCID, SID: sid})
	wantError(t, status, res, http.StatusBadRequest, -782)
	status, res = e.post("manage/subscription/status", sidReq{CID: oneTimeCID, SID: sid})
	wantError(t, status, res, http.StatusBadRequest, -782)

	for name, want := range map[string]int{"subscription": 4, "status": 2, "inactive": 2} {
		if got := e.sb.Calls(name); got != want {
			t.Errorf("Calls(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestSIDOnlyCIDIssuesAnSID(t *testing.T) {
	const sidOnlyCID = "TCSIDONLY0"
	e := newEnvWith(t, sandbox.Options{SIDOnlyCIDs: []string{sidOnlyCID}})
	zero := newReady(0)
	status, res := e.post("ready", zero)
	wantError(t, status, res, http.StatusBadRequest, -2) // a one-time CID must charge something

	req := newReady(0)
	req.CID = sidOnlyCID
	checkIssuedSID(t, e, req)
}

// TestSubscriptionReadyForZeroIssuesOnlyAnSID: as KakaoPay allows, a subscription CID's first
// ready for 0 won approves to an sid and no charge (ISSUED_SID); the charges come later.
func TestSubscriptionReadyForZeroIssuesOnlyAnSID(t *testing.T) {
	e := newEnv(t)
	req := newReady(0)
	req.CID = "TCSUBSCRIP"
	checkIssuedSID(t, e, req)
	paid := newReady(9900)
	paid.CID = "TCSUBSCRIP"
	ready := e.ready(paid)
	tid := ready.str("tid")
	if status, ans := e.post("approve", approveFor(paid, tid, e.approveInWallet(ready))); status != http.StatusOK || ans.num("amount.total") != 9900 {
		t.Errorf("a subscription's first ready for 9,900 won charges it: %d %v", status, ans)
	}
}

// checkIssuedSID approves req, a ready for 0 won on a subscription CID, and checks that it
// issued an sid, charged nothing, and that the sid can be charged.
func checkIssuedSID(t *testing.T, e *env, req readyReq) {
	t.Helper()
	cid := req.CID
	ready := e.ready(req)
	tid := ready.str("tid")
	status, ans := e.post("approve", approveFor(req, tid, e.approveInWallet(ready)))
	sid := ans.str("sid")
	if status != http.StatusOK || len(sid) != 20 || sid[0] != 'S' {
		t.Fatalf("approve: %d %v", status, ans)
	}
	_, ord := e.post("order", orderReq{CID: cid, TID: tid})
	details, _ := ord.get("payment_action_details").([]any)
	if ord.str("status") != "ISSUED_SID" || ord.str("sid") != sid || ord.num("cancel_available_amount.total") != 0 || len(details) != 1 ||
		obj(details[0].(map[string]any)).str("payment_action_type") != "ISSUED_SID" || obj(details[0].(map[string]any)).num("amount") != 0 {
		t.Errorf("order after an SID-only approval = %v", ord)
	}
	status, res := e.post("approve", approveFor(req, tid, "abcdefghij0123456789"))
	wantError(t, status, res, http.StatusBadRequest, -702)
	status, res = e.post("cancel", cancelReq{CID: cid, TID: tid, CancelAmount: 1})
	wantError(t, status, res, http.StatusBadRequest, -781)

	_, st := e.post("manage/subscription/status", sidReq{CID: cid, SID: sid})
	if st.get("available") != true || st.str("status") != "ACTIVE" || st.get("last_approved_at") != nil {
		t.Errorf("status of the issued sid = %v", st)
	}
	charge := chargeReq{CID: cid, SID: sid, PartnerOrderID: "ch_1", PartnerUserID: req.PartnerUserID,
		ItemName: "월 구독", Quantity: 1, TotalAmount: 9900}
	if status, ch := e.post("subscription", charge); status != http.StatusOK || ch.num("amount.total") != 9900 {
		t.Errorf("first charge on the issued sid: %d %v", status, ch)
	}
}
