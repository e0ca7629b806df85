<?php
// A small merchant shop in plain PHP (no Composer package) that takes payment through kpcheckout:
// it creates a checkout for each order, sends the shopper to it, and learns that an order is paid
// only from kpcheckout's webhooks, verified with hash_hmac as the Standard Webhooks spec says —
// never from the shopper's return to its success_url.
//
//   KPCHECKOUT_API_KEY=sk_test_… php shop.php register             # once: registers SHOP_URL/webhooks
//   KPCHECKOUT_API_KEY=sk_test_… php -S 127.0.0.1:8083 shop.php     # http://127.0.0.1:8083
//
// Environment: KPCHECKOUT_API_KEY (required), KPCHECKOUT_URL (http://127.0.0.1:8080), SHOP_URL
// (its public URL, http://127.0.0.1:8083), SHOP_DATA (where orders and the webhook secret are
// kept, a folder in the system's temporary one), KPCHECKOUT_WEBHOOK_SECRET (instead of the one
// `register` keeps).
declare(strict_types=1);

const PRODUCTS = [
    'americano' => ['name' => '아메리카노', 'price' => 4500],
    'croissant' => ['name' => '크루아상', 'price' => 2000],
];

function env(string $name, string $default = ''): string
{
    $v = getenv($name);
    return $v === false || $v === '' ? $default : $v;
}

function kpcheckout_url(): string { return rtrim(env('KPCHECKOUT_URL', 'http://127.0.0.1:8080'), '/'); }
function shop_url(): string { return rtrim(env('SHOP_URL', 'http://127.0.0.1:8083'), '/'); }

function data_dir(): string
{
    $dir = env('SHOP_DATA', sys_get_temp_dir() . '/kpcheckout-php-shop');
    if (!is_dir($dir) && !mkdir($dir, 0700, true) && !is_dir($dir)) {
        throw new RuntimeException("cannot make $dir");
    }
    return $dir;
}

// api calls kpcheckout's API and returns the decoded JSON of a 2xx answer; any other is an error.
function api(string $method, string $path, ?array $body = null, string $idempotencyKey = ''): array
{
    $headers = ['Authorization: Bearer ' . env('KPCHECKOUT_API_KEY')];
    if ($body !== null) {
        $headers[] = 'Content-Type: application/json';
    }
    if ($idempotencyKey !== '') {
        $headers[] = 'Idempotency-Key: ' . $idempotencyKey;
    }
    $context = stream_context_create(['http' => [
        'method' => $method, 'header' => implode("\r\n", $headers), 'ignore_errors' => true, 'timeout' => 10,
        'content' => $body === null ? '' : json_encode($body, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES),
    ]]);
    $answer = @file_get_contents(kpcheckout_url() . $path, false, $context);
    $status = isset($http_response_header[0]) ? (int) explode(' ', $http_response_header[0])[1] : 0;
    if ($answer === false || $status < 200 || $status > 299) {
        throw new RuntimeException("kpcheckout $method $path: $status " . ($answer ?: 'no answer'));
    }
    return $answer === '' ? [] : json_decode($answer, true, 512, JSON_THROW_ON_ERROR);
}

// with_state runs $fn on the shop's orders and handled event ids under a lock, and keeps what it
// changed: PHP's server starts afresh for every request. A real shop keeps both in its database.
function with_state(callable $fn): mixed
{
    $f = fopen(data_dir() . '/state.json', 'c+');
    flock($f, LOCK_EX);
    try {
        $raw = stream_get_contents($f);
        $state = $raw ? json_decode($raw, true, 512, JSON_THROW_ON_ERROR) : ['orders' => [], 'seen' => []];
        $result = $fn($state);
        ftruncate($f, 0);
        rewind($f);
        fwrite($f, json_encode($state, JSON_UNESCAPED_UNICODE));
        return $result;
    } finally {
        flock($f, LOCK_UN);
        fclose($f);
    }
}

function webhook_secret(): string
{
    $file = data_dir() . '/webhook-secret';
    return env('KPCHECKOUT_WEBHOOK_SECRET', is_file($file) ? trim(file_get_contents($file)) : '');
}

// register asks for checkout.paid, .expired and .canceled at SHOP_URL/webhooks and keeps the
// endpoint's secret; endpoints left at that URL before are deleted (their secrets are gone).
function register(): void
{
    $url = shop_url() . '/webhooks';
    foreach (api('GET', '/v1/webhook_endpoints?limit=100')['data'] as $ep) {
        if ($ep['url'] === $url) {
            api('DELETE', '/v1/webhook_endpoints/' . $ep['id']);
        }
    }
    $ep = api('POST', '/v1/webhook_endpoints', ['url' => $url, 'enabled_events' => ['checkout.paid', 'checkout.expired', 'checkout.canceled']]);
    file_put_contents(data_dir() . '/webhook-secret', $ep['secret']);
    chmod(data_dir() . '/webhook-secret', 0600);
    echo "webhook endpoint {$ep['id']} registered at $url\n";
}

// verify_webhook checks a delivery as Standard Webhooks 1.0 says: the HMAC-SHA256, keyed with
// the base64-decoded secret after "whsec_", of "{webhook-id}.{webhook-timestamp}.{raw body}", in
// base64, is one of the "v1,…" signatures, and the timestamp is within 5 minutes of now. It
// returns the event, or null for a delivery to refuse.
function verify_webhook(string $secret, string $body, string $id, string $timestamp, string $signatures): ?array
{
    if (!str_starts_with($secret, 'whsec_') || $id === '' || !ctype_digit($timestamp) || abs(time() - (int) $timestamp) > 300) {
        return null;
    }
    $key = base64_decode(substr($secret, strlen('whsec_')), true);
    $expected = base64_encode(hash_hmac('sha256', "$id.$timestamp.$body", $key, true));
    foreach (explode(' ', $signatures) as $signature) {
        [$version, $value] = array_pad(explode(',', $signature, 2), 2, '');
        if ($version === 'v1' && hash_equals($expected, $value)) {
            return json_decode($body, true, 512, JSON_THROW_ON_ERROR);
        }
    }
    return null;
}

// apply moves an order on for a checkout event, once per event id (deliveries come at least
// once); its data.object is the checkout, whose reference is the order id.
function apply_event(array &$state, array $ev): void
{
    if (isset($state['seen'][$ev['id']]) || !str_starts_with($ev['type'], 'checkout.')) {
        return;
    }
    $state['seen'][$ev['id']] = true;
    $c = $ev['data']['object'] ?? [];
    $orderID = $c['reference'] ?? '';
    if (!isset($state['orders'][$orderID]) || $state['orders'][$orderID]['checkout_id'] !== $c['id']) {
        error_log("{$ev['type']} {$ev['id']} is for no order of ours");
        return;
    }
    $o = &$state['orders'][$orderID];
    if ($ev['type'] === 'checkout.paid' && $c['amount'] !== $o['amount']) {
        error_log("order {$o['id']}: paid {$c['amount']}, but the order is {$o['amount']}");
    } elseif ($ev['type'] === 'checkout.paid') {
        $o['status'] = 'paid';
        error_log("order {$o['id']} paid ({$ev['id']}): ship it");
    } elseif ($o['status'] === 'pending' && in_array($ev['type'], ['checkout.expired', 'checkout.canceled'], true)) {
        $o['status'] = $ev['type'] === 'checkout.expired' ? 'expired' : 'canceled';
        error_log("order {$o['id']} {$o['status']} ({$ev['id']})");
    }
}

function won(int $n): string { return number_format($n) . '원'; }
function h(string $s): string { return htmlspecialchars($s, ENT_QUOTES); }

function page(string $title, string $body, bool $refresh = false): void
{
    header('Content-Type: text/html; charset=utf-8');
    $meta = $refresh ? '<meta http-equiv="refresh" content="3">' : '';
    echo <<<HTML
    <!doctype html>
    <html lang="ko">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    $meta<title>{$title} · 예제 카페</title>
    <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
    table{width:100%;border-collapse:collapse}th,td{padding:.5rem 0;text-align:left;border-bottom:1px solid #ddd}.num{text-align:right}
    input{width:3.5rem;font-size:1rem}button,.button{display:inline-block;margin-top:1rem;padding:.75rem 1.25rem;font-size:1rem;border:0;border-radius:.5rem;background:#fee500;color:#191919;text-decoration:none}</style>
    </head>
    <body><main>
    $body
    </main></body>
    </html>
    HTML;
}

function show_shop(): void
{
    $rows = '';
    foreach (PRODUCTS as $id => $p) {
        $rows .= '<tr><td><label for="qty_' . $id . '">' . h($p['name']) . '</label></td><td class="num">' . won($p['price']) . '</td>'
            . '<td class="num"><input id="qty_' . $id . '" name="qty_' . $id . '" type="number" min="0" max="10" value="1" inputmode="numeric"></td></tr>';
    }
    $unpaid = isset($_GET['order']) ? '<p role="status">결제가 완료되지 않았습니다. 다시 주문해 주세요.</p>' : '';
    page('메뉴', <<<HTML
    <h1>예제 카페</h1>
    $unpaid
    <form method="post" action="/orders">
    <table><thead><tr><th scope="col">상품</th><th scope="col" class="num">가격</th><th scope="col" class="num">수량</th></tr></thead>
    <tbody>$rows</tbody></table>
    <button type="submit" data-testid="buy">카카오페이로 결제하기</button>
    </form>
    HTML);
}

// create_order makes an order of the quantities posted and a checkout for it (the order id is
// its reference, its metadata's order_id and its Idempotency-Key), and sends the shopper there.
function create_order(): void
{
    $o = ['id' => 'ord_' . bin2hex(random_bytes(8)), 'lines' => [], 'amount' => 0, 'status' => 'pending', 'checkout_id' => '', 'checkout_url' => ''];
    foreach (PRODUCTS as $id => $p) {
        $n = filter_var($_POST["qty_$id"] ?? '0', FILTER_VALIDATE_INT, ['options' => ['min_range' => 0, 'max_range' => 10]]);
        if ($n === false) {
            http_response_code(400);
            exit('수량은 0에서 10 사이여야 합니다.');
        }
        if ($n > 0) {
            $o['lines'][] = ['name' => $p['name'], 'quantity' => $n, 'unit_price' => $p['price']];
            $o['amount'] += $n * $p['price'];
        }
    }
    if (!$o['lines']) {
        http_response_code(400);
        exit('상품을 하나 이상 골라 주세요.');
    }
    with_state(function (array &$state) use ($o) { $state['orders'][$o['id']] = $o; });
    try {
        $c = api('POST', '/v1/checkouts', [
            'amount' => $o['amount'], 'reference' => $o['id'], 'items' => $o['lines'], 'metadata' => ['order_id' => $o['id']],
            'success_url' => shop_url() . '/orders/' . $o['id'], 'failure_url' => shop_url() . '/?order=' . $o['id'],
        ], $o['id']);
    } catch (RuntimeException $e) {
        error_log("order {$o['id']}: " . $e->getMessage());
        http_response_code(502);
        exit('결제를 시작하지 못했습니다. 잠시 후 다시 시도해 주세요.');
    }
    with_state(function (array &$state) use ($o, $c) {
        $state['orders'][$o['id']]['checkout_id'] = $c['id'];
        $state['orders'][$o['id']]['checkout_url'] = $c['url'];
    });
    header('Location: ' . $c['url'], true, 303);
}

const STATUS_TEXT = [
    'pending' => '<h2>결제 확인 중</h2><p>카카오페이에서 결제를 마치셨다면 곧 확인됩니다. 이 페이지는 저절로 바뀝니다.</p>',
    'paid' => '<h2>결제 완료</h2><p>결제를 확인했습니다. 주문을 준비하고 있습니다.</p>',
    'expired' => '<h2>결제 시간 만료</h2><p>결제되지 않은 채 결제 시간이 지났습니다.</p><a class="button" href="/">다시 주문하기</a>',
    'canceled' => '<h2>주문 취소</h2><p>결제되지 않은 채 주문이 취소되었습니다.</p><a class="button" href="/">다시 주문하기</a>',
];

// show_order shows the order as the webhooks left it (the ?checkout_id= kpcheckout adds proves
// nothing), refreshing itself every 3 seconds while it is pending.
function show_order(string $id): void
{
    $o = with_state(fn (array &$state) => $state['orders'][$id] ?? null);
    if ($o === null) {
        http_response_code(404);
        exit('주문을 찾을 수 없습니다.');
    }
    $rows = '';
    foreach ($o['lines'] as $l) {
        $rows .= '<tr><td>' . h($l['name']) . '</td><td class="num">' . $l['quantity'] . '</td><td class="num">' . won($l['quantity'] * $l['unit_price']) . '</td></tr>';
    }
    $back = $o['status'] === 'pending' && $o['checkout_url'] ? '<p><a href="' . h($o['checkout_url']) . '">결제 페이지로 돌아가기</a></p>' : '';
    $total = won($o['amount']);
    $status = STATUS_TEXT[$o['status']];
    page('주문', <<<HTML
    <h1>주문 {$o['id']}</h1>
    <table><thead><tr><th scope="col">상품</th><th scope="col" class="num">수량</th><th scope="col" class="num">금액</th></tr></thead>
    <tbody>$rows</tbody><tfoot><tr><th scope="row" colspan="2">합계</th><td class="num">$total</td></tr></tfoot></table>
    <div role="status" data-testid="order-status">$status$back</div>
    HTML, $o['status'] === 'pending');
}

// receive_webhook verifies the raw body before reading it, then applies the event.
function receive_webhook(): void
{
    $body = file_get_contents('php://input');
    $ev = verify_webhook(webhook_secret(), $body, $_SERVER['HTTP_WEBHOOK_ID'] ?? '', $_SERVER['HTTP_WEBHOOK_TIMESTAMP'] ?? '',
        $_SERVER['HTTP_WEBHOOK_SIGNATURE'] ?? '');
    if ($ev === null) {
        error_log('webhook refused: bad signature or timestamp');
        http_response_code(400);
        exit('bad signature');
    }
    with_state(function (array &$state) use ($ev) { apply_event($state, $ev); });
    http_response_code(204);
}

if (PHP_SAPI === 'cli') {
    if (($argv[1] ?? '') !== 'register' || env('KPCHECKOUT_API_KEY') === '') {
        fwrite(STDERR, "usage: KPCHECKOUT_API_KEY=sk_test_… php shop.php register, then php -S 127.0.0.1:8083 shop.php\n");
        exit(2);
    }
    register();
    exit(0);
}

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$method = $_SERVER['REQUEST_METHOD'];
if ($method === 'GET' && $path === '/') {
    show_shop();
} elseif ($method === 'POST' && $path === '/orders') {
    create_order();
} elseif ($method === 'GET' && preg_match('#^/orders/(ord_[0-9a-f]{16})$#', $path, $m)) {
    show_order($m[1]);
} elseif ($method === 'POST' && $path === '/webhooks') {
    receive_webhook();
} else {
    http_response_code(404);
    echo '페이지를 찾을 수 없습니다.';
}
