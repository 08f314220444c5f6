#!/usr/bin/env bash
# Called by `scripts/run.sh --check` once the hub (on $2) and the centres C001 ($2+1) and C002
# ($2+2) are up with demo data: proves that the run command's system works end to end.
# The hub is on SQLite, or on SQL Server when run.sh passes RUN_CHECK_HUB_DATABASE_URL.
#   1. both centres deliver their whole outbox to the hub (backlog 0, a successful delivery);
#   2. for each centre, the hub's figures equal the centre's own, byte for byte, for every
#      measure broken down by fiscal year, month, site, function, sex, age band, group, care
#      level and household, with totals;
#   3. the README's curl example on C001, and the registration reaching the hub;
#   4. the duplicate hint offers C001's new person to staff at C002;
#   5. a period lock made on the hub reaches C001 (not C002), and so does its unlock;
#   6. on the hub, the municipality sees both its centres and C001's account sees C001 only.
# Exits non-zero, saying what differed, on the first failure.
set -euo pipefail

base="$1"
port_base="$2"
hub="http://127.0.0.1:${port_base}"
c001="http://127.0.0.1:$((port_base + 1))"
c002="http://127.0.0.1:$((port_base + 2))"

log() { printf 'run --check: %s\n' "$*" >&2; }
fail() {
    log "FAILED: $*"
    for node in hub c001 c002; do
        log "--- end of ${base}/${node}/attaka.log"
        tail -n 15 "${base}/${node}/attaka.log" >&2 || true
    done
    exit 1
}

# The access token of a demo account (the passwords `attaka demo` prints).
login() {
    local url="$1" username="$2" password="$3" body
    body="$(curl -fsS -X POST -H 'Content-Type: application/json' \
        -d "{\"username\":\"${username}\",\"password\":\"${password}\"}" "${url}/api/v1/auth/login")" ||
        fail "login as ${username} at ${url}"
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"${body}"
}

# GET with a bearer token; on an error status prints the problem body and fails.
get() {
    local token="$1" target="$2" out code
    out="$(mktemp)"
    code="$(curl -sS -o "${out}" -w '%{http_code}' -H "Authorization: Bearer ${token}" "${target}")" || code=000
    if [[ "${code}" != 200 ]]; then
        log "GET ${target} answered ${code}: $(head -c 600 "${out}")"
        rm -f "${out}"
        return 1
    fi
    cat "${out}"
    rm -f "${out}"
}

# Waits until the centre's outbox is empty and at least one delivery succeeded.
wait_delivered() {
    local name="$1" url="$2" token="$3" status=""
    for _ in $(seq 1 300); do
        status="$(get "${token}" "${url}/api/v1/sync/status")" || fail "sync status of ${name}"
        if grep -q '"backlog":0[,}]' <<<"${status}" && grep -q '"last_success_at":"' <<<"${status}"; then
            log "${name}: outbox delivered to the hub"
            return 0
        fi
        sleep 0.5
    done
    fail "${name} did not deliver its outbox within 150 s: ${status}"
}

today="$(date +%F)"
# From the April two fiscal years back (the demo's activities start a fiscal year back): a
# longer span would pass stats.max_cells with the month as a row dimension.
year="$(date +%Y)" month="$(date +%-m)"
first_fy=$((month >= 4 ? year - 2 : year - 3))
span="from=${first_fy}-04-01&to=${today}&totals=true&format=csv&labels=code&encoding=utf-8"
# What was done, by everything it can be broken down by; the registry (people registered, new
# registrations) by what a person has. A request may have at most stats.max_row_dimensions (4)
# rows, so every dimension is covered by several tables, each with the month.
activity_measures="measures=participations,unique_persons,activities,open_days,visits,consultations,referrals"
registry_measures="measures=new_registrations,registered_persons,unique_persons"
queries=(
    "${activity_measures}&rows=fiscal_year,month,site,function&${span}"
    "${activity_measures}&rows=month,sex,age_band,group&${span}"
    "${activity_measures}&rows=month,function,care_level,household&${span}"
    "${registry_measures}&rows=month,sex,age_band,group&${span}"
    "${registry_measures}&rows=month,group,care_level,household&${span}"
)

# Compares a centre's own figures with the hub's for that centre.
compare() {
    local name="$1" center_table="$2" hub_table="$3" lines
    lines="$(wc -l <<<"${center_table}")"
    if ((lines < 50)); then
        fail "${name}: the centre's figures have only ${lines} lines; the demo data is missing"
    fi
    if [[ "${center_table}" != "${hub_table}" ]]; then
        diff <(printf '%s\n' "${center_table}") <(printf '%s\n' "${hub_table}") | head -n 20 >&2 || true
        fail "${name}: the hub's figures differ from the centre's (diff above: < centre, > hub)"
    fi
    log "${name}: the hub's figures equal the centre's (${lines} CSV lines, every measure)"
}

c001_staff="$(login "${c001}" staff demo-staff-2024)"
c002_staff="$(login "${c002}" staff demo-staff-2024)"
hub_staff="$(login "${hub}" staff demo-staff-2024)"
hub_pref="$(login "${hub}" pref demo-pref-2024)"
hub_city="$(login "${hub}" kochi-city demo-city-2024)"

wait_delivered C001 "${c001}" "${c001_staff}"
wait_delivered C002 "${c002}" "${c002_staff}"

for query in "${queries[@]}"; do
    centre="$(get "${c001_staff}" "${c001}/api/v1/stats?${query}")" || fail "C001's figures on C001"
    on_hub="$(get "${hub_staff}" "${hub}/api/v1/stats?${query}")" || fail "C001's figures on the hub"
    compare C001 "${centre}" "${on_hub}"
    centre="$(get "${c002_staff}" "${c002}/api/v1/stats?${query}")" || fail "C002's figures on C002"
    on_hub="$(get "${hub_pref}" "${hub}/api/v1/stats?${query}&filter=center:C002")" || fail "C002's figures on the hub"
    compare C002 "${centre}" "${on_hub}"
done

# The README's curl example on C001: register someone with kana in half-width katakana, find
# them by hiragana, read them back; then the registration reaches the hub like everything else.
person="$(curl -sS -X POST "${c001}/api/v1/persons" -H "Authorization: Bearer ${c001_staff}" \
    -H 'Content-Type: application/json' -d '{
    "family_name": "山本", "given_name": "花子", "family_kana": "ﾔﾏﾓﾄ", "given_kana": "ﾊﾅｺ",
    "birth_date": "1948-05-01", "sex": "F", "residence_municipality": "392014",
    "categories": ["elderly"], "care_level": "shien1", "household": "alone",
    "registered_on": "2024-04-01"}')" || fail "registering a person on C001"
id="$(sed -n 's/.*"common_id":"\([^"]*\)".*/\1/p' <<<"${person}")"
[[ "${id}" =~ ^C001-[0-9]{6}-[0-9]$ ]] || fail "registering a person on C001 answered: ${person}"
found="$(curl -fsS -G "${c001}/api/v1/persons" -H "Authorization: Bearer ${c001_staff}" \
    --data-urlencode 'q=やまもと はなこ')" || fail "searching C001 by hiragana"
grep -q "\"${id}\"" <<<"${found}" || fail "searching by hiragana did not find ${id}: ${found}"
back="$(get "${c001_staff}" "${c001}/api/v1/persons/${id}")" || fail "reading ${id} back"
grep -q '"family_kana":"ヤマモト"' <<<"${back}" || fail "${id} read back without its kana: ${back}"
log "C001: registered ${id} with half-width kana, found by hiragana, read back"
wait_delivered C001 "${c001}" "${c001_staff}"
centre="$(get "${c001_staff}" "${c001}/api/v1/stats?${queries[1]}")" || fail "C001's registry figures"
on_hub="$(get "${hub_staff}" "${hub}/api/v1/stats?${queries[1]}")" || fail "C001's registry figures on the hub"
compare "C001 after the registration" "${centre}" "${on_hub}"
# The duplicate hint: staff at C002 about to register やまもと はなこ born 1948-05-01 are told
# she may already be C001's ${id}.
hint="$(curl -fsS -X POST "${c002}/api/v1/persons/duplicate-hints" -H "Authorization: Bearer ${c002_staff}" \
    -H 'Content-Type: application/json' \
    -d '{"family_kana":"やまもと","given_kana":"はなこ","birth_date":"1948-05-01"}')" ||
    fail "asking C002 for a duplicate hint"
grep -q '"status":"checked"' <<<"${hint}" && grep -q "\"common_id\":\"${id}\"" <<<"${hint}" ||
    fail "C002 was not offered ${id}: ${hint}"
log "C002: the duplicate hint offers C001's ${id} for the same kana and birth date"
if [[ -n "${RUN_CHECK_HUB_DATABASE_URL:-}" ]]; then
    # The hub on SQL Server (run.sh with ATTAKA_TEST_MSSQL_URL): every cell of every table.
    scan() {
        local rc=0
        ATTAKA_HUB_DATABASE_URL="${RUN_CHECK_HUB_DATABASE_URL}" \
            "${CARGO_TARGET_DIR:-$(pwd)/target}/debug/examples/hub_test_database" scan "$@" >/dev/null || rc=$?
        [[ "${rc}" == 0 || "${rc}" == 1 ]] || fail "could not read the hub's SQL Server tables"
        return "${rc}"
    }
    # First what must be there (the centre's code), so that finding nothing below means something.
    scan C001 && fail "the scan of the hub's SQL Server tables does not find C001"
    scan 山本 ヤマモト やまもと ﾔﾏﾓﾄ || fail "the hub's SQL Server database holds the new person's name or kana"
    log "the hub's SQL Server tables hold neither the name nor the kana"
else
    grep -q '山本\|ヤマモト\|やまもと' "${base}/hub/attaka.sqlite3" "${base}/hub/attaka.sqlite3-wal" 2>/dev/null &&
        fail "the hub's database file holds the new person's name or kana"
    log "the hub's database files hold neither the name nor the kana"
fi

# A period lock the prefecture makes on the hub reaches the centre it names (and no other), and
# its unlock follows.
lock="$(curl -sS -X POST "${hub}/api/v1/period-locks" -H "Authorization: Bearer ${hub_pref}" \
    -H 'Content-Type: application/json' -d '{"scope":{"level":"center","code":"C001"},"period":"FY2015"}')" ||
    fail "locking FY2015 for C001 on the hub"
lock_id="$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' <<<"${lock}")"
[[ -n "${lock_id}" ]] || fail "locking FY2015 for C001 on the hub answered: ${lock}"
wait_lock() {
    local name="$1" url="$2" token="$3" want="$4" locks=""
    for _ in $(seq 1 60); do
        locks="$(get "${token}" "${url}/api/v1/period-locks")" || fail "period locks of ${name}"
        if [[ "${want}" == present ]] && grep -q "\"hub_lock_id\":${lock_id}[,}]" <<<"${locks}"; then
            return 0
        fi
        if [[ "${want}" == absent ]] && ! grep -q "\"hub_lock_id\":${lock_id}[,}]" <<<"${locks}"; then
            return 0
        fi
        sleep 0.5
    done
    fail "${name}: the hub's lock ${lock_id} is not ${want} after 30 s: ${locks}"
}
wait_lock C001 "${c001}" "${c001_staff}" present
log "C001: the hub's lock of FY2015 arrived"
sleep 6 # longer than the centres' locks_interval_ms: C002 has pulled since the lock was made
if grep -q "\"hub_lock_id\":${lock_id}[,}]" <<<"$(get "${c002_staff}" "${c002}/api/v1/period-locks")"; then
    fail "C002 received the lock made for C001"
fi
get "${hub_pref}" "${hub}/api/v1/period-locks" >/dev/null || fail "listing locks on the hub"
curl -fsS -X POST "${hub}/api/v1/period-locks/${lock_id}/unlock" -H "Authorization: Bearer ${hub_pref}" >/dev/null ||
    fail "unlocking ${lock_id} on the hub"
wait_lock C001 "${c001}" "${c001_staff}" absent
log "C001: the hub's unlock arrived; C002 never had the lock"

# Scope on the hub: 高知市 (392014) holds both demo centres; the hub's centre account of C001
# reads C001 only, and asking for C002 gets it nothing.
by_center="period=FY2025&measures=participations&rows=center&format=csv&labels=code"
city="$(get "${hub_city}" "${hub}/api/v1/stats?${by_center}")" || fail "kochi-city reading figures on the hub"
grep -q '^C001,' <<<"${city}" && grep -q '^C002,' <<<"${city}" ||
    fail "kochi-city does not see both of its centres: ${city}"
own="$(get "${hub_staff}" "${hub}/api/v1/stats?${by_center}")" || fail "C001's account reading figures on the hub"
grep -q '^C001,' <<<"${own}" || fail "C001's account sees no figures for C001 on the hub: ${own}"
if grep -q '^C002,' <<<"${own}"; then
    fail "C001's account sees C002's figures on the hub"
fi
code="$(curl -sS -o /tmp/attaka-run-check-body.$$ -w '%{http_code}' -H "Authorization: Bearer ${hub_staff}" \
    "${hub}/api/v1/stats?${by_center}&filter=center:C002")"
body="$(cat /tmp/attaka-run-check-body.$$)"
rm -f /tmp/attaka-run-check-body.$$
case "${code}" in
    403 | 404) log "C001's account asking the hub for C002: ${code}" ;;
    200)
        if grep -q '^C002,' <<<"${body}"; then
            fail "C001's account filtering for C002 on the hub got its figures"
        fi
        log "C001's account asking the hub for C002: an empty table"
        ;;
    *) fail "C001's account asking the hub for C002 answered ${code}: ${body}" ;;
esac

log "passed: two centres delivered to the hub, the hub's figures equal each centre's, scopes hold"
