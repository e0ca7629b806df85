package checkout

import (
	"context"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/store"
)

// A checkout opened from a payment link (package links) is paid only while its link allows
// another payment: a one-time link once, a link with max_uses that many times. Its checkouts
// are checked here, where they are paid, against the link's cap (linkCap, status.go).

// CodeLinkUsedUp is the failure code of an attempt whose approval came after its link was paid
// as many times as it allows: KakaoPay's approve is never called for it, so nothing is charged.
const CodeLinkUsedUp = "LINK_USED_UP"

// LinkUsedUpError refuses a checkout, or a payment, of a link paid as often as it allows.
func LinkUsedUpError() *domain.Error {
	return domain.Conflict("link_used_up", "this payment link has been used")
}

// linkFull reports whether the link c was opened from (if any) allows no payment besides those
// it had: it counts the link's paid checkouts, and with claims also its other checkouts whose
// approval is being confirmed. Read through r: a transaction's when the answer must hold until
// it commits.
func linkFull(ctx context.Context, r store.LinkReader, c *store.Checkout, claims bool) (bool, error) {
	if c.LinkID == "" {
		return false, nil
	}
	l, err := r.Link(ctx, c.LinkID)
	if err != nil || linkCap(l) == 0 {
		return false, err
	}
	var n int
	if claims {
		n, err = r.LinkUses(ctx, l.ID, c.ID)
	} else {
		n, err = r.LinkPaidCount(ctx, l.ID)
	}
	return n >= linkCap(l), err
}
