// Package webhook is kpcheckout's webhooks: it keeps merchants' endpoints
// (Endpoints) and events (Events), delivers the events from the durable outbox
// with retries (Deliverer), signs each delivery, and lets a merchant's Go code
// verify them ([Verify], which uses the standard library only).
//
// Every delivery is a POST whose raw body is signed twice, with each live
// secret of the endpoint (two during a rotation):
//
//	Kpcheckout-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=<hex>…]
//	webhook-id: <event id: the same on every retry, for deduplication>
//	webhook-timestamp: <unix seconds>
//	webhook-signature: v1,<base64 HMAC-SHA256>[ v1,<base64>…]
//
// The last three are the Standard Webhooks 1.0 headers, so any Standard
// Webhooks library verifies a delivery too.
//
// A secret looks like "whsec_" followed by the standard base64 of 32 random
// bytes (see [NewSecret]). The two signatures use it differently:
//
//   - Kpcheckout-Signature, v1: the HMAC key is the bytes of the whole secret
//     string, "whsec_" included (as Stripe does), and the signed message is
//     "<t>.<body>".
//   - webhook-signature, v1: the HMAC key is the base64-decoded part after
//     "whsec_", and the signed message is "<id>.<timestamp>.<body>", as
//     Standard Webhooks 1.0 says.
//
// So the hex after v1= can be computed in a shell, with the raw body in
// body.json (byte for byte) and t from the header:
//
//	{ printf '%s.' "$t"; cat body.json; } | openssl dgst -sha256 -hmac "$secret"
//
// A merchant reads the raw body, then calls [Verify] with the
// Kpcheckout-Signature header before parsing the JSON. Verify accepts the
// delivery if any v1 signature matches and its timestamp is within the
// tolerance, which stops old deliveries from being replayed.
package webhook
