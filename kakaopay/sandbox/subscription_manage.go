package sandbox

import "context"

type subscriptionKey struct {
	CID string `json:"cid"`
	SID string `json:"sid"`
}

type subscriptionStatusResponse struct {
	Available         bool   `json:"available"`
	CID               string `json:"cid"`
	SID               string `json:"sid"`
	Status            string `json:"status"`
	PaymentMethodType string `json:"payment_method_type"`
	ItemName          string `json:"item_name"`
	CreatedAt         string `json:"created_at"`
	LastApprovedAt    string `json:"last_approved_at,omitempty"`
	InactivatedAt     string `json:"inactivated_at,omitempty"`
	UsePointStatus    string `json:"use_point_status"`
}

func (k *subscriptionKey) validate() error {
	return checkAll(checkCID(k.CID), checkText("sid", k.SID, 20))
}

// subscriptionStatus answers whether an sid can still be charged; the caller holds s.mu.
func (s *Sandbox) subscriptionStatus(_ context.Context, req *subscriptionKey) (any, error) {
	sub, err := s.lookupSubscription(req.CID, req.SID)
	if err != nil {
		return nil, err
	}
	return subscriptionAnswer(sub), nil
}

// inactivateSubscription ends an active sid (an inactive one is refused); the caller holds s.mu.
func (s *Sandbox) inactivateSubscription(_ context.Context, req *subscriptionKey) (any, error) {
	sub, err := s.activeSubscription(req.CID, req.SID)
	if err != nil {
		return nil, err
	}
	sub.active = false
	sub.inactivatedAt = s.now()
	s.log.Info("sandbox: inactivated subscription", "sid", sub.sid)
	return subscriptionAnswer(sub), nil
}

func subscriptionAnswer(sub *subscription) subscriptionStatusResponse {
	status := "INACTIVE"
	if sub.active {
		status = "ACTIVE"
	}
	return subscriptionStatusResponse{
		Available:         sub.active,
		CID:               sub.cid,
		SID:               sub.sid,
		Status:            status,
		PaymentMethodType: sub.method,
		ItemName:          sub.itemName,
		CreatedAt:         formatTime(sub.createdAt),
		LastApprovedAt:    formatTime(sub.lastApprovedAt),
		InactivatedAt:     formatTime(sub.inactivatedAt),
		UsePointStatus:    usePointNone,
	}
}
