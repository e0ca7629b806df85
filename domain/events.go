package domain

import (
	"time"

	"github.com/kpcheckout/kpcheckout/store"
)

// NewEvent builds the event row of a state change, written in the change's transaction; nil
// data is an empty object.
func NewEvent(merchantID, typ, checkoutID, objectID string, data []byte, now time.Time) *store.Event {
	if data == nil {
		data = []byte("{}")
	}
	return &store.Event{ID: NewID("evt"), MerchantID: merchantID, Type: typ, CheckoutID: checkoutID,
		ObjectID: objectID, Data: data, CreatedAt: now}
}
