// A small merchant shop in Express that takes payment through kpcheckout: it creates a checkout
// for each order, sends the shopper to it, and learns that an order is paid only from
// kpcheckout's webhooks, verified with the official Standard Webhooks package — never from the
// shopper's return to its success_url.
//
//   npm install && KPCHECKOUT_API_KEY=sk_test_… node server.js     # http://127.0.0.1:8082
//
// Environment: KPCHECKOUT_API_KEY (required), KPCHECKOUT_URL (http://127.0.0.1:8080), HOST
// (127.0.0.1), PORT (8082), SHOP_URL (its public URL, http://127.0.0.1:PORT), KPCHECKOUT_WEBHOOK_SECRET (without
// it the shop registers its own endpoint at SHOP_URL/webhooks on start and keeps the secret).
"use strict";

const crypto = require("node:crypto");
const express = require("express");
const { Webhook } = require("standardwebhooks");

const config = {
  apiKey: process.env.KPCHECKOUT_API_KEY,
  kpcheckout: (process.env.KPCHECKOUT_URL || "http://127.0.0.1:8080").replace(/\/$/, ""),
  host: process.env.HOST || "127.0.0.1",
  port: Number(process.env.PORT || 8082),
  secret: process.env.KPCHECKOUT_WEBHOOK_SECRET || "",
};
config.shopURL = (process.env.SHOP_URL || `http://127.0.0.1:${config.port}`).replace(/\/$/, "");

const products = [
  { id: "americano", name: "아메리카노", price: 4500 },
  { id: "croissant", name: "크루아상", price: 2000 },
];

// Orders and the webhook events already handled live in memory: a real shop keeps both in its
// database. An order is pending until a verified webhook says paid, expired or canceled.
const orders = new Map();
const seen = new Set();

// api calls kpcheckout's API and answers the JSON of a 2xx answer; any other is an error.
async function api(method, path, body, idempotencyKey) {
  const headers = { Authorization: `Bearer ${config.apiKey}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  const res = await fetch(config.kpcheckout + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`kpcheckout ${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// registerEndpoint asks for checkout.paid, .expired and .canceled at SHOP_URL/webhooks and answers
// the endpoint's secret; endpoints an earlier run left at that URL are deleted (their secrets
// went with that run).
async function registerEndpoint() {
  const url = `${config.shopURL}/webhooks`;
  const list = await api("GET", "/v1/webhook_endpoints?limit=100");
  for (const ep of list.data.filter((ep) => ep.url === url)) {
    await api("DELETE", `/v1/webhook_endpoints/${ep.id}`);
  }
  const ep = await api("POST", "/v1/webhook_endpoints", { url, enabled_events: ["checkout.paid", "checkout.expired", "checkout.canceled"] });
  console.log(`webhook endpoint ${ep.id} registered at ${url}`);
  return ep.secret;
}

const won = (n) => `${n.toLocaleString("ko-KR")}원`;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body, refresh) {
  return `<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh ? '<meta http-equiv="refresh" content="3">\n' : ""}<title>${esc(title)} · 예제 카페</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
table{width:100%;border-collapse:collapse}th,td{padding:.5rem 0;text-align:left;border-bottom:1px solid #ddd}.num{text-align:right}
input{width:3.5rem;font-size:1rem}button,.button{display:inline-block;margin-top:1rem;padding:.75rem 1.25rem;font-size:1rem;border:0;border-radius:.5rem;background:#fee500;color:#191919;text-decoration:none}</style>
</head>
<body><main>
${body}
</main></body>
</html>`;
}

function shopPage(unpaid) {
  const rows = products
    .map((p) => `<tr><td><label for="qty_${p.id}">${esc(p.name)}</label></td><td class="num">${won(p.price)}</td>` +
      `<td class="num"><input id="qty_${p.id}" name="qty_${p.id}" type="number" min="0" max="10" value="1" inputmode="numeric"></td></tr>`)
    .join("\n");
  return page("메뉴", `<h1>예제 카페</h1>
${unpaid ? '<p role="status">결제가 완료되지 않았습니다. 다시 주문해 주세요.</p>' : ""}
<form method="post" action="/orders">
<table><thead><tr><th scope="col">상품</th><th scope="col" class="num">가격</th><th scope="col" class="num">수량</th></tr></thead>
<tbody>${rows}</tbody></table>
<button type="submit" data-testid="buy">카카오페이로 결제하기</button>
</form>`);
}

const statusText = {
  pending: `<h2>결제 확인 중</h2><p>카카오페이에서 결제를 마치셨다면 곧 확인됩니다. 이 페이지는 저절로 바뀝니다.</p>`,
  paid: `<h2>결제 완료</h2><p>결제를 확인했습니다. 주문을 준비하고 있습니다.</p>`,
  expired: `<h2>결제 시간 만료</h2><p>결제되지 않은 채 결제 시간이 지났습니다.</p><a class="button" href="/">다시 주문하기</a>`,
  canceled: `<h2>주문 취소</h2><p>결제되지 않은 채 주문이 취소되었습니다.</p><a class="button" href="/">다시 주문하기</a>`,
};

// orderPage refreshes itself every 3 seconds while the order is pending, so the shopper sees
// the webhook's news without reloading (and without JavaScript).
function orderPage(o) {
  const rows = o.lines.map((l) => `<tr><td>${esc(l.name)}</td><td class="num">${l.quantity}</td><td class="num">${won(l.quantity * l.unit_price)}</td></tr>`).join("");
  const back = o.status === "pending" && o.checkoutURL ? `<p><a href="${esc(o.checkoutURL)}">결제 페이지로 돌아가기</a></p>` : "";
  return page("주문", `<h1>주문 ${esc(o.id)}</h1>
<table><thead><tr><th scope="col">상품</th><th scope="col" class="num">수량</th><th scope="col" class="num">금액</th></tr></thead>
<tbody>${rows}</tbody><tfoot><tr><th scope="row" colspan="2">합계</th><td class="num">${won(o.amount)}</td></tr></tfoot></table>
<div role="status" data-testid="order-status">${statusText[o.status]}${back}</div>`, o.status === "pending");
}

const app = express();

app.get("/", (req, res) => res.send(shopPage(req.query.order !== undefined)));

// POST /orders makes an order of the quantities posted and a checkout for it (the order id is
// its reference, its metadata's order_id and its Idempotency-Key), and sends the shopper there.
app.post("/orders", express.urlencoded({ extended: false }), async (req, res) => {
  const o = { id: "ord_" + crypto.randomBytes(8).toString("hex"), lines: [], amount: 0, status: "pending" };
  for (const p of products) {
    const n = Number(req.body[`qty_${p.id}`] || 0);
    if (!Number.isInteger(n) || n < 0 || n > 10) return res.status(400).send("수량은 0에서 10 사이여야 합니다.");
    if (n > 0) {
      o.lines.push({ name: p.name, quantity: n, unit_price: p.price });
      o.amount += n * p.price;
    }
  }
  if (o.lines.length === 0) return res.status(400).send("상품을 하나 이상 골라 주세요.");
  orders.set(o.id, o);
  try {
    const c = await api("POST", "/v1/checkouts", {
      amount: o.amount,
      reference: o.id,
      items: o.lines,
      metadata: { order_id: o.id },
      success_url: `${config.shopURL}/orders/${o.id}`,
      failure_url: `${config.shopURL}/?order=${o.id}`,
    }, o.id);
    o.checkoutID = c.id;
    o.checkoutURL = c.url;
    res.redirect(303, c.url);
  } catch (err) {
    console.error(`order ${o.id}: ${err.message}`);
    res.status(502).send("결제를 시작하지 못했습니다. 잠시 후 다시 시도해 주세요.");
  }
});

// GET /orders/:id shows the order as the webhooks left it: the ?checkout_id= kpcheckout adds
// when the shopper comes back proves nothing and is not read.
app.get("/orders/:id", (req, res) => {
  const o = orders.get(req.params.id);
  if (!o) return res.status(404).send("주문을 찾을 수 없습니다.");
  res.send(orderPage(o));
});

// POST /webhooks verifies the raw body against the webhook-id, webhook-timestamp and
// webhook-signature headers (and the timestamp is within 5 minutes) before reading it.
app.post("/webhooks", express.raw({ type: "*/*", limit: "1mb" }), (req, res) => {
  let ev;
  try {
    if (!config.secret) throw new Error("no secret yet");
    ev = new Webhook(config.secret).verify(req.body, req.headers);
  } catch (err) {
    console.warn(`webhook refused: ${err.message}`);
    return res.status(400).send("bad signature");
  }
  if (seen.has(ev.id)) return res.status(204).end(); // deliveries come at least once
  seen.add(ev.id);
  apply(ev);
  res.status(204).end();
});

// apply moves an order on for a checkout event; its data.object is the checkout, whose reference
// is the order id.
function apply(ev) {
  if (!ev.type.startsWith("checkout.")) return;
  const c = ev.data.object;
  const o = orders.get(c.reference);
  if (!o || o.checkoutID !== c.id) {
    console.log(`${ev.type} ${ev.id} is for no order of ours`);
  } else if (ev.type === "checkout.paid" && c.amount !== o.amount) {
    console.error(`order ${o.id}: paid ${c.amount}, but the order is ${o.amount}`);
  } else if (ev.type === "checkout.paid") {
    o.status = "paid";
    console.log(`order ${o.id} paid (${ev.id}): ship it`);
  } else if (o.status === "pending" && (ev.type === "checkout.expired" || ev.type === "checkout.canceled")) {
    o.status = ev.type === "checkout.expired" ? "expired" : "canceled";
    console.log(`order ${o.id} ${o.status} (${ev.id})`);
  }
}

// main listens first, so that the endpoint's URL answers once it is registered; until the secret
// is known every delivery is refused, and kpcheckout tries it again later.
async function main() {
  if (!config.apiKey) throw new Error("KPCHECKOUT_API_KEY is not set: use the sk_test_… key `make run` prints");
  await new Promise((resolve, reject) => app.listen(config.port, config.host, (err) => (err ? reject(err) : resolve())));
  if (!config.secret) config.secret = await registerEndpoint();
  console.log(`shop is running at ${config.shopURL} (kpcheckout ${config.kpcheckout})`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
