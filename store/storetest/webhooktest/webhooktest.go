// Package webhooktest is the part of the store conformance suite (store/storetest) about
// events and the webhook outbox: endpoints, deliveries and their claims, events listed back and
// forward.
package webhooktest

import (
	"testing"

	"github.com/kpcheckout/kpcheckout/store"
)

// Cases are the suite's cases about events and webhooks, by name; storetest.Run runs them.
func Cases() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"DeliveriesByEndpoint":   testDeliveriesByEndpoint,
		"ClaimPerEndpoint":       testClaimPerEndpoint,
		"ConcurrentClaimsCap":    testConcurrentClaimsKeepTheCap,
		"DisabledEndpointsQueue": testDisabledEndpointsKeepTheirDeliveries,
		"EventsForward":          testEventsForward,
		"EventsForwardMissNone":  testEventsForwardMissNone,
		"WebhookEndpoints":       testWebhookEndpoints,
		"Deliveries":             testDeliveries,
		"Events":                 testEvents,
	}
}
