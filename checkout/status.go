package checkout

import (
	"fmt"
	"slices"
	"time"

	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
)

// This file is the state machine of checkouts and their KakaoPay attempts, and of what follows a
// payment (refunds, agreements, charges, the cancel of a stray approval) and of payment links:
// the statuses, the moves allowed between them, what KakaoPay's order statuses mean for an
// attempt, and every rule the rest of kpcheckout asks about a status. Nothing outside it
// compares statuses (a webhook delivery's are the outbox's: package webhook).

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

// RefundStatus is where a refund is.
type RefundStatus string

// Refund statuses.
const (
	RefundPending   RefundStatus = "pending" // asked of KakaoPay; its answer is not recorded yet
	RefundSucceeded RefundStatus = "succeeded"
	RefundFailed    RefundStatus = "failed"
)

// AgreementStatus is where a subscription's agreement is.
type AgreementStatus string

// Agreement statuses.
const (
	AgreementActive   AgreementStatus = "active"
	AgreementInactive AgreementStatus = "inactive"
)

// ChargeStatus is where a charge on an agreement is.
type ChargeStatus string

// Charge statuses.
const (
	ChargePending   ChargeStatus = "pending" // KakaoPay is being asked
	ChargeSucceeded ChargeStatus = "succeeded"
	ChargeFailed    ChargeStatus = "failed"
	ChargeUnknown   ChargeStatus = "unknown" // KakaoPay's answer never came and cannot be looked up: never charged again by itself
)

// VoidStatus is where the cancel of a stray approval at KakaoPay is (store.Attempt.VoidStatus;
// "" for an attempt that is no stray approval).
type VoidStatus string

// Void statuses.
const (
	VoidPending VoidStatus = "pending" // to be canceled at KakaoPay
	VoidDone    VoidStatus = "voided"  // canceled at KakaoPay
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
	refundMoves = machine[RefundStatus]{
		RefundPending: {RefundSucceeded, RefundFailed},
	}
	agreementMoves = machine[AgreementStatus]{
		AgreementActive: {AgreementInactive},
	}
	// An unknown charge is held, not final: an answer that comes after all still counts.
	chargeMoves = machine[ChargeStatus]{
		ChargePending: {ChargeSucceeded, ChargeFailed, ChargeUnknown},
		ChargeUnknown: {ChargeSucceeded, ChargeFailed},
	}
	voidMoves = machine[VoidStatus]{
		"":          {VoidPending},
		VoidPending: {VoidDone},
	}
)

// transition moves *status to to and sets *updated to now, or answers an error when the table
// does not allow the move: a bug, never a shopper's doing, so the transaction it happens in rolls
// back.
func transition[S ~string](m machine[S], status *string, to S, updated *time.Time, now time.Time) error {
	if from := S(*status); !slices.Contains(m[from], to) {
		return fmt.Errorf("checkout: no transition from %q to %q", from, to)
	}
	*status, *updated = string(to), now
	return nil
}

// allows reports whether the table lets status move to to.
func (m machine[S]) allows(status string, to S) bool { return slices.Contains(m[S(status)], to) }

// known reports whether s is one of the table's statuses.
func (m machine[S]) known(s S) bool {
	for from, tos := range m {
		if from == s || slices.Contains(tos, s) {
			return true
		}
	}
	return false
}

// moveCheckout moves a checkout to status at now.
func moveCheckout(c *store.Checkout, to CheckoutStatus, now time.Time) error {
	return transition(checkoutMoves, &c.Status, to, &c.UpdatedAt, now)
}

// moveAttempt moves an attempt to status at now.
func moveAttempt(a *store.Attempt, to AttemptStatus, now time.Time) error {
	return transition(attemptMoves, &a.Status, to, &a.UpdatedAt, now)
}

// MoveRefund moves a refund to status at now: a pending refund's outcome.
func MoveRefund(r *store.Refund, to RefundStatus, now time.Time) error {
	return transition(refundMoves, &r.Status, to, &r.UpdatedAt, now)
}

// MoveAgreement moves an agreement to status at now.
func MoveAgreement(a *store.Agreement, to AgreementStatus, now time.Time) error {
	return transition(agreementMoves, &a.Status, to, &a.UpdatedAt, now)
}

// MoveCharge moves a charge to status at now.
func MoveCharge(c *store.Charge, to ChargeStatus, now time.Time) error {
	return transition(chargeMoves, &c.Status, to, &c.UpdatedAt, now)
}

// moveVoid moves an attempt's cancel at KakaoPay to status at now.
func moveVoid(a *store.Attempt, to VoidStatus, now time.Time) error {
	return transition(voidMoves, &a.VoidStatus, to, &a.UpdatedAt, now)
}

// ParseCheckoutStatus reads a checkout status, as a list filter gives it.
func ParseCheckoutStatus(s string) (CheckoutStatus, bool) {
	return CheckoutStatus(s), checkoutMoves.known(CheckoutStatus(s))
}

// ParseAgreementStatus reads an agreement status, as a list filter gives it.
func ParseAgreementStatus(s string) (AgreementStatus, bool) {
	return AgreementStatus(s), agreementMoves.known(AgreementStatus(s))
}

// ParseChargeStatus reads a charge status, as a list filter gives it.
func ParseChargeStatus(s string) (ChargeStatus, bool) {
	return ChargeStatus(s), chargeMoves.known(ChargeStatus(s))
}

// AgreementStatuses lists the agreement statuses, for a list's filter.
func AgreementStatuses() []string {
	return []string{string(AgreementActive), string(AgreementInactive)}
}

// CheckoutStatuses lists the checkout statuses, open first, for a list's filter.
func CheckoutStatuses() []string {
	return []string{string(StatusOpen), string(StatusPaid), string(StatusExpired), string(StatusCanceled)}
}

// Status is the checkout's status.
func (st *State) Status() CheckoutStatus { return CheckoutStatus(st.Checkout.Status) }

// Open reports whether the checkout can still be paid.
func (st *State) Open() bool { return isOpen(st.Checkout) }

// Paid reports whether the checkout is paid.
func (st *State) Paid() bool { return isPaid(st.Checkout) }

// Expired reports whether the checkout expired unpaid.
func (st *State) Expired() bool { return st.Status() == StatusExpired }

// Canceled reports whether the checkout was canceled.
func (st *State) Canceled() bool { return st.Status() == StatusCanceled }

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

// sidOnly reports whether an order says KakaoPay issued a subscription key without taking any
// money (ISSUED_SID): such an approval has nothing to cancel but its key.
func sidOnly(st kakaopay.OrderStatus) bool { return st == kakaopay.StatusIssuedSID }

// subscriptionLive reports whether KakaoPay's status of a subscription key says it can still be
// charged; an ended key stays ended.
func subscriptionLive(st kakaopay.SubscriptionState) bool { return st == kakaopay.SubscriptionActive }

// SubscriptionEnded reports whether KakaoPay's status of a subscription key says it ended.
func SubscriptionEnded(st kakaopay.SubscriptionState) bool {
	return st == kakaopay.SubscriptionInactive
}

// orderSettled reports whether an order status is final.
func orderSettled(st kakaopay.OrderStatus) bool {
	m := orderMoveOf(st)
	return m.paid || m.ending
}

// needsMove reports whether a live attempt is not at status yet.
func needsMove(a *store.Attempt, to AttemptStatus) bool { return Live(a) && StatusOf(a) != to }

// Voiding reports whether an attempt is a stray approval still to be canceled at KakaoPay.
func Voiding(a *store.Attempt) bool { return VoidStatus(a.VoidStatus) == VoidPending }

// Voided reports whether an attempt is a stray approval canceled at KakaoPay.
func Voided(a *store.Attempt) bool { return VoidStatus(a.VoidStatus) == VoidDone }

// isStray reports whether an attempt's approval was recorded as a stray one (voiding or voided).
func isStray(a *store.Attempt) bool { return a.VoidStatus != "" }

// RefundOpen reports whether a refund was asked of KakaoPay and its answer is not recorded yet.
func RefundOpen(r *store.Refund) bool { _, ok := refundMoves[RefundStatus(r.Status)]; return ok }

// Refunded reports whether a refund's money went back to the shopper.
func Refunded(r *store.Refund) bool { return RefundStatus(r.Status) == RefundSucceeded }

// RefundRefused reports whether KakaoPay refused a refund.
func RefundRefused(r *store.Refund) bool { return RefundStatus(r.Status) == RefundFailed }

// AgreementEnded reports whether an agreement was deactivated.
func AgreementEnded(a *store.Agreement) bool {
	_, ok := agreementMoves[AgreementStatus(a.Status)]
	return !ok
}

// Deactivating reports whether an agreement's deactivation was asked and is not finished.
func Deactivating(a *store.Agreement) bool {
	return !AgreementEnded(a) && !a.DeactivateRequestedAt.IsZero()
}

// Chargeable reports whether an agreement may be charged: active, and not being deactivated.
func Chargeable(a *store.Agreement) bool {
	return !AgreementEnded(a) && a.DeactivateRequestedAt.IsZero()
}

// ChargeOpen reports whether a charge's outcome is not known: KakaoPay is being asked, or its
// answer was lost (unknown).
func ChargeOpen(c *store.Charge) bool { _, ok := chargeMoves[ChargeStatus(c.Status)]; return ok }

// ChargeHeld reports whether a charge's answer was lost: unknown, never charged again by itself.
func ChargeHeld(c *store.Charge) bool { return ChargeStatus(c.Status) == ChargeUnknown }

// ChargeRefused reports whether KakaoPay refused a charge.
func ChargeRefused(c *store.Charge) bool { return ChargeStatus(c.Status) == ChargeFailed }

// ChargeSettles reports whether an outcome to may be recorded on a charge now: a pending one
// takes any, an unknown one only KakaoPay's answer (which still counts when it comes late).
func ChargeSettles(c *store.Charge, to ChargeStatus) bool { return chargeMoves.allows(c.Status, to) }

// LinkState is whether a link's URL opens checkouts now, and if not, why.
type LinkState string

// A link's states.
const (
	LinkActive   LinkState = "active"   // it opens checkouts
	LinkInactive LinkState = "inactive" // the merchant deactivated it
	LinkExpired  LinkState = "expired"  // its expires_at has passed
	LinkUsedUp   LinkState = "used_up"  // a one-time link was paid, or max_uses checkouts were
)

// LinkStateAt is l's state at now, given how many of its checkouts were paid: deactivated
// first, then expired, then used up.
func LinkStateAt(l *store.Link, paid int, now time.Time) LinkState {
	switch {
	case !l.Active:
		return LinkInactive
	case !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt):
		return LinkExpired
	case linkCap(l) > 0 && paid >= linkCap(l):
		return LinkUsedUp
	}
	return LinkActive
}

// linkCap is how many paid checkouts l allows: 1 for a one-time link, else its max_uses (0: no
// limit).
func linkCap(l *store.Link) int {
	if !l.Reusable {
		return 1
	}
	return l.MaxUses
}
