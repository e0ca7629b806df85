package checkout

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/kpcheckout/kpcheckout/domain"
	"github.com/kpcheckout/kpcheckout/kakaopay"
	"github.com/kpcheckout/kpcheckout/store"
)

// Pay starts a KakaoPay attempt for an open checkout on the given device kind, or returns the
// live one already started for that kind: a double click makes one attempt, on one instance or
// several (the checkout's start lease), and the claim in approve lets only one attempt pay.
func (s *Service) Pay(ctx context.Context, checkoutID, device string) (*store.Attempt, error) {
	a, _, err := s.start(ctx, nil, checkoutID, device, nil)
	return a, err
}

// StartAttempt is Pay for merchant m's own checkout, server to server: another merchant's
// checkout is not found. started reports whether a new attempt was made rather than the live one
// returned; key (when not nil) is bound to a new attempt in the transaction that stores it.
func (s *Service) StartAttempt(ctx context.Context, m *store.Merchant, checkoutID, device string, key *domain.Reservation) (a *store.Attempt, started bool, err error) {
	return s.start(ctx, m, checkoutID, device, key)
}

// start is Pay, for any merchant's checkout when m is nil. A ready call KakaoPay refused binds
// no key: nothing was started, and a retry tries again.
func (s *Service) start(ctx context.Context, m *store.Merchant, checkoutID, device string, key *domain.Reservation) (*store.Attempt, bool, error) {
	if device != DeviceDesktop && device != DeviceMobile {
		return nil, false, domain.Invalid("device", "device_invalid", "unknown device kind %q", device)
	}
	defer s.starting.Lock(checkoutID)()
	// Held over KakaoPay's ready call, whose client times out within approveT.
	lease := "start:" + checkoutID
	release, err := s.leases.Wait(ctx, lease, s.approveT+domain.LeaseMargin, s.approveT+domain.LeaseMargin, "payment_starting")
	if err != nil {
		return nil, false, err
	}
	recorded := false // the attempt's record gave the lease up
	defer func() {
		if !recorded {
			release()
		}
	}()
	var st *State
	if m != nil {
		st, err = s.Checkout(ctx, m, checkoutID)
	} else {
		st, err = s.State(ctx, checkoutID)
	}
	if err != nil {
		return nil, false, err
	}
	c := st.Checkout
	if !isOpen(c) {
		return nil, false, domain.Conflict("checkout_"+c.Status, "checkout is %s", c.Status)
	}
	if slices.ContainsFunc(st.Attempts, inFlight) {
		// An approval whose outcome is not known yet holds the checkout: no second one.
		return nil, false, domain.Conflict("payment_in_progress", "a payment of this checkout is being approved")
	}
	if full, err := linkFull(ctx, s.store, c, false); err != nil {
		return nil, false, wrapf("pay", err)
	} else if full {
		return nil, false, LinkUsedUpError()
	}
	now := s.clock.Now()
	for _, a := range st.Attempts {
		if a.Device == device && Live(a) && !Confirming(a) && now.Before(a.ExpiresAt) {
			return a, false, nil
		}
	}
	a := &store.Attempt{ID: domain.NewID("att"), CheckoutID: c.ID, Device: device, CreatedAt: now, UpdatedAt: now}
	a.ExpiresAt = now.Add(s.ttl)
	if c.ExpiresAt.Before(a.ExpiresAt) {
		a.ExpiresAt = c.ExpiresAt
	}
	res, err := s.kakao.Ready(ctx, kakaopay.ReadyRequest{
		Purchase: kakaopay.Purchase{CID: cidOf(st), PartnerOrderID: c.ID, PartnerUserID: c.ID,
			ItemName: s.itemName(c), Quantity: quantity(c), TotalAmount: c.Amount, TaxFreeAmount: c.TaxFreeAmount},
		ApprovalURL: s.returnURL(c.ID, a.ID, "approve"), CancelURL: s.returnURL(c.ID, a.ID, "cancel"), FailURL: s.returnURL(c.ID, a.ID, "fail"),
	})
	if err != nil {
		return nil, false, s.readyFailed(ctx, c, a, err)
	}
	a.Status, a.TID = string(AttemptReady), res.TID
	a.PCURL, a.MobileURL, a.AppURL = res.NextRedirectPCURL, res.NextRedirectMobileURL, res.NextRedirectAppURL
	a.AndroidAppScheme, a.IOSAppScheme = res.AndroidAppScheme, res.IOSAppScheme
	if err := checkKakaoURL(a.MobileURL); err != nil {
		return nil, false, s.readyFailed(ctx, c, a, err)
	}
	data := attemptData(a)
	err = domain.TransactBound(ctx, s.store, key, domain.BoundAttempt, a.ID, func(tx store.Tx) error {
		if err := tx.CreateAttempt(ctx, a); err != nil {
			return err
		}
		if err := tx.CreateEvent(ctx, domain.NewEvent(c.MerchantID, "attempt.created", c.ID, a.ID, data, now)); err != nil {
			return err
		}
		return s.leases.ReleaseIn(ctx, tx, lease)
	})
	if err != nil {
		return nil, false, wrapf("pay", err)
	}
	recorded = true
	s.changed(c.ID)
	return a, true, nil
}

// readyFailed records an attempt that KakaoPay would not start, and says why.
func (s *Service) readyFailed(ctx context.Context, c *store.Checkout, a *store.Attempt, cause error) error {
	a.Status, a.TID = string(AttemptFailed), ""
	a.FailureCode, a.FailureMessage = kakaopay.Failure(cause)
	s.log.WarnContext(ctx, "kakaopay ready failed", "checkout", c.ID, "err", cause)
	data := attemptData(a)
	err := s.store.Transact(ctx, func(tx store.Tx) error {
		if err := tx.CreateAttempt(ctx, a); err != nil {
			return err
		}
		return tx.CreateEvent(ctx, domain.NewEvent(c.MerchantID, "attempt.failed", c.ID, a.ID, data, a.CreatedAt))
	})
	if err != nil {
		return wrapf("pay", err)
	}
	s.changed(c.ID)
	return domain.Upstream("kakaopay_unavailable", "KakaoPay could not start the payment: "+a.FailureMessage, cause)
}

// checkKakaoURL makes sure a URL from KakaoPay is one a browser may be sent to.
func checkKakaoURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("kakaopay: answered an unusable redirect URL %q", raw)
	}
	return nil
}

// itemName is what KakaoPay shows the shopper, in the checkout's language (Korean unless it has
// one): the first item and how many more, or the description, or the reference (100 characters
// at most).
func (s *Service) itemName(c *store.Checkout) string {
	name := c.Description
	if len(c.Items) > 0 {
		name = c.Items[0].Name
		if more := len(c.Items) - 1; more > 0 {
			loc := i18n.NewLocalizer(s.bundle, c.Locale, "ko")
			if n, err := loc.Localize(&i18n.LocalizeConfig{MessageID: "kakaopay.item_name_more", PluralCount: more,
				TemplateData: map[string]any{"First": name, "More": more}}); err == nil {
				name = n
			}
		}
	}
	if name == "" {
		name = c.Reference
	}
	if name == "" {
		name = c.ID
	}
	return domain.Truncate(name, 100)
}

func quantity(c *store.Checkout) int {
	var n int64
	for _, it := range c.Items {
		n += it.Quantity
	}
	if n < 1 {
		return 1
	}
	return int(n)
}

// Leave ends a checkout's live attempts at the shopper's request (the page's "결제 취소"): the
// shopper goes back to the shop without paying, and the checkout stays open for another try. An
// attempt whose approval is being confirmed cannot be left: its money may already have moved.
func (s *Service) Leave(ctx context.Context, checkoutID string) (*State, error) {
	now := s.clock.Now()
	_, err := s.update(ctx, checkoutID, func(tx store.Tx) (bool, error) {
		st, err := txState(ctx, tx, checkoutID)
		if err != nil {
			return false, err
		}
		if slices.ContainsFunc(st.Attempts, Confirming) {
			return false, domain.Conflict("payment_in_progress", "the payment is being confirmed and cannot be canceled")
		}
		changed := false
		for _, a := range st.Attempts {
			if !Live(a) {
				continue
			}
			if err := s.moveAttemptIn(ctx, tx, st.Checkout, a, AttemptCanceled, codeShopperCanceled, "", now); err != nil {
				return false, err
			}
			changed = true
		}
		return changed, nil
	})
	if err != nil {
		return nil, domain.Failed("checkout", "leave", err)
	}
	return s.read(ctx, checkoutID)
}

// codeShopperCanceled is the failure code of an attempt the shopper left on our page.
const codeShopperCanceled = "SHOPPER_CANCELED"
