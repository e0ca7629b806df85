// Package domain is what kpcheckout's services share, whatever their aggregate (checkout,
// payments, links, accounts, webhook endpoints): the Error a merchant or shopper is told, with
// its Kind; identifiers; the Clock; Idempotency-Key reservations and their binding to the object
// a request creates; leases, which let one instance over a shared database do a piece of work;
// the ownership rule of a merchant's reads; and the text rules every service applies. It knows
// nothing of HTTP.
package domain
