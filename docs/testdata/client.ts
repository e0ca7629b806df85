// A merchant's TypeScript, type-checked against the types openapi-typescript generates from
// docs/openapi.json (api.d.ts, written beside this file by TestOpenAPITypeScriptClient), then run
// against a real kpcheckout.
import type { components, paths, webhooks } from "./api";

declare const process: { env: Record<string, string | undefined> };

type CreateCheckout = NonNullable<paths["/v1/checkouts"]["post"]["requestBody"]>["content"]["application/json"];
type Checkout = paths["/v1/checkouts"]["post"]["responses"][201]["content"]["application/json"];

// Only the fields README calls required: mode, currency, expires_in and tax_free_amount have
// defaults on the server and may be left out.
const minimal: CreateCheckout = {
  amount: 11000,
  success_url: "https://cafe.example.kr/orders/1",
  failure_url: "https://cafe.example.kr/cart",
};

// @ts-expect-error success_url is required
const noSuccessURL: CreateCheckout = { amount: 11000, failure_url: "https://cafe.example.kr/cart" };
// @ts-expect-error failure_url is required
const noFailureURL: CreateCheckout = { amount: 11000, success_url: "https://cafe.example.kr/orders/1" };
// @ts-expect-error amount is required
const noAmount: CreateCheckout = { success_url: "https://cafe.example.kr/orders/1", failure_url: "https://cafe.example.kr/cart" };
void [noSuccessURL, noFailureURL, noAmount];

// A webhook's body is an Event: its type narrows data.object to the object it carries.
type Event = components["schemas"]["Event"];
function orderOf(ev: Event): string | undefined {
  switch (ev.type) {
    case "checkout.paid": {
      const c = ev.data.object;
      const paid: number = c.payment?.amount ?? 0;
      // @ts-expect-error the checkout is data.object, not data itself
      void ev.data.metadata;
      return `${c.metadata["order_id"]} ${c.items.length} ${c.customer?.name} ${paid}`;
    }
    case "refund.succeeded":
      return `${ev.data.object.checkout} ${ev.data.object.payment} ${ev.data.object.amount}`;
    case "attempt.voided":
      return `${ev.data.object.checkout} ${ev.data.object.canceled_amount}`;
    case "webhook_endpoint.disabled":
      return ev.data.object.reason;
    case "ping": {
      // @ts-expect-error a ping concerns no checkout
      const none: string = ev.checkout;
      return none;
    }
  }
  return undefined;
}
// The webhooks section has an entry per event type, typed alike.
type PaidBody = NonNullable<webhooks["checkout.paid"]["post"]["requestBody"]>["content"]["application/json"];
const paidBody = (b: PaidBody): Record<string, string> => b.data.object.metadata;
void [orderOf, paidBody];

async function createCheckout(base: string, key: string, body: CreateCheckout): Promise<Checkout> {
  const res = await fetch(base + "/v1/checkouts", {
    method: "POST",
    headers: { Authorization: "Bearer " + key, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) {
    throw new Error(`POST /v1/checkouts: ${res.status} ${await res.text()}`);
  }
  return (await res.json()) as Checkout;
}

const c = await createCheckout(process.env.KPCHECKOUT_URL ?? "", process.env.KPCHECKOUT_API_KEY ?? "", minimal);
const status: "open" | "paid" | "expired" | "canceled" = c.status;
const seconds = (Date.parse(c.expires_at) - Date.parse(c.created_at)) / 1000;
console.log(JSON.stringify({ id: c.id, status, mode: c.mode, currency: c.currency, expires_in: seconds, tax_free_amount: c.tax_free_amount }));
