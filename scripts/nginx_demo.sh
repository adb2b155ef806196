#!/usr/bin/env bash
# Two dashboard processes behind nginx with sticky sessions, on this machine's loopback, checked end to end.
#
#   scripts/nginx_demo.sh [--keep] [--no-browser]
#
# The nginx configuration is the one in docs/scale.md (the ```nginx block after the "nginx-demo" marker), taken
# from there and changed only where a loopback demo must differ: listen addresses and ports, the self-signed
# certificate's paths, the backend ports, and the X-Upstream diagnosis header switched on. Steps:
#   1. apt-get install nginx when it is missing (as root), a self-signed certificate for 127.0.0.1;
#   2. two Streamlit processes on 127.0.0.1:8601 and :8602 (base path /cockpit, the same WEIBAO_COOKIE_KEY, one
#      auth store), on WEIBAO_DB_URL or var/weibao.sqlite (a demo is built into the work folder when neither exists);
#   3. nginx on https://127.0.0.1:8443 (and http://127.0.0.1:8080 redirecting), own prefix, pid and logs;
#   4. checks with curl: health through nginx, the route cookie, the same cookie always reaching the same process,
#      fresh browsers spread over both, /_stcore/metrics blocked, the WebSocket upgrade, HSTS, and failover;
#      then (unless --no-browser, when chromium is installed) scripts/nginx_demo.py logs in in chromium through
#      nginx and checks that a reload keeps the login and the process, and that killing that process keeps the login;
#   5. stops what it started (unless --keep) and exits 0 when every check passed, 1 otherwise.
# Environment: WORK (default /tmp/weibao-nginx-demo), HTTPS_PORT 8443, HTTP_PORT 8080, PORT_A 8601, PORT_B 8602.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
WORK="${WORK:-/tmp/weibao-nginx-demo}"
HTTPS_PORT="${HTTPS_PORT:-8443}"
HTTP_PORT="${HTTP_PORT:-8080}"
PORT_A="${PORT_A:-8601}"
PORT_B="${PORT_B:-8602}"
PY="$ROOT/.venv/bin/python"
KEEP=0
BROWSER=1
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=1 ;;
    --no-browser) BROWSER=0 ;;
    *) echo "用法：scripts/nginx_demo.sh [--keep] [--no-browser]" >&2; exit 2 ;;
  esac
done

FAILED=0
say() { printf '%s\n' "$*"; }
ok() { printf '  通过  %s\n' "$*"; }
bad() { printf '  失败  %s\n' "$*"; FAILED=1; }
die() { printf '错误：%s\n' "$*" >&2; exit 1; }

[ -x "$PY" ] || die "没有 .venv：先运行 make install"
command -v curl >/dev/null || die "需要 curl（apt-get install curl）"
command -v openssl >/dev/null || die "需要 openssl（apt-get install openssl）"

# ------------------------------------------------------------------ 1. nginx and a certificate
if ! command -v nginx >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "没有 nginx，且不是 root：apt-get install nginx"
  say "安装 nginx（apt-get）"
  apt-get update -qq
  # policy-rc.d / no init here: the package's own service is not started; this demo runs its own nginx.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi
say "nginx：$(nginx -v 2>&1)"

mkdir -p "$WORK/tls" "$WORK/tmp" "$WORK/logs"
if [ ! -s "$WORK/tls/weibao.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$WORK/tls/weibao.key" -out "$WORK/tls/weibao.crt" 2>/dev/null
  chmod 600 "$WORK/tls/weibao.key"
fi

# ------------------------------------------------------------------ 2. two dashboard processes
PIDS=()
NGINX_CONF="$WORK/nginx.conf"
cleanup() {
  if [ "$KEEP" = 1 ]; then
    say "--keep：保留运行。停止：kill ${PIDS[*]:-}; nginx -p $WORK -c $NGINX_CONF -s quit"
    return
  fi
  [ -s "$WORK/nginx.pid" ] && nginx -p "$WORK" -c "$NGINX_CONF" -s quit 2>/dev/null || true
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

for port in "$PORT_A" "$PORT_B" "$HTTPS_PORT" "$HTTP_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then die "端口 $port 已被占用（设 PORT_A/PORT_B/HTTPS_PORT/HTTP_PORT 换一个）"; fi
done

if [ -n "${WEIBAO_DB_URL:-}" ]; then
  DB="$WEIBAO_DB_URL"
elif [ -s "$ROOT/var/weibao.sqlite" ]; then
  DB="sqlite:///$ROOT/var/weibao.sqlite"
else
  DB="sqlite:///$WORK/demo.sqlite"
  [ -s "$WORK/demo.sqlite" ] || { say "生成演示数据到 $WORK/demo.sqlite"; "$PY" -m data.demo --db "$DB" --if-empty; }
fi
export WEIBAO_DB_URL="$DB"
export WEIBAO_AUTH_URL="${WEIBAO_AUTH_URL:-sqlite:///$WORK/auth.sqlite}"   # one auth store for both processes
export WEIBAO_COOKIE_KEY="${WEIBAO_COOKIE_KEY:-$(openssl rand -hex 32)}"   # the same key in both processes
say "数据库：$WEIBAO_DB_URL；登录库：$WEIBAO_AUTH_URL"

for port in "$PORT_A" "$PORT_B"; do
  "$PY" -m dashboard --server.port "$port" --server.address 127.0.0.1 \
    --server.baseUrlPath cockpit --server.headless true >"$WORK/logs/streamlit-$port.log" 2>&1 &
  PIDS+=("$!")
  say "看板进程 127.0.0.1:$port，pid $!"
done
for port in "$PORT_A" "$PORT_B"; do
  for _ in $(seq 1 120); do
    [ "$(curl -s "http://127.0.0.1:$port/cockpit/_stcore/health" || true)" = ok ] && break
    sleep 1
  done
  [ "$(curl -s "http://127.0.0.1:$port/cockpit/_stcore/health" || true)" = ok ] \
    || die "看板 $port 没有启动，见 $WORK/logs/streamlit-$port.log"
done

# ------------------------------------------------------------------ 3. nginx with the documented configuration
BLOCK="$(awk '/nginx-demo: tested by scripts\/nginx_demo.sh/ {m=1} m && /^```nginx/ {f=1; next} f && /^```/ {exit} f {print}' \
  docs/scale.md)"
[ -n "$BLOCK" ] || die "docs/scale.md 里找不到带 nginx-demo 标记的 nginx 配置"
printf '%s\n' "$BLOCK" | sed \
  -e "s|listen 80;|listen 127.0.0.1:$HTTP_PORT;|" \
  -e "s|listen 443 ssl http2;|listen 127.0.0.1:$HTTPS_PORT ssl http2;|" \
  -e "s|/etc/nginx/tls/|$WORK/tls/|g" \
  -e "s|server 127.0.0.1:8501 |server 127.0.0.1:$PORT_A |" \
  -e "s|server 127.0.0.1:8502 |server 127.0.0.1:$PORT_B |" \
  -e "s|# add_header X-Upstream|add_header X-Upstream|" >"$WORK/weibao.conf"
cat >"$NGINX_CONF" <<EOF
# Generated by scripts/nginx_demo.sh; the http{} part is docs/scale.md's configuration (weibao.conf).
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 512; }
http {
    log_format weibao '\$remote_addr "\$request" \$status upstream=\$upstream_addr route=\$weibao_route';
    access_log $WORK/logs/access.log weibao;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
    include $WORK/weibao.conf;
}
EOF
nginx -p "$WORK" -c "$NGINX_CONF" -t 2>&1 | sed 's/^/  nginx -t: /'
nginx -p "$WORK" -c "$NGINX_CONF"
say "nginx：https://127.0.0.1:$HTTPS_PORT/cockpit/ → 127.0.0.1:$PORT_A, 127.0.0.1:$PORT_B（配置 $WORK/weibao.conf）"
BASE="https://127.0.0.1:$HTTPS_PORT/cockpit"
sleep 0.5

# ------------------------------------------------------------------ 4. checks
# headers URL [COOKIE]: the response headers, CR stripped; the body in $WORK/body
headers() { curl -sk --http1.1 -o "$WORK/body" -D - ${2:+-H "Cookie: weibao_route=$2"} "$1" | tr -d '\r'; }
field() { awk -v f="$1" 'BEGIN {IGNORECASE = 1} tolower($0) ~ "^" tolower(f) ": " {sub(/^[^:]*: /, ""); print; exit}'; }
route_of() { sed -n 's/^[Ss]et-[Cc]ookie: weibao_route=\([^;]*\);.*/\1/p' | head -n 1; }

say "检查："
H="$(headers "$BASE/_stcore/health")"
FIRST="$(printf '%s\n' "$H" | field X-Upstream)"
ROUTE="$(printf '%s\n' "$H" | route_of)"
COOKIE_LINE="$(printf '%s\n' "$H" | grep -i '^set-cookie: weibao_route=' | head -n 1 | sed 's/^[^:]*: //')"
[ "$(head -c 2 "$WORK/body")" = ok ] && printf '%s\n' "$H" | head -n 1 | grep -q ' 200' \
  && ok "经 nginx 的 /cockpit/_stcore/health 回答 200 ok（由 $FIRST 回答）" || bad "经 nginx 的健康检查：$(head -n 1 <<<"$H")"
[ -n "$ROUTE" ] && ok "没有 cookie 的请求拿到路由 cookie：$COOKIE_LINE" || bad "没有 Set-Cookie weibao_route"
case "$COOKIE_LINE" in *Secure*HttpOnly*SameSite=Strict*) ok "路由 cookie 带 Secure、HttpOnly、SameSite=Strict" ;;
  *) bad "路由 cookie 的属性：$COOKIE_LINE" ;; esac
printf '%s\n' "$H" | field Strict-Transport-Security | grep -q max-age && ok "HSTS 头在" || bad "没有 HSTS 头"

SEEN=""
for _ in $(seq 1 30); do SEEN="$SEEN $(headers "$BASE/_stcore/health" "$ROUTE" | field X-Upstream)"; done
DISTINCT="$(tr ' ' '\n' <<<"$SEEN" | sed '/^$/d' | sort -u)"
[ "$DISTINCT" = "$FIRST" ] && ok "同一 cookie 的 30 次请求都到 $FIRST" || bad "同一 cookie 到了不同进程：$(tr '\n' ' ' <<<"$DISTINCT")"
H2="$(headers "$BASE/_stcore/health" "$ROUTE")"
[ -z "$(printf '%s\n' "$H2" | route_of)" ] && ok "已有路由 cookie 时 nginx 不再发新的" || bad "已有路由 cookie 仍发了 Set-Cookie weibao_route"
PAGE_UP="$(headers "$BASE/" "$ROUTE" | field X-Upstream)"
grep -qi '<html' "$WORK/body" && [ "$PAGE_UP" = "$FIRST" ] && ok "页面 /cockpit/ 也由 $FIRST 回答（HTML）" \
  || bad "页面 /cockpit/：$PAGE_UP"

COUNT_A=0; COUNT_B=0; STICKY=1; ROUTES=()
for _ in $(seq 1 40); do
  H="$(headers "$BASE/_stcore/health")"
  up="$(printf '%s\n' "$H" | field X-Upstream)"; r="$(printf '%s\n' "$H" | route_of)"
  ROUTES+=("$r=$up")
  case "$up" in "127.0.0.1:$PORT_A") COUNT_A=$((COUNT_A + 1)) ;; "127.0.0.1:$PORT_B") COUNT_B=$((COUNT_B + 1)) ;; esac
done
[ "$COUNT_A" -gt 0 ] && [ "$COUNT_B" -gt 0 ] && ok "40 个新浏览器分到两个进程：$PORT_A ${COUNT_A} 个，$PORT_B ${COUNT_B} 个" \
  || bad "40 个新浏览器没有分到两个进程：$PORT_A $COUNT_A，$PORT_B $COUNT_B"
for pair in "${ROUTES[@]:0:12}"; do
  r="${pair%%=*}"; want="${pair#*=}"
  for _ in 1 2 3 4 5; do [ "$(headers "$BASE/_stcore/health" "$r" | field X-Upstream)" = "$want" ] || STICKY=0; done
done
[ "$STICKY" = 1 ] && ok "12 个不同 cookie 各请求 5 次，每个都回到最初的进程" || bad "有 cookie 换了进程"

S="$(curl -sk -o /dev/null -w '%{http_code} %{redirect_url}' "$BASE")"
case "$S" in "301 https://"*/cockpit/) ok "/cockpit（无斜杠）301 到 /cockpit/（$S）" ;; *) bad "/cockpit 无斜杠：$S" ;; esac
M="$(headers "$BASE/_stcore/metrics" | head -n 1)"
DIRECT="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_A/cockpit/_stcore/metrics")"
grep -q ' 404' <<<"$M" && ok "经 nginx 的 /_stcore/metrics 是 404（进程本身回答 $DIRECT）" || bad "metrics 没有挡住：$M"
R="$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$HTTP_PORT/cockpit/")"
case "$R" in "301 https://"*) ok "http 端口 301 到 https（$R）" ;; *) bad "http 端口：$R" ;; esac

WS="$(curl -sk --http1.1 -i -N --max-time 3 -H "Cookie: weibao_route=$ROUTE" -H "Connection: Upgrade" \
  -H "Upgrade: websocket" -H "Sec-WebSocket-Version: 13" -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" \
  -H "Sec-WebSocket-Protocol: streamlit" "$BASE/_stcore/stream" 2>/dev/null | tr -d '\r' || true)"
WS_UP="$(printf '%s\n' "$WS" | field X-Upstream)"
head -n 1 <<<"$WS" | grep -q ' 101' && [ "$WS_UP" = "$FIRST" ] \
  && ok "WebSocket /_stcore/stream 经 nginx 升级成功（101），也到 $WS_UP" || bad "WebSocket 升级：$(head -n 1 <<<"$WS") $WS_UP"

if [ "$BROWSER" = 1 ] && command -v chromium >/dev/null 2>&1; then
  say "浏览器（chromium）经 nginx："
  if ! WEIBAO_DEMO_BASE="$BASE" WEIBAO_DEMO_PIDS="127.0.0.1:$PORT_A=${PIDS[0]},127.0.0.1:$PORT_B=${PIDS[1]}" \
      "$PY" scripts/nginx_demo.py; then
    FAILED=1
  fi
else
  say "（跳过浏览器检查：--no-browser 或没有 chromium）"
fi

# Failover last (the browser check may already have stopped one process): the cookie of a process that is
# gone reaches the other one.
ALIVE=()
for i in 0 1; do kill -0 "${PIDS[$i]}" 2>/dev/null && ALIVE+=("$i"); done
if [ "${#ALIVE[@]}" = 2 ]; then
  victim=0; [ "$FIRST" = "127.0.0.1:$PORT_B" ] && victim=1
  kill "${PIDS[$victim]}"; wait "${PIDS[$victim]}" 2>/dev/null || true
  H="$(headers "$BASE/_stcore/health" "$ROUTE")"
  up="$(printf '%s\n' "$H" | field X-Upstream)"
  grep -q ' 200' <<<"$(head -n 1 <<<"$H")" && [ "$(head -c 2 "$WORK/body")" = ok ] \
    && ok "停掉 $FIRST 后，同一 cookie 由另一进程回答（X-Upstream: $up）" || bad "故障转移：$(head -n 1 <<<"$H") $up"
fi
say "nginx 访问日志（最后 5 行，$WORK/logs/access.log）："
tail -n 5 "$WORK/logs/access.log" | sed 's/^/  /'

if [ "$FAILED" = 0 ]; then say "全部通过"; else say "有检查失败"; fi
exit "$FAILED"
