#!/usr/bin/env bash
# The product's benchmark, measured like the peers (../shared/peers): one command, `make bench`.
#   bench/run.sh
# Per N in SIZES:
# 1. bench/seed.py N: a seeded database (cached in bench/run/, or <db>_N on PostgreSQL)
# 2. bench/probe.py: the URLs to load, and per request the SQL statements and in-process time,
#    cold (full read path) and warm (response-cache hit), with the Flask test client
# 3. per cache mode in CACHE_MODES: gunicorn as in production (2 sync workers,
#    127.0.0.1:$BENCH_PORT, wsgi:app); "cached" = default settings, "uncached" =
#    IFM_RESPONSE_CACHE_MB=0 (every request renders); worker RSS at start, after warm-up and at
#    the end; then per endpoint lib.sh's `measure` (wrk via load.sh: warm-up, RUNS x DURATION s
#    at CONNS connections and RUNS x LAT_DURATION s at LAT_CONNS, noisy runs repeated)
#    plus, cached only (ROTATE=1), two rotating cells (wrk-rotate.lua): every request another
#    list page / another item's detail, so the cache sees distinct URLs (misses once the set
#    outgrows it)
#    and the "portrait rendition" cell (bench/portrait.py: an image rendition once generated)
# 4. prints lib.sh's table and bench/report.py's side-by-side table (ratios to the peers)
# Raw lines: bench/run/product-<UTC>.txt; report: bench/run/report-<UTC>.md.
# Env: SIZES="1000 20000 100000" CACHE_MODES="cached uncached" ROTATE=1 BENCH_PORT=18100
#      BENCH_REF=<git ref> measures that commit instead of the working tree: `git archive` of it
#      into bench/run/src-<sha>/, imported first through PYTHONPATH (e.g. BENCH_REF=HEAD while
#      files are being edited, or to compare two commits)
#      DATABASE_URL (PostgreSQL: postgresql+psycopg://user@host:5432/name -> databases name_N)
#      PEERS=1 runs ../shared/peers/run.sh first (same settings, same SIZES up to 20000) and
#      compares with that run; otherwise with the peers' recorded run (bench/peers-recorded.txt)
#      DURATION=10 CONNS=32 THREADS=2 RUNS=3 WARMUP=2 LAT_CONNS=2 LAT_DURATION=5 OTHER_MAX=10
#      RETRIES=2 (see lib.sh)
#      ONLY=<regex> measures only the cells whose names match (e.g. ONLY='search|news q': the
#      search cells of bench/search.py), without the 304, rotating cells and probe queries
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"        # DURATION CONNS THREADS RUNS WARMUP LAT_* OTHER_MAX RETRIES, measure, print_table
SIZES="${SIZES:-1000 20000 100000}"
CACHE_MODES="${CACHE_MODES:-cached uncached}"
ROTATE="${ROTATE:-1}"
BENCH_PORT="${BENCH_PORT:-18100}"
PY="$ROOT/.venv/bin/python"
GUNICORN="$ROOT/.venv/bin/gunicorn"
RUN="$HERE/run"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RAW="$RUN/product-$STAMP.txt"
PIDF="$RUN/gunicorn.pid"
B="http://127.0.0.1:$BENCH_PORT"
mkdir -p "$RUN/media"

APP_ROOT="$ROOT"        # where wsgi.py, src/ and migrations/ of the measured code are
if [ -n "${BENCH_REF:-}" ]; then
  sha="$(git -C "$ROOT" rev-parse --short "$BENCH_REF^{commit}")"
  APP_ROOT="$RUN/src-$sha"
  if [ ! -d "$APP_ROOT" ]; then
    rm -rf "$APP_ROOT.tmp" && mkdir -p "$APP_ROOT.tmp"
    git -C "$ROOT" archive "$sha" | tar -x -C "$APP_ROOT.tmp"
    mv "$APP_ROOT.tmp" "$APP_ROOT"
  fi
  export PYTHONPATH="$APP_ROOT/src${PYTHONPATH:+:$PYTHONPATH}"
fi

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y wrk >/dev/null; }
  else
    echo "bench: wrk missing: sudo apt-get install -y wrk" >&2; exit 1
  fi
fi
[ -x "$GUNICORN" ] || { echo "bench: no $GUNICORN; run 'make install' first" >&2; exit 1; }
port_free "$BENCH_PORT" || { echo "bench: port $BENCH_PORT is in use; set BENCH_PORT" >&2; exit 1; }

stop_server() {
  [ -f "$PIDF" ] || return 0
  local pid; pid="$(cat "$PIDF")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && grep -q gunicorn "/proc/$pid/cmdline"; then
    kill -TERM "$pid"                       # the gunicorn master stops its workers
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" || true
  fi
  rm -f "$PIDF"
}
trap stop_server EXIT
trap 'exit 130' INT TERM

start_server() {  # start_server DATABASE_URL LOG [ENV=VALUE ...]
  local url="$1" log="$2"; shift 2
  (cd "$APP_ROOT" && exec env DATABASE_URL="$url" IFM_MEDIA_ROOT="$RUN/media" "$@" \
     "$GUNICORN" --workers 2 --worker-class sync --bind "127.0.0.1:$BENCH_PORT" wsgi:app) \
    > "$log" 2>&1 &
  echo $! > "$PIDF"
  for _ in $(seq 150); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$B/healthz")" = 200 ] && return 0
    kill -0 "$(cat "$PIDF")" 2>/dev/null || break
    sleep 0.2
  done
  echo "bench: gunicorn did not come up, see $log" >&2; tail -20 "$log" >&2; exit 1
}

worker_rss() {  # worker_rss CELL PHASE: one MEM line per gunicorn worker (VmRSS, kB)
  local master pid
  master="$(cat "$PIDF")"
  for pid in $(cat /proc/"$master"/task/*/children 2>/dev/null); do
    echo "MEM name=$1 phase=$2 pid=$pid rss_kb=$(awk '/^VmRSS:/{print $2}' /proc/"$pid"/status)"
  done | tee -a "$RAW"
}

warm_files() {  # warm_files URL|FILE: read a SQLite database once into the OS page cache
  # This machine's kernel pages out file pages left unread for about a minute (DAMON reclaim,
  # /sys/kernel/mm/damon): without this, a rotating cell over a database bigger than what the
  # cells before it touched reads its rows from disk, which measures the disk, not the read
  # path. A server whose database fits in RAM keeps it cached; WARM=0 skips it (cold figures).
  [ "${WARM:-1}" = 1 ] || return 0
  local file="${1#sqlite:///}"
  if [[ "$1" == postgresql* ]]; then  # the database's directory, when the server is local
    file="$("$PY" -c 'import sys, psycopg
with psycopg.connect(sys.argv[1].replace("+psycopg", ""), connect_timeout=3) as c:
    d = c.execute("SHOW data_directory").fetchone()[0]
    o = c.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
print(f"{d}/base/{o}")' "$1" 2>/dev/null)" || return 0
    [ -d "$file" ] || return 0
    find "$file" -type f -exec cat {} + > /dev/null 2>&1 || true
  else
    [ -f "$file" ] || return 0
    cat "$file" "$file-wal" > /dev/null 2>&1 || true
  fi
  echo "# page cache: read $(basename "$file") ($(du -sm "$file" | cut -f1) MB) before the next cell" >> "$RAW"
}

static_build() {  # static_build LABEL N URL: every detail (de, en) and list page, each URL once
  # (a rotating wrk run over the shuffled list; build time = URLs / req/s). The peer's same crawl
  # when its seeded database of this size is there (PEERS=1 seeds it).
  local label="$1" n="$2" url="$3" crawl="$RUN/paths-$2-crawl.txt"
  "$PY" "$HERE/probe.py" rotation --kind crawl --database-url "$url" > "$crawl"
  echo "CRAWL name=$label static build urls=$(wc -l < "$crawl")" | tee -a "$RAW"
  warm_files "$url"
  WRK_SCRIPT="$HERE/wrk-rotate.lua" WRK_PATHS="$crawl" \
    measure "$label static build" "$B" "$(head -1 "$crawl")" "$PIDF"
}

wagtail_static_build() {  # wagtail_static_build N: the same crawl against the peer, if seeded
  local n="$1" wt="${PEERS_WORKDIR:-$HOME/.cache/ifm-peers}/peers/wagtail" port=18081
  local crawl="$RUN/paths-$n-wagtail-crawl.txt" pidf="$RUN/wagtail.pid"
  [ -f "$wt/db-$n.sqlite3" ] && [ -x "$wt/.venv/bin/gunicorn" ] || return 0
  port_free "$port" || { echo "# wagtail static build skipped: port $port in use" | tee -a "$RAW"; return 0; }
  "$PY" "$HERE/wagtail_crawl.py" "$wt/db-$n.sqlite3" > "$crawl"
  (cd "$wt" && exec ./serve.sh "$port" "db-$n.sqlite3" "$pidf") > "$RUN/wagtail-crawl-$n.log" 2>&1 &
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port$(head -1 "$crawl")" && break; sleep 0.3; done
  echo "CRAWL name=wagtail N=$n static build urls=$(wc -l < "$crawl")" | tee -a "$RAW"
  warm_files "$wt/db-$n.sqlite3"
  WRK_SCRIPT="$HERE/wrk-rotate.lua" WRK_PATHS="$crawl" \
    measure "wagtail N=$n static build" "http://127.0.0.1:$port" "$(head -1 "$crawl")" "$pidf"
  kill -TERM "$(cat "$pidf")" 2>/dev/null || true
  for _ in $(seq 50); do port_free "$port" && break; sleep 0.2; done
}

while_writing() {  # while_writing LABEL URL: list p1 and rotating details while an editor
  # PATCHes and publishes one item per second (bench/editor.py, which also checks that a read
  # after each write's 2xx shows it: its EDITOR line)
  local label="$1" url="$2" secs
  secs=$(( WARMUP * 2 + RUNS * DURATION * 2 + (LAT_CONNS > 0 ? RUNS * LAT_DURATION * 2 : 0) + 10 ))
  IFM_MEDIA_ROOT="$RUN/media" "$PY" "$HERE/editor.py" --database-url "$url" --base "$B" \
    --seconds "$secs" --label "$label while writing" > "$RUN/editor.out" 2>"$RUN/editor.err" &
  local editor=$!
  warm_files "$url"
  sleep 2
  measure "$label list p1 while writing" "$B" "${paths[0]}" "$PIDF"
  warm_files "$url"
  WRK_SCRIPT="$HERE/wrk-rotate.lua" WRK_PATHS="$RUN/paths-$N-detail.txt" \
    measure "$label detail rotating while writing" "$B" "$(head -1 "$RUN/paths-$N-detail.txt")" "$PIDF"
  kill -TERM "$editor" 2>/dev/null || true
  wait "$editor" 2>/dev/null || true
  grep '^EDITOR ' "$RUN/editor.out" | tee -a "$RAW" || echo "# editor: no result ($(tail -1 "$RUN/editor.err"))" | tee -a "$RAW"
}

PEERS_RAW="$HERE/peers-recorded.txt"
if [ "${PEERS:-0}" = 1 ]; then
  peer_sizes="$(for n in $SIZES; do if [ "$n" -le 20000 ]; then printf '%s ' "$n"; fi; done)"
  BENCH_STAMP="$STAMP" SIZES="${peer_sizes% }" "$ROOT/../shared/peers/run.sh"
  PEERS_RAW="${PEERS_WORKDIR:-$HOME/.cache/ifm-peers}/run/peers-$STAMP.txt"
fi

{
  echo "# run-product $STAMP duration=${DURATION}s conns=$CONNS threads=$THREADS runs=$RUNS lat_conns=$LAT_CONNS lat_duration=${LAT_DURATION}s sizes=$SIZES cache_modes=$CACHE_MODES"
  echo "# versions: $("$PY" "$HERE/probe.py" versions), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  if [ -n "${BENCH_REF:-}" ]; then
    echo "# commit: $sha (BENCH_REF=$BENCH_REF, from git archive)"
  else
    echo "# commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src migrations 2>/dev/null || echo ' + uncommitted changes in src/ or migrations/')"
  fi
  echo "# machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
} | tee "$RAW"

for N in $SIZES; do
  url="$("$PY" "$HERE/seed.py" "$N" | tail -1)"
  declare -a names=() paths=()
  while IFS=$'\t' read -r name path; do names+=("$name"); paths+=("$path"); done \
    < <("$PY" "$HERE/probe.py" paths --database-url "$url")
  # a published person's 4,000 x 3,000 JPEG portrait, its 640 px WebP 1:1 crop (bench/portrait.py)
  names+=("portrait rendition")
  paths+=("$(IFM_MEDIA_ROOT="$RUN/media" "$PY" "$HERE/portrait.py" --database-url "$url")")
  # the search cells: q= with a common and a rare word (bench/search.py adds the rare items once)
  while IFS=$'\t' read -r name path; do names+=("$name"); paths+=("$path"); done \
    < <(IFM_MEDIA_ROOT="$RUN/media" "$PY" "$HERE/search.py" paths --database-url "$url")
  # the change feed: 500 changes per page, with the items and ids only (bench/changes.py)
  while IFS=$'\t' read -r name path; do names+=("$name"); paths+=("$path"); done \
    < <(IFM_MEDIA_ROOT="$RUN/media" "$PY" "$HERE/changes.py" --paths --database-url "$url")
  IFM_MEDIA_ROOT="$RUN/media" "$PY" "$HERE/search.py" inproc --database-url "$url" \
    --label "product N=$N" | tee -a "$RAW"
  [ -n "${ONLY:-}" ] || "$PY" "$HERE/probe.py" queries --database-url "$url" --label "product N=$N" \
    --base-url "$B/" | tee -a "$RAW"
  for mode in $CACHE_MODES; do
    case "$mode" in
      cached) extra=(); label="product N=$N" ;;
      uncached) extra=(IFM_RESPONSE_CACHE_MB=0); label="product N=$N uncached" ;;
      *) echo "bench: unknown cache mode $mode (cached, uncached)" >&2; exit 2 ;;
    esac
    start_server "$url" "$RUN/gunicorn-$N-$mode.log" "${extra[@]}"
    worker_rss "$label" start
    for path in "${paths[@]}"; do
      for _ in 1 2 3 4; do curl -s -o /dev/null "$B$path"; done
    done
    worker_rss "$label" warm
    for i in "${!names[@]}"; do
      [ -z "${ONLY:-}" ] || [[ "${names[$i]}" =~ $ONLY ]] || continue
      status="$(curl -s -o /dev/null -w '%{http_code}' "$B${paths[$i]}")"
      if [ "$status" != 200 ]; then
        echo "# skipped: $label ${names[$i]} ${paths[$i]} answers $status" | tee -a "$RAW"
        continue
      fi
      measure "$label ${names[$i]}" "$B" "${paths[$i]}" "$PIDF"
    done
    etag="$(curl -s -D - -o /dev/null "$B${paths[0]}" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')"
    [ -n "${ONLY:-}" ] || WRK_HEADER="If-None-Match: $etag" measure "$label ${names[0]} 304" "$B" "${paths[0]}" "$PIDF"
    if [ "$ROTATE" = 1 ] && [ -z "${ONLY:-}" ]; then
      worker_rss "$label" cells
      for kind in list detail; do
        "$PY" "$HERE/probe.py" rotation --kind "$kind" --database-url "$url" > "$RUN/paths-$N-$kind.txt"
        warm_files "$url"
        WRK_SCRIPT="$HERE/wrk-rotate.lua" WRK_PATHS="$RUN/paths-$N-$kind.txt" \
          measure "$label $kind rotating" "$B" "$(head -1 "$RUN/paths-$N-$kind.txt")" "$PIDF"
      done
      static_build "$label" "$N" "$url"
      while_writing "$label" "$url"
    fi
    worker_rss "$label" end
    stop_server
  done
  if [ "$ROTATE" = 1 ] && [ -z "${ONLY:-}" ]; then wagtail_static_build "$N"; fi
done

print_table "$RAW"
"$PY" "$HERE/report.py" "$RAW" "$PEERS_RAW" | tee "$RUN/report-$STAMP.md"
echo "raw: bench/run/product-$STAMP.txt  report: bench/run/report-$STAMP.md"
