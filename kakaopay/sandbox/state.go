package sandbox

import "time"

// KakaoPay's order statuses, all of which the sandbox reaches.
const (
	statusReady        = "READY"
	statusSendTMS      = "SEND_TMS"      // the PC page sent the request to the shopper's KakaoTalk
	statusOpen         = "OPEN_PAYMENT"  // the payment screen is open on the phone
	statusSelectMethod = "SELECT_METHOD" // the shopper picked a payment method
	statusARSWaiting   = "ARS_WAITING"   // phone (ARS) authentication pending
	statusAuthPassword = "AUTH_PASSWORD" // password entered; approve may follow
	statusIssuedSID    = "ISSUED_SID"    // an SID-only CID issued an sid and charged nothing
	statusSuccess      = "SUCCESS_PAYMENT"
	statusPartCancel   = "PART_CANCEL_PAYMENT"
	statusCancel       = "CANCEL_PAYMENT"
	statusFailPassword = "FAIL_AUTH_PASSWORD" // a wrong password ended the tid
	statusQuit         = "QUIT_PAYMENT"
	statusFail         = "FAIL_PAYMENT"
)

// Amounts that script an outcome.
const (
	amountApproveFails = 4444 // approve answers -780, as with an empty wallet
	amountApproveHangs = 5555 // approve answers after ApproveDelay, and completes even if the client left
	amountReadyRefused = 6666 // ready is refused, as for a misconfigured merchant
)

// Payment methods and actions as KakaoPay names them.
const (
	methodMoney = "MONEY"
	methodCard  = "CARD"

	actionPayment   = "PAYMENT"
	actionCancel    = "CANCEL"
	actionIssuedSID = "ISSUED_SID"
)

// usePointNone is the subscription status answer's use_point_status: whether the shopper pays
// subscription charges wholly with KakaoPay points. KakaoPay's values are not in kakaopay-api.md;
// the sandbox's shoppers never do, so it always answers this one.
const usePointNone = "NONE"

// amount is KakaoPay's amount object.
type amount struct {
	Total        int64 `json:"total"`
	TaxFree      int64 `json:"tax_free"`
	Vat          int64 `json:"vat"`
	Point        int64 `json:"point"`
	Discount     int64 `json:"discount"`
	GreenDeposit int64 `json:"green_deposit"`
}

func (a amount) minus(b amount) amount {
	return amount{Total: a.Total - b.Total, TaxFree: a.TaxFree - b.TaxFree, Vat: a.Vat - b.Vat}
}

func (a amount) plus(b amount) amount {
	return amount{Total: a.Total + b.Total, TaxFree: a.TaxFree + b.TaxFree, Vat: a.Vat + b.Vat}
}

// payment is one tid, from ready (or a subscription charge) to its last cancel.
type payment struct {
	tid, cid                      string
	partnerOrderID, partnerUserID string
	itemName, itemCode            string
	quantity                      int64
	amount                        amount
	method                        string // decided at ready or in the wallet, shown once approved
	methodFixed                   bool   // ready asked for this method; the wallet offers no other
	installMonth                  int
	approvalURL, cancelURL        string
	failURL                       string
	sidOnly                       bool // approval issues an sid and charges nothing (ISSUED_SID)

	status     string
	pgToken    string
	tokenUsed  bool
	aid        string
	sid        string
	payload    string
	card       *cardInfo
	canceled   amount
	createdAt  time.Time
	approvedAt time.Time
	canceledAt time.Time
	actions    []action
}

// action is one line of the order API's payment_action_details.
type action struct {
	aid     string
	kind    string
	at      time.Time
	amount  int64
	payload string
}

// approved reports whether money moved, so cancel and the amounts left make sense.
func (p *payment) approved() bool {
	return p.status == statusSuccess || p.status == statusPartCancel || p.status == statusCancel
}

// payable reports whether the shopper can still act in the wallet.
func (p *payment) payable() bool {
	switch p.status {
	case statusReady, statusSendTMS, statusOpen, statusSelectMethod, statusARSWaiting:
		return true
	}
	return false
}

// advance moves a payable tid forward to to, one of SEND_TMS and OPEN_PAYMENT, never back: opening
// the payment screen after a KakaoTalk message moves SEND_TMS on, but re-opening the PC page or the
// payment screen leaves a later status (SELECT_METHOD, ARS_WAITING) as it is.
func (p *payment) advance(to string) {
	rank := func(status string) int {
		switch status {
		case statusReady:
			return 0
		case statusSendTMS:
			return 1
		case statusOpen:
			return 2
		}
		return 3
	}
	if rank(p.status) < rank(to) {
		p.status = to
	}
}

// left is what can still be canceled.
func (p *payment) left() amount {
	if !p.approved() {
		return amount{}
	}
	return p.amount.minus(p.canceled)
}

// expired reports whether the tid outlived its TTL before approval; KakaoPay then refuses approval
// and the wallet, but the order API keeps answering the last status.
func (s *Sandbox) expired(p *payment) bool {
	return !p.approved() && !s.now().Before(p.createdAt.Add(s.ttl))
}

// subscription is one sid.
type subscription struct {
	sid, cid       string
	partnerUserID  string
	itemName       string
	method         string
	active         bool
	createdAt      time.Time
	lastApprovedAt time.Time
	inactivatedAt  time.Time
}
