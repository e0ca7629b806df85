package sandbox

import "context"

type cancelRequest struct {
	CID                   string `json:"cid"`
	TID                   string `json:"tid"`
	CancelAmount          int64  `json:"cancel_amount"`
	CancelTaxFreeAmount   *int64 `json:"cancel_tax_free_amount"`
	CancelVatAmount       *int64 `json:"cancel_vat_amount"`
	CancelAvailableAmount *int64 `json:"cancel_available_amount"`
	Payload               string `json:"payload"`
}

type cancelResponse struct {
	AID                   string `json:"aid"`
	TID                   string `json:"tid"`
	CID                   string `json:"cid"`
	Status                string `json:"status"`
	PartnerOrderID        string `json:"partner_order_id"`
	PartnerUserID         string `json:"partner_user_id"`
	PaymentMethodType     string `json:"payment_method_type"`
	Amount                amount `json:"amount"`                  // the approved payment
	ApprovedCancelAmount  amount `json:"approved_cancel_amount"`  // this cancel
	CanceledAmount        amount `json:"canceled_amount"`         // every cancel so far
	CancelAvailableAmount amount `json:"cancel_available_amount"` // what is left
	ItemName              string `json:"item_name"`
	ItemCode              string `json:"item_code,omitempty"`
	Quantity              int64  `json:"quantity"`
	CreatedAt             string `json:"created_at"`
	ApprovedAt            string `json:"approved_at"`
	CanceledAt            string `json:"canceled_at"`
	Payload               string `json:"payload,omitempty"`
}

func (r *cancelRequest) validate() error {
	err := checkAll(
		checkCID(r.CID),
		checkText("tid", r.TID, 20),
		checkOptional("payload", r.Payload, 200),
	)
	switch {
	case err != nil:
		return err
	case r.CancelAmount <= 0:
		return invalid("cancel_amount must be a positive integer")
	case r.CancelTaxFreeAmount == nil:
		return invalid("cancel_tax_free_amount is required")
	case *r.CancelTaxFreeAmount < 0 || *r.CancelTaxFreeAmount > r.CancelAmount:
		return invalid("cancel_tax_free_amount must be between 0 and cancel_amount")
	case r.CancelVatAmount != nil && (*r.CancelVatAmount < 0 || *r.CancelVatAmount > r.CancelAmount-*r.CancelTaxFreeAmount):
		return invalid("cancel_vat_amount must be between 0 and the taxable cancel amount")
	}
	return nil
}

// cancel refunds all or part of what is left of an approved tid; the caller holds s.mu.
func (s *Sandbox) cancel(_ context.Context, req *cancelRequest) (any, error) {
	p, err := s.lookup(req.CID, req.TID)
	if err != nil {
		return nil, err
	}
	left := p.left()
	this := amount{Total: req.CancelAmount, TaxFree: *req.CancelTaxFreeAmount}
	switch {
	case p.status != statusSuccess && p.status != statusPartCancel:
		return nil, cancelFailure("payment cannot be canceled (%s)", p.status)
	case req.CancelAvailableAmount != nil && *req.CancelAvailableAmount != left.Total:
		return nil, cancelFailure("cancel_available_amount %d does not match the %d left", *req.CancelAvailableAmount, left.Total)
	case this.Total > left.Total:
		return nil, cancelFailure("cancel_amount %d exceeds the %d left", this.Total, left.Total)
	case this.TaxFree > left.TaxFree:
		return nil, cancelFailure("cancel_tax_free_amount %d exceeds the %d tax-free left", this.TaxFree, left.TaxFree)
	case left.TaxFree-this.TaxFree > left.Total-this.Total:
		return nil, cancelFailure("the tax-free amount left would exceed the amount left")
	}
	switch {
	case req.CancelVatAmount != nil:
		this.Vat = *req.CancelVatAmount
	case this.Total == left.Total:
		this.Vat = left.Vat
	default:
		this.Vat = min(defaultVat(this.Total, this.TaxFree), left.Vat)
	}
	if this.Vat > left.Vat {
		return nil, cancelFailure("cancel_vat_amount %d exceeds the %d VAT left", this.Vat, left.Vat)
	}

	now := s.now()
	p.canceled = p.canceled.plus(this)
	p.canceledAt = now
	p.status = statusPartCancel
	if p.canceled.Total == p.amount.Total {
		p.status = statusCancel
	}
	aid := newID('A')
	p.actions = append(p.actions, action{aid: aid, kind: actionCancel, at: now, amount: this.Total, payload: req.Payload})
	s.log.Info("sandbox: canceled", "tid", p.tid, "cancel_amount", this.Total, "status", p.status)
	return cancelResponse{
		AID:                   aid,
		TID:                   p.tid,
		CID:                   p.cid,
		Status:                p.status,
		PartnerOrderID:        p.partnerOrderID,
		PartnerUserID:         p.partnerUserID,
		PaymentMethodType:     p.method,
		Amount:                p.amount,
		ApprovedCancelAmount:  this,
		CanceledAmount:        p.canceled,
		CancelAvailableAmount: p.left(),
		ItemName:              p.itemName,
		ItemCode:              p.itemCode,
		Quantity:              p.quantity,
		CreatedAt:             formatTime(p.createdAt),
		ApprovedAt:            formatTime(p.approvedAt),
		CanceledAt:            formatTime(now),
		Payload:               req.Payload,
	}, nil
}

func cancelFailure(format string, args ...any) error {
	return fail(codeCancelFailed, format, args...)
}
