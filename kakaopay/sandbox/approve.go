package sandbox

import (
	"context"
	"time"
)

type approveRequest struct {
	CID            string `json:"cid"`
	TID            string `json:"tid"`
	PartnerOrderID string `json:"partner_order_id"`
	PartnerUserID  string `json:"partner_user_id"`
	PGToken        string `json:"pg_token"`
	Payload        string `json:"payload"`
	TotalAmount    *int64 `json:"total_amount"`
}

// approveResponse is the answer of approve and of a subscription charge.
type approveResponse struct {
	AID               string    `json:"aid"`
	TID               string    `json:"tid"`
	CID               string    `json:"cid"`
	SID               string    `json:"sid,omitempty"`
	PartnerOrderID    string    `json:"partner_order_id"`
	PartnerUserID     string    `json:"partner_user_id"`
	PaymentMethodType string    `json:"payment_method_type"`
	Amount            amount    `json:"amount"`
	CardInfo          *cardInfo `json:"card_info,omitempty"`
	ItemName          string    `json:"item_name"`
	ItemCode          string    `json:"item_code,omitempty"`
	Quantity          int64     `json:"quantity"`
	CreatedAt         string    `json:"created_at"`
	ApprovedAt        string    `json:"approved_at"`
	Payload           string    `json:"payload,omitempty"`
}

func (r *approveRequest) validate() error {
	return checkAll(
		checkCID(r.CID),
		checkText("tid", r.TID, 20),
		checkText("partner_order_id", r.PartnerOrderID, 100),
		checkText("partner_user_id", r.PartnerUserID, 100),
		checkText("pg_token", r.PGToken, 100),
		checkOptional("payload", r.Payload, 200),
	)
}

// approve settles a tid the shopper approved in the wallet.
func (s *Sandbox) approve(ctx context.Context, req *approveRequest) (any, error) {
	s.mu.Lock()
	p, err := s.startApproval(req)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	switch p.amount.Total {
	case amountApproveFails:
		p.status = statusFail
		s.mu.Unlock()
		return nil, approvalFailure()
	case amountApproveHangs:
		s.mu.Unlock()
		return s.approveLater(ctx, p, req.Payload)
	}
	res := s.completeApproval(p, req.Payload)
	s.mu.Unlock()
	return res, nil
}

// startApproval checks approve against the tid and spends its pg_token; the caller holds s.mu.
func (s *Sandbox) startApproval(req *approveRequest) (*payment, error) {
	p, err := s.lookup(req.CID, req.TID)
	switch {
	case err != nil:
		return nil, err
	case p.partnerOrderID != req.PartnerOrderID:
		return nil, fail(codeMismatch, "partner_order_id differs from ready")
	case p.partnerUserID != req.PartnerUserID:
		return nil, fail(codeMismatch, "partner_user_id differs from ready")
	case req.TotalAmount != nil && *req.TotalAmount != p.amount.Total:
		return nil, fail(codeMismatch, "total_amount %d differs from ready's %d", *req.TotalAmount, p.amount.Total)
	case p.status == statusFailPassword:
		return nil, passwordFailure()
	case p.status != statusAuthPassword && !p.payable():
		return nil, fail(codeAlreadyDone, "payment is already processed (%s)", p.status)
	case s.expired(p):
		return nil, fail(codeExpired, "tid has expired")
	case p.status != statusAuthPassword:
		return nil, fail(codeNotAuthenticated, "payment is not authenticated by the user yet (%s)", p.status)
	case p.tokenUsed:
		return nil, fail(codeBadToken, "pg_token has already been used")
	case req.PGToken != p.pgToken:
		return nil, fail(codeBadToken, "invalid pg_token")
	}
	p.tokenUsed = true
	return p, nil
}

// approveLater completes a 5555 payment after the delay, whether or not the client still waits:
// KakaoPay settles it regardless, and the reconciler must learn it from the order API.
func (s *Sandbox) approveLater(ctx context.Context, p *payment, payload string) (any, error) {
	done := make(chan approveResponse, 1)
	s.mu.Lock()
	s.slow[p.tid] = func() { done <- s.completeApproval(p, payload) }
	s.mu.Unlock()
	time.AfterFunc(s.delay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.finishSlow(p.tid)
	})
	select {
	case res := <-done:
		return res, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// finishSlow completes a delayed approval of tid unless it is done already; the caller holds s.mu.
func (s *Sandbox) finishSlow(tid string) bool {
	complete, ok := s.slow[tid]
	if ok {
		delete(s.slow, tid)
		complete()
	}
	return ok
}

// FinishApprovals completes every delayed (5555) approval now, as KakaoPay finishing its slow
// work, and answers how many: tests order the approval by events instead of waiting the delay.
func (s *Sandbox) FinishApprovals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for tid := range s.slow {
		if s.finishSlow(tid) {
			n++
		}
	}
	return n
}

// completeApproval records the payment as approved; the caller holds s.mu.
func (s *Sandbox) completeApproval(p *payment, payload string) approveResponse {
	now := s.now()
	p.status = statusSuccess
	p.aid = newID('A')
	p.approvedAt = now
	p.payload = payload
	if p.method == methodCard {
		p.card = newCardInfo(p.installMonth)
	}
	kind, charged := actionPayment, p.amount.Total
	if s.subCIDs[p.cid] {
		sub := &subscription{sid: newID('S'), cid: p.cid, partnerUserID: p.partnerUserID, itemName: p.itemName,
			method: p.method, active: true, createdAt: now, lastApprovedAt: now}
		if p.sidOnly {
			// Only the sid is issued: nothing is charged, so there is nothing to cancel either.
			p.status, p.card, kind, charged = statusIssuedSID, nil, actionIssuedSID, 0
			sub.lastApprovedAt = time.Time{}
		}
		s.subs[sub.sid] = sub
		p.sid = sub.sid
	}
	p.actions = append(p.actions, action{aid: p.aid, kind: kind, at: now, amount: charged, payload: payload})
	s.log.Info("sandbox: approved", "tid", p.tid, "aid", p.aid, "sid", p.sid)
	return approveAnswer(p)
}

// approvalFailure is what KakaoPay answers when the wallet cannot pay.
func approvalFailure() error {
	e := fail(codeApproveFailed, "approval failure!")
	e.extras = &extras{MethodResultCode: "INSUFFICIENT_BALANCE", MethodResultMessage: "잔액이 부족합니다."}
	return e
}

// passwordFailure is approve's answer for a tid whose password authentication failed in the wallet.
func passwordFailure() error {
	e := fail(codeApproveFailed, "approval failure! password authentication failed")
	e.extras = &extras{MethodResultCode: "AUTH_PASSWORD_FAILED", MethodResultMessage: "비밀번호 인증에 실패했습니다."}
	return e
}

// lookup finds a tid of cid; the caller holds s.mu.
func (s *Sandbox) lookup(cid, tid string) (*payment, error) {
	p, ok := s.payments[tid]
	if !ok || p.cid != cid {
		return nil, fail(codeUnknownTID, "invalid tid")
	}
	return p, nil
}

func approveAnswer(p *payment) approveResponse {
	return approveResponse{
		AID:               p.aid,
		TID:               p.tid,
		CID:               p.cid,
		SID:               p.sid,
		PartnerOrderID:    p.partnerOrderID,
		PartnerUserID:     p.partnerUserID,
		PaymentMethodType: p.method,
		Amount:            p.amount,
		CardInfo:          p.card,
		ItemName:          p.itemName,
		ItemCode:          p.itemCode,
		Quantity:          p.quantity,
		CreatedAt:         formatTime(p.createdAt),
		ApprovedAt:        formatTime(p.approvedAt),
		Payload:           p.payload,
	}
}
