package sandbox

import "context"

type subscriptionRequest struct {
	order
	SID     string `json:"sid"`
	Payload string `json:"payload"`
}

func (r *subscriptionRequest) validate() error {
	err := checkAll(
		checkCID(r.CID),
		checkText("sid", r.SID, 20),
		r.checkNames(),
		checkOptional("payload", r.Payload, 200),
	)
	if err != nil {
		return err
	}
	return checkAmounts(r.Quantity, r.TotalAmount, 1, r.TaxFreeAmount, r.VatAmount)
}

// chargeSubscription charges an active sid with no shopper present; the answer is approve's, with a
// new tid that cancel and order accept. The caller holds s.mu.
func (s *Sandbox) chargeSubscription(_ context.Context, req *subscriptionRequest) (any, error) {
	sub, err := s.activeSubscription(req.CID, req.SID)
	switch {
	case err != nil:
		return nil, err
	case sub.partnerUserID != req.PartnerUserID:
		return nil, fail(codeMismatch, "partner_user_id differs from the one the sid was issued to")
	case req.TotalAmount == amountApproveFails:
		return nil, approvalFailure()
	}
	now := s.now()
	p := req.payment()
	p.tid, p.aid, p.status = s.newTID(), newID('A'), statusSuccess
	p.method, p.sid, p.payload = sub.method, sub.sid, req.Payload
	p.createdAt, p.approvedAt = now, now
	if p.method == methodCard {
		p.card = newCardInfo(0)
	}
	p.actions = []action{{aid: p.aid, kind: actionPayment, at: now, amount: p.amount.Total, payload: p.payload}}
	s.payments[p.tid] = p
	sub.lastApprovedAt = now
	s.log.Info("sandbox: charged subscription", "sid", sub.sid, "tid", p.tid, "total_amount", p.amount.Total)
	return approveAnswer(p), nil
}

// activeSubscription finds an active sid of cid; the caller holds s.mu.
func (s *Sandbox) activeSubscription(cid, sid string) (*subscription, error) {
	sub, err := s.lookupSubscription(cid, sid)
	if err != nil {
		return nil, err
	}
	if !sub.active {
		return nil, fail(codeBadSID, "sid is inactive")
	}
	return sub, nil
}

// lookupSubscription finds a sid of cid; the caller holds s.mu.
func (s *Sandbox) lookupSubscription(cid, sid string) (*subscription, error) {
	sub, ok := s.subs[sid]
	if !ok || sub.cid != cid {
		return nil, fail(codeBadSID, "invalid sid")
	}
	return sub, nil
}
