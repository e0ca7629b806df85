package checkout

import (
	"fmt"
	"slices"
	"time"

	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
)

// This file is the state machine of checkouts and their KakaoPay attempts: the statuses, the
// moves allowed between them, what KakaoPay's order statuses mean for an attempt, and every rule
// the rest of kpcheckout asks about a status. Nothing outside it compares statuses.

// CheckoutStatus is where a checkout is in its life.
type CheckoutStatus string

// Checkout statuses.
const (
	StatusOpen     CheckoutStatus = "open"
	StatusPaid     CheckoutStatus = "paid"
	StatusExpired  CheckoutStatus = "expired"
	StatusCanceled CheckoutStatus = "canceled"
)

// AttemptStatus is where one KakaoPay attempt (one ready call) of a checkout is.
type AttemptStatus string

// Attempt statuses.
const (
	AttemptReady          AttemptStatus = "ready"
	AttemptAuthenticating AttemptStatus = "authenticating" // the wallet was opened or the QR scanned
	AttemptApproved       AttemptStatus = "approved"
	AttemptFailed         AttemptStatus = "failed"
	AttemptCanceled       AttemptStatus = "canceled"
	AttemptExpired        AttemptStatus = "expired"
)

// machine is a transition table: from each status, the statuses it may move to. A status with
// no row is final.
type machine[S ~string] map[S][]S

// The two tables. They are read-only.
var (
	checkoutMoves = machine[CheckoutStatus]{
		StatusOpen: {StatusPaid, StatusExpired, StatusCanceled},
	}
	attemptMoves = machine[AttemptStatus]{
		AttemptReady:          {AttemptAuthenticating, AttemptApproved, AttemptFailed, AttemptCanceled, AttemptExpired},
		AttemptAuthenticating: {AttemptApproved, AttemptFailed, AttemptCanceled, AttemptExpired},
	}
)

// transition moves *status to to, or answers an error when the table does not allow it: a bug,
// never a shopper's doing, so the transaction it happens in rolls back.
func transition[S ~string](m machine[S], status *string, to S) error {
	if from := S(*status); !slices.Contains(m[from], to) {
		return fmt.Errorf("checkout: no transition from %q to %q", from, to)
	}
	*status = string(to)
	return nil
}

// moveCheckout moves a checkout to status at now.
func moveCheckout(c *store.Checkout, to CheckoutStatus, now time.Time) error {
	if err := transition(checkoutMoves, &c.Status, to); err != nil {
		return err
	}
	c.UpdatedAt = now
	return nil
}

// moveAttempt moves an attempt to status at now.
func moveAttempt(a *store.Attempt, to AttemptStatus, now time.Time) error {
	if err := transition(attemptMoves, &a.Status, to); err != nil {
		return err
	}
	a.UpdatedAt = now
	return nil
}

// ParseCheckoutStatus reads a checkout status, as a list filter gives it.
func ParseCheckoutStatus(s string) (CheckoutStatus, bool) {
	st := CheckoutStatus(s)
	_, open := checkoutMoves[st]
	return st, open || slices.Contains(checkoutMoves[StatusOpen], st)
}

// Status is the checkout's status.
func (st *State) Status() CheckoutStatus { return CheckoutStatus(st.Checkout.Status) }

// Open reports whether the checkout can still be paid.
func (st *State) Open() bool { return isOpen(st.Checkout) }

// Paid reports whether the checkout is paid.
func (st *State) Paid() bool { return isPaid(st.Checkout) }

func isOpen(c *store.Checkout) bool { return CheckoutStatus(c.Status) == StatusOpen }
func isPaid(c *store.Checkout) bool { return CheckoutStatus(c.Status) == StatusPaid }

// StatusOf is an attempt's status.
func StatusOf(a *store.Attempt) AttemptStatus { return AttemptStatus(a.Status) }

// Live reports whether an attempt may still be paid: KakaoPay's tid is waiting for the shopper.
func Live(a *store.Attempt) bool { _, ok := attemptMoves[StatusOf(a)]; return ok }

// WalletOpened reports whether the shopper has opened the attempt in KakaoTalk (scanned the QR
// code or opened the payment screen) and not finished there yet.
func WalletOpened(a *store.Attempt) bool { return StatusOf(a) == AttemptAuthenticating }

// Approved reports whether KakaoPay approved the attempt's payment.
func Approved(a *store.Attempt) bool { return StatusOf(a) == AttemptApproved }

// Failed reports whether the attempt ended in a failure (its FailureCode says which), not a
// cancel or an expiry.
func Failed(a *store.Attempt) bool { return StatusOf(a) == AttemptFailed }

// inFlight reports whether an attempt was claimed by an approve return whose outcome is not
// settled yet: nothing may expire its checkout then.
func inFlight(a *store.Attempt) bool { return a.PGToken != "" && Live(a) }

// Confirming reports whether the shopper's approve return reached us and its outcome is not
// settled yet: being approved, or kept until KakaoPay's order API can confirm it.
func Confirming(a *store.Attempt) bool {
	return (a.PGToken != "" || a.ReturnedPGToken != "") && Live(a)
}

// expiring reports whether a live attempt's own time has come, or its checkout's (due), so
// that it expires now; an attempt the shopper approved waits for its approval's outcome.
func expiring(a *store.Attempt, due bool, now time.Time) bool {
	return Live(a) && !inFlight(a) && (due || !now.Before(a.ExpiresAt))
}

// orderMove is what an answer of KakaoPay's order API means for a live attempt.
type orderMove struct {
	to     AttemptStatus // the attempt's status from now on; "" when it stays as it is
	paid   bool          // KakaoPay approved the payment: record it
	ending bool          // the attempt ends without paying: the order status is its failure code
}

// orderMoveOf reads an order status. ISSUED_SID means KakaoPay issued a subscription key
// without taking any money: a checkout always has an amount, so that attempt did not pay it.
func orderMoveOf(st kakaopay.OrderStatus) orderMove {
	switch st {
	case kakaopay.StatusSuccessPayment, kakaopay.StatusPartCancelPayment, kakaopay.StatusCancelPayment:
		return orderMove{to: AttemptApproved, paid: true}
	case kakaopay.StatusQuitPayment:
		return orderMove{to: AttemptCanceled, ending: true}
	case kakaopay.StatusFailPayment, kakaopay.StatusFailAuthPassword, kakaopay.StatusIssuedSID:
		return orderMove{to: AttemptFailed, ending: true}
	case kakaopay.StatusReady:
		return orderMove{}
	default: // SEND_TMS, OPEN_PAYMENT, SELECT_METHOD, ARS_WAITING, AUTH_PASSWORD: in the wallet
		return orderMove{to: AttemptAuthenticating}
	}
}

// walletApproved reports whether the order says the shopper approved in the wallet and
// KakaoPay waits for our approve call: only then is a pg_token worth using.
func walletApproved(st kakaopay.OrderStatus) bool { return st == kakaopay.StatusAuthPassword }

// orderSettled reports whether an order status is final.
func orderSettled(st kakaopay.OrderStatus) bool {
	m := orderMoveOf(st)
	return m.paid || m.ending
}

// needsMove reports whether a live attempt is not at status yet.
func needsMove(a *store.Attempt, to AttemptStatus) bool { return Live(a) && StatusOf(a) != to }
