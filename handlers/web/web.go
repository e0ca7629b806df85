// Package web is what kpcheckout's three HTTP surfaces (handlers/api, handlers/shop,
// handlers/dashboard) and the route table above them (handlers) share: the error type, whose
// constructors decide each answer's status, and Answer, which turns any error into its answer;
// the JSON writer; the text rule every request obeys; the pages' language, context, renderer and
// error page; the cookie sessions; the client address behind trusted proxies; the middleware and
// metrics around every request; the URLs of the shopper's pages, which the API hands out too;
// and the attempts' QR codes, which the page and the API draw once between them.
package web

// Waker is what wakes a background worker: the webhook Deliverer, when the API or a dashboard
// form queues a delivery.
type Waker interface{ Wake() }
