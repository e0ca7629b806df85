package sandbox

import "context"

type orderRequest struct {
	CID string `json:"cid"`
	TID string `json:"tid"`
}

type orderResponse struct {
	TID                   string            `json:"tid"`
	CID                   string            `json:"cid"`
	Status                string            `json:"status"`
	PartnerOrderID        string            `json:"partner_order_id"`
	PartnerUserID         string            `json:"partner_user_id"`
	PaymentMethodType     string            `json:"payment_method_type,omitempty"`
	Amount                amount            `json:"amount"`
	CanceledAmount        amount            `json:"canceled_amount"`
	CancelAvailableAmount amount            `json:"cancel_available_amount"`
	ItemName              string            `json:"item_name"`
	ItemCode              string            `json:"item_code,omitempty"`
	Quantity              int64             `json:"quantity"`
	CreatedAt             string            `json:"created_at"`
	ApprovedAt            string            `json:"approved_at,omitempty"`
	CanceledAt            string            `json:"canceled_at,omitempty"`
	SelectedCardInfo      *selectedCardInfo `json:"selected_card_info,omitempty"`
	PaymentActionDetails  []actionDetail    `json:"payment_action_details"`
	SID                   string            `json:"sid,omitempty"`
}

func (r *orderRequest) validate() error {
	return checkAll(checkCID(r.CID), checkText("tid", r.TID, 20))
}

type actionDetail struct {
	AID               string `json:"aid"`
	ApprovedAt        string `json:"approved_at"`
	Amount            int64  `json:"amount"`
	PointAmount       int64  `json:"point_amount"`
	DiscountAmount    int64  `json:"discount_amount"`
	GreenDeposit      int64  `json:"green_deposit"`
	PaymentActionType string `json:"payment_action_type"`
	Payload           string `json:"payload,omitempty"`
}

// order answers a tid's status. A tid that expired before approval keeps its last status (READY,
// OPEN_PAYMENT, …), as KakaoPay keeps it; only approve and the wallet refuse it. The caller holds
// s.mu.
func (s *Sandbox) order(_ context.Context, req *orderRequest) (any, error) {
	p, err := s.lookup(req.CID, req.TID)
	if err != nil {
		return nil, err
	}
	res := orderResponse{
		TID:                   p.tid,
		CID:                   p.cid,
		Status:                p.status,
		PartnerOrderID:        p.partnerOrderID,
		PartnerUserID:         p.partnerUserID,
		Amount:                p.amount,
		CanceledAmount:        p.canceled,
		CancelAvailableAmount: p.left(),
		ItemName:              p.itemName,
		ItemCode:              p.itemCode,
		Quantity:              p.quantity,
		CreatedAt:             formatTime(p.createdAt),
		ApprovedAt:            formatTime(p.approvedAt),
		CanceledAt:            formatTime(p.canceledAt),
		SelectedCardInfo:      p.card.selected(p.installMonth),
		PaymentActionDetails:  []actionDetail{},
		SID:                   p.sid,
	}
	if p.approved() || p.status == statusIssuedSID {
		res.PaymentMethodType = p.method
	}
	for _, a := range p.actions {
		res.PaymentActionDetails = append(res.PaymentActionDetails, actionDetail{
			AID:               a.aid,
			ApprovedAt:        formatTime(a.at),
			Amount:            a.amount,
			PaymentActionType: a.kind,
			Payload:           a.payload,
		})
	}
	return res, nil
}
