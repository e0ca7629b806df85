package sandbox_test

import (
	"net/http"
	"testing"
)

func TestCancelPartialThenFull(t *testing.T) {
	e := newEnv(t)
	tid := e.pay(newReady(10000)).str("tid")
	cancel := func(amount int) (int, obj) {
		return e.post("cancel", cancelReq{CID: oneTimeCID, TID: tid, CancelAmount: amount})
	}

	steps := []struct {
		amount                     int
		status                     string
		canceled, left, thisCancel int
	}{
		{3000, "PART_CANCEL_PAYMENT", 3000, 7000, 3000},
		{2000, "PART_CANCEL_PAYMENT", 5000, 5000, 2000},
	}
	for _, s := range steps {
		status, res := cancel(s.amount)
		if status != http.StatusOK || res.str("status") != s.status || res.num("canceled_amount.total") != s.canceled ||
			res.num("cancel_available_amount.total") != s.left || res.num("approved_cancel_amount.total") != s.thisCancel ||
			res.num("amount.total") != 10000 || res.str("canceled_at") == "" || res.str("aid") == "" || res.str("tid") != tid {
			t.Fatalf("cancel %d: %d %v", s.amount, status, res)
		}
	}
	status, res := cancel(6000)
	wantError(t, status, res, http.StatusBadRequest, -781)

	status, res = cancel(5000)
	if status != http.StatusOK || res.str("status") != "CANCEL_PAYMENT" || res.num("cancel_available_amount.total") != 0 ||
		res.num("canceled_amount.vat") != 909 || res.num("cancel_available_amount.vat") != 0 {
		t.Fatalf("full cancel: %d %v", status, res)
	}
	status, res = cancel(1)
	wantError(t, status, res, http.StatusBadRequest, -781)

	_, ord := e.post("order", orderReq{CID: oneTimeCID, TID: tid})
	details, _ := ord.get("payment_action_details").([]any)
	if ord.str("status") != "CANCEL_PAYMENT" || ord.num("canceled_amount.total") != 10000 || len(details) != 4 ||
		obj(details[3].(map[string]any)).str("payment_action_type") != "CANCEL" {
		t.Errorf("order = %v", ord)
	}
	if p, _ := e.sb.Payment(tid); p.CanceledAmount != 10000 || p.Status != "CANCEL_PAYMENT" {
		t.Errorf("Payment = %+v", p)
	}
}

func TestCancelAvailableAmountGuard(t *testing.T) {
	e := newEnv(t)
	tid := e.pay(newReady(10000)).str("tid")
	status, res := e.post("cancel", cancelReq{CID: oneTimeCID, TID: tid, CancelAmount: 1000, CancelAvailableAmount: ptr(9000)})
	wantError(t, status, res, http.StatusBadRequest, -781)
	status, res = e.post("cancel", cancelReq{CID: oneTimeCID, TID: tid, CancelAmount: 1000, CancelAvailableAmount: ptr(10000)})
	if status != http.StatusOK || res.num("cancel_available_amount.total") != 9000 {
		t.Fatalf("cancel with the right guard: %d %v", status, res)
	}
}

func TestCancelRefusals(t *testing.T) {
	e := newEnv(t)
	ready := e.ready(newReady(10000))
	status, res := e.post("cancel", cancelReq{CID: oneTimeCID, TID: ready.str("tid"), CancelAmount: 1000})
	wantError(t, status, res, http.StatusBadRequest, -781)

	tid := e.pay(newReady(10000)).str("tid")
	status, res = e.post("cancel", cancelReq{CID: oneTimeCID, TID: tid, CancelAmount: 0})
	wantError(t, status, res, http.StatusBadRequest, -2)
	status, res = e.post("cancel", cancelReq{CID: oneTimeCID, TID: tid, CancelAmount: 1000, CancelTaxFreeAmount: 500})
	wantError(t, status, res, http.StatusBadRequest, -781) // more tax-free than the payment had
	status, res = e.post("cancel", map[string]any{"cid": oneTimeCID, "tid": tid, "cancel_amount": 1000})
	wantError(t, status, res, http.StatusBadRequest, -2) // cancel_tax_free_amount is required
}
