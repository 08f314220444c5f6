"""The DuckDB column of docs/benchmarks.md: the same aggregations as `attaka bench`'s questions,
in DuckDB in-process, on the same facts exported from a SQLite hub. A benchmark aid only: DuckDB
is never a dependency of Attaka. Run through bench/duckdb-side.sh (it makes the venv).

usage: python duckdb_side.py HUB.sqlite3 FISCAL_YEAR [CENTER] [RUNS]
"""

import csv
import os
import sqlite3
import statistics
import sys
import tempfile
import time

import duckdb

EXPORT = {
    "centers": "SELECT code, municipality FROM centers",
    "activities": "SELECT id, center, date, fiscal_year, function, unregistered_elderly,"
    " unregistered_disabled, unregistered_child, unregistered_other FROM activities",
    "participations": "SELECT activity_id, common_id, age_band, reporting_group FROM participations",
    "participation_categories": "SELECT activity_id, common_id, category FROM participation_categories",
}

UNREG = "(a.unregistered_elderly + a.unregistered_disabled + a.unregistered_child + a.unregistered_other)"


def load(path):
    """Exports the facts from the SQLite hub to CSV and loads them into an in-memory DuckDB."""
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con = duckdb.connect()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for table, sql in EXPORT.items():
            cur = src.execute(sql)
            file = os.path.join(tmp, f"{table}.csv")
            with open(file, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow([d[0] for d in cur.description])
                while rows := cur.fetchmany(50_000):
                    w.writerows(rows)
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{file}', header = true, all_varchar = true)")
    con.execute("ALTER TABLE activities ALTER date TYPE DATE")
    con.execute("ALTER TABLE activities ALTER fiscal_year TYPE INTEGER")
    for g in ("elderly", "disabled", "child", "other"):
        con.execute(f"ALTER TABLE activities ALTER unregistered_{g} TYPE INTEGER")
    return con, time.perf_counter() - started


def question(dims, where, totals, centers=False, activity_counts=False):
    """Registered participations and distinct people, plus unregistered headcounts, by `dims`."""
    join = "JOIN centers c ON c.code = a.center" if centers else ""
    group = f"{dims}," if dims else ""
    by = "GROUP BY ALL" if dims else ""
    extra = ", count(*), count(DISTINCT a.date)" if activity_counts else ""
    sql = [
        f"SELECT {group} count(*), count(DISTINCT p.common_id) FROM activities a {join}"
        f" JOIN participations p ON p.activity_id = a.id WHERE {where} {by}",
        f"SELECT {group} sum({UNREG}){extra} FROM activities a {join} WHERE {where} {by}",
    ]
    if totals:
        sql += [
            f"SELECT count(*), count(DISTINCT p.common_id) FROM activities a"
            f" JOIN participations p ON p.activity_id = a.id WHERE {where}",
            f"SELECT sum({UNREG}){extra} FROM activities a WHERE {where}",
        ]
    return sql


def categories(where):
    """(c): by age band × category; unregistered people by their group, age band unknown."""
    return [
        "SELECT p.age_band, pc.category, count(*), count(DISTINCT p.common_id) FROM activities a"
        " JOIN participations p ON p.activity_id = a.id JOIN participation_categories pc"
        f" ON pc.activity_id = p.activity_id AND pc.common_id = p.common_id WHERE {where} GROUP BY ALL",
        "SELECT sum(unregistered_elderly), sum(unregistered_disabled), sum(unregistered_child),"
        f" sum(unregistered_other) FROM activities a WHERE {where}",
        "SELECT count(*), count(DISTINCT p.common_id) FROM activities a"
        f" JOIN participations p ON p.activity_id = a.id WHERE {where}",
        f"SELECT sum({UNREG}) FROM activities a WHERE {where}",
    ]


def questions(fy, center):
    fy_range = f"a.date BETWEEN DATE '{fy}-04-01' AND DATE '{fy + 1}-03-31'"
    five = f"a.date BETWEEN DATE '{fy - 4}-04-01' AND DATE '{fy + 1}-03-31'"
    month = "strftime(a.date, '%Y-%m')"
    return [
        ("(a) prefecture FY × municipality × function, 実利用者, totals",
         question("c.municipality, a.function", fy_range, True, centers=True)),
        ("(b) one centre's months of one FY, totals",
         question(month, f"{fy_range} AND a.center = '{center}'", True, activity_counts=True)),
        ("(c) FY × age band × category, totals", categories(fy_range)),
        ("(d) five-year trend by fiscal year", question("a.fiscal_year", five, False)),
        ("(e) FY by month, prefecture-wide, totals", question(month, fy_range, True)),
        ("(f) one month × centre × function",
         question("a.center, a.function", f"a.date BETWEEN DATE '{fy}-06-01' AND DATE '{fy}-06-30'", False)),
        ("(g) FY quarter by centre, totals",
         question("a.center", f"a.date BETWEEN DATE '{fy}-04-01' AND DATE '{fy}-06-30'", True)),
        ("(h) five years by month", question(month, five, False)),
        ("(i) half year (Apr–Sep) by municipality, totals",
         question("c.municipality", f"a.date BETWEEN DATE '{fy}-04-01' AND DATE '{fy}-09-30'", True,
                  centers=True)),
        ("(j) free range (10 May – 20 Aug) by month, totals",
         question(month, f"a.date BETWEEN DATE '{fy}-05-10' AND DATE '{fy}-08-20'", True)),
    ]


def answer_rows(name, results):
    """Rows of the answer (totals aside), as /stats counts them: keys with registered or
    unregistered participants; for (c) the unregistered add one row per group (age band unknown)."""
    if name.startswith("(c)"):
        return len(results[0]) + sum(1 for v in results[1][0] if v)
    if not results[0]:
        return len(results[1])
    dims = len(results[0][0]) - 2
    return len({r[:dims] for r in results[0]} | {r[:dims] for r in results[1] if any(r[dims:])})


def main():
    path, fy = sys.argv[1], int(sys.argv[2])
    center = sys.argv[3] if len(sys.argv) > 3 else "C001"
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 7
    con, loaded = load(path)
    facts = con.execute("SELECT count(*) FROM participations").fetchone()[0]
    print(f"DuckDB {duckdb.__version__}, in-process, {os.cpu_count()} threads; {facts} participations "
          f"exported from {path} and loaded in {loaded:.1f} s; median of {runs} runs after one warm-up (ms)\n")
    print("| question | rows | DuckDB median ms | DuckDB p95 ms |")
    print("|---|--:|--:|--:|")
    for name, sqls in questions(fy, center):
        times, rows = [], 0
        for i in range(runs + 1):
            t = time.perf_counter()
            results = [con.execute(s).fetchall() for s in sqls]
            took = (time.perf_counter() - t) * 1000
            if i > 0:
                times.append(took)
            rows = answer_rows(name, results)
        times.sort()
        p95 = times[min(len(times) - 1, max(0, -(-95 * len(times) // 100) - 1))]
        print(f"| {name} | {rows} | {statistics.median(times):.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
