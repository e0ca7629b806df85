package webhook

import "github.com/kpcheckout/kpcheckout/store"

// A delivery is pending until it succeeds or, tried for the retry window (or its endpoint
// gone), fails; the Deliverer moves it (Deliverer.record). While its endpoint is disabled a
// pending delivery waits and is not tried. What the rest of kpcheckout asks about a delivery's
// status is answered here.

// pending reports whether d is still to be delivered.
func pending(d *store.Delivery) bool { return d.Status == store.DeliveryPending }

// failed reports whether d ended without being delivered.
func failed(d *store.Delivery) bool { return d.Status == store.DeliveryFailed }

// Retrying reports whether the delivery is pending and will be tried at its NextAttemptAt: not
// waiting for its disabled endpoint.
func (d *Delivery) Retrying() bool { return pending(d.Delivery) && !d.Waiting }
