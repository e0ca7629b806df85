package sandbox

import "context"

type subscriptionRequest struct {
	CID            string `json:"cid"`
	SID            string `json:"sid"`
	PartnerOrderID string `json:"partner_order_id"`
	PartnerUserID  string `json:"partner_user_id"`
	ItemName       string `json:"item_name"`
	ItemCode       string `json:"item_code"`
	Quantity       int64  `json:"quantity"`
	TotalAmount    int64  `json:"total_amount"`
	TaxFreeAmount  *int64 `json:"tax_free_amount"`
	VatAmount      *int64 `json:"vat_amount"`
	Payload        string `json:"payload"`
}

func (r *subscriptionRequest) validate() error {
	err := checkAll(
		checkCID(r.CID),
		checkText("sid", r.SID, 20),
		checkText("partner_order_id", r.PartnerOrderID, 100),
		checkText("partner_user_id", r.PartnerUserID, 100),
		checkText("item_name", r.ItemName, 100),
		checkOptional("item_code", r.ItemCode, 100),
		checkOptional("payload", r.Payload, 200),
	)
	if err != nil {
		return err
	}
	return checkAmounts(r.Quantity, r.TotalAmount, 1, r.TaxFreeAmount, r.VatAmount)
}

// chargeSubscription charges an active sid with no shopper present; the answer is approve's, with a
// new tid that cancel and order accept.
func (s *Sandbox) chargeSubscription(_ context.Context, req *subscriptionRequest) (any, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, err := s.activeSubscription(req.CID, req.SID)
	switch {
	case err != nil:
		return nil, err
	case sub.partnerUserID != req.PartnerUserID:
		return nil, fail(codeMismatch, "partner_user_id differs from the one the sid was issued to")
	case req.TotalAmount == amountApproveFails:
		return nil, approvalFailure()
	}
	taxFree := *req.TaxFreeAmount
	vat := defaultVat(req.TotalAmount, taxFree)
	if req.VatAmount != nil {
		vat = *req.VatAmount
	}
	now := s.now()
	p := &payment{
		tid:            s.newTID(),
		cid:            req.CID,
		partnerOrderID: req.PartnerOrderID,
		partnerUserID:  req.PartnerUserID,
		itemName:       req.ItemName,
		itemCode:       req.ItemCode,
		quantity:       req.Quantity,
		amount:         amount{Total: req.TotalAmount, TaxFree: taxFree, Vat: vat},
		method:         sub.method,
		status:         statusSuccess,
		aid:            newID('A'),
		sid:            sub.sid,
		payload:        req.Payload,
		createdAt:      now,
		approvedAt:     now,
	}
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
